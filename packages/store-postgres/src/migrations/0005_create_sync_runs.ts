import { type Kysely, sql } from "kysely"

/** One row per employee sync of a connection: its state, what it changed, and why it failed. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("sync_runs")
    .addColumn("id", "uuid", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull())
    .addColumn("connection_id", "uuid", (column) => column.notNull())
    .addColumn("status", "text", (column) =>
      column.notNull().check(sql`status IN ('running', 'succeeded', 'partial', 'failed')`),
    )
    .addColumn("records_added", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("records_updated", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("records_removed", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("records_unchanged", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("records_failed", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addColumn("started_at", "timestamptz", (column) => column.notNull())
    .addColumn("finished_at", "timestamptz")
    .addForeignKeyConstraint("sync_runs_connection_fkey", ["customer_id", "connection_id"], "connections", [
      "customer_id",
      "id",
    ])
    .addCheckConstraint("sync_runs_finished_unless_running", sql`(status = 'running') = (finished_at IS NULL)`)
    .execute()
  await db.schema
    .createIndex("sync_runs_connection_started_idx")
    .on("sync_runs")
    .columns(["connection_id", "started_at desc"])
    .execute()

  await sql`ALTER TABLE sync_runs ENABLE ROW LEVEL SECURITY`.execute(db)
  await sql`CREATE POLICY sync_runs_of_current_customer ON sync_runs TO finch_app, finch_worker
    USING (customer_id = current_setting('app.customer_id', true))
    WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
  await sql`GRANT SELECT ON sync_runs TO finch_app`.execute(db)
  await sql`GRANT SELECT, INSERT, UPDATE ON sync_runs TO finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("sync_runs").execute()
}
