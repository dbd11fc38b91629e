import { type Kysely, sql } from "kysely"

/**
 * Every change to what a customer's connection listing shows is announced on the `customer_changed` channel, its
 * payload the customer's id, when the changing transaction commits (PostgreSQL sends a payload once per transaction
 * however many rows it touched). A `TRUNCATE` names nobody: its payload is empty, read as "every customer". An update
 * that changes no column announces nothing. `sync_runs` is covered for its status only (its counters move on every
 * page a sync reads and change nothing the listing shows).
 *
 * The functions run as the invoker (`pg_notify` needs no privilege), so any role's writes are announced: the API's,
 * the worker's, the owner's maintenance.
 */
const watched = ["customers", "connections", "connection_accounts"] as const

export const up = async (db: Kysely<any>): Promise<void> => {
  // The trigger's argument names the column holding the customer's id.
  await sql`CREATE FUNCTION notify_customer_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('customer_changed', to_jsonb(OLD) ->> TG_ARGV[0]);
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('customer_changed', to_jsonb(NEW) ->> TG_ARGV[0]);
      END IF;
      RETURN NULL;
    END $$`.execute(db)
  await sql`CREATE FUNCTION notify_every_customer_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      PERFORM pg_notify('customer_changed', '');
      RETURN NULL;
    END $$`.execute(db)
  for (const table of [...watched, "sync_runs"]) {
    const customerColumn = sql.lit(table === "customers" ? "id" : "customer_id")
    const condition =
      table === "sync_runs" ? sql`OLD.status IS DISTINCT FROM NEW.status` : sql`OLD.* IS DISTINCT FROM NEW.*`
    await sql`CREATE TRIGGER ${sql.id(`${table}_notify_inserted_deleted`)} AFTER INSERT OR DELETE ON ${sql.table(table)}
      FOR EACH ROW EXECUTE FUNCTION notify_customer_changed(${customerColumn})`.execute(db)
    await sql`CREATE TRIGGER ${sql.id(`${table}_notify_updated`)} AFTER UPDATE ON ${sql.table(table)}
      FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION notify_customer_changed(${customerColumn})`.execute(db)
    await sql`CREATE TRIGGER ${sql.id(`${table}_notify_truncated`)} AFTER TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION notify_every_customer_changed()`.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const table of [...watched, "sync_runs"]) {
    for (const trigger of ["inserted_deleted", "updated", "truncated"]) {
      await sql`DROP TRIGGER ${sql.id(`${table}_notify_${trigger}`)} ON ${sql.table(table)}`.execute(db)
    }
  }
  await sql`DROP FUNCTION notify_every_customer_changed()`.execute(db)
  await sql`DROP FUNCTION notify_customer_changed()`.execute(db)
}
