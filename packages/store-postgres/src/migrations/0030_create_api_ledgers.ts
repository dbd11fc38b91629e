import { type Kysely, sql } from "kysely"

/**
 * What the HTTP API must remember to act once: the Finch webhook events it handled (Finch retries and may deliver an
 * event twice) and the signed Connect `state`s already spent (a redirect replayed must not complete twice). Both are
 * customer-owned rows under row-level security like every other table; the event id and the state id are unique
 * across customers, so a replay is caught whoever it names.
 *
 * A narrow security-definer function answers what a session without a customer needs for readiness: which
 * migrations are applied. (Who holds a Finch connection a webhook names: `finch_connection_holders`, 0009.)
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("finch_webhook_events")
    .addColumn("event_id", "text", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("event_type", "text", (column) => column.notNull())
    .addColumn("received_at", "timestamptz", (column) => column.notNull())
    .execute()
  await db.schema
    .createTable("connect_states")
    .addColumn("state_id", "text", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("expires_at", "timestamptz", (column) => column.notNull())
    .addColumn("used_at", "timestamptz", (column) => column.notNull())
    .execute()
  for (const table of ["finch_webhook_events", "connect_states"]) {
    await sql`ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY`.execute(db)
    // A policy for both roles, as on every table; only the API's role is granted anything.
    await sql`CREATE POLICY ${sql.id(`${table}_of_current_customer`)} ON ${sql.table(table)} TO finch_app, finch_worker
      USING (customer_id = current_setting('app.customer_id', true))
      WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
  }
  // An event whose handling failed is released again, so Finch's retry is acted on.
  await sql`GRANT SELECT, INSERT, DELETE ON finch_webhook_events TO finch_app`.execute(db)
  await sql`GRANT SELECT, INSERT ON connect_states TO finch_app`.execute(db)

  await sql`CREATE FUNCTION applied_migrations() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT name FROM public.kysely_migration $$`.execute(db)
  await sql`REVOKE ALL ON FUNCTION applied_migrations() FROM PUBLIC`.execute(db)
  await sql`GRANT EXECUTE ON FUNCTION applied_migrations() TO finch_app, finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`DROP FUNCTION applied_migrations()`.execute(db)
  await db.schema.dropTable("connect_states").execute()
  await db.schema.dropTable("finch_webhook_events").execute()
}
