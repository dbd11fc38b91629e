import { type Kysely, sql } from "kysely"

/**
 * What happened to a customer's connections and who caused it. Append-only: no role the application uses may
 * change or delete an event.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("audit_events")
    .addColumn("id", "bigint", (column) => column.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("connection_id", "uuid")
    .addColumn("kind", "text", (column) =>
      column
        .notNull()
        .check(
          sql`kind IN ('connection_created', 'account_added', 'token_replaced', 'reauth_required', 'disconnected')`,
        ),
    )
    .addColumn("source", "text", (column) =>
      column.notNull().check(sql`source IN ('finch_401', 'webhook', 'introspection', 'user', 'system')`),
    )
    .addColumn("details", "jsonb", (column) => column.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("occurred_at", "timestamptz", (column) => column.notNull())
    .addForeignKeyConstraint("audit_events_connection_fkey", ["customer_id", "connection_id"], "connections", [
      "customer_id",
      "id",
    ])
    .execute()
  await db.schema
    .createIndex("audit_events_connection_occurred_idx")
    .on("audit_events")
    .columns(["customer_id", "connection_id", "occurred_at"])
    .execute()

  await sql`ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY`.execute(db)
  await sql`CREATE POLICY audit_events_of_current_customer ON audit_events TO finch_app, finch_worker
    USING (customer_id = current_setting('app.customer_id', true))
    WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
  await sql`GRANT SELECT, INSERT ON audit_events TO finch_app`.execute(db)
  await sql`GRANT INSERT ON audit_events TO finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("audit_events").execute()
}
