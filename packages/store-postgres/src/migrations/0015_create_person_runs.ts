import { type Kysely, sql } from "kysely"

/**
 * The fingerprint of the inputs each customer's last reconciliation run read (`Persons.inputsFingerprint`: the engine
 * version and a digest of the current employee records and the manual decisions), saved with the run, so a run whose
 * inputs have not changed since is skipped. One row per customer, replaced by every saved run.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("person_runs")
    .addColumn("customer_id", "text", (column) => column.primaryKey().references("customers.id"))
    .addColumn("inputs", "text", (column) => column.notNull())
    .addColumn("saved_at", "timestamptz", (column) => column.notNull())
    .execute()
  await sql`ALTER TABLE person_runs ENABLE ROW LEVEL SECURITY`.execute(db)
  await sql`CREATE POLICY person_runs_of_current_customer ON person_runs TO finch_app, finch_worker
    USING (customer_id = current_setting('app.customer_id', true))
    WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
  await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON person_runs TO finch_app, finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("person_runs").execute()
}
