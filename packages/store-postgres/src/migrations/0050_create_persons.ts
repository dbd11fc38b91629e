import { type Kysely, sql } from "kysely"

/**
 * Reconciled persons per customer: the latest run's persons and which person each employee record belongs to (with
 * the evidence of its link), the aliases merges left behind, the splits, and the manual decisions that always win.
 * A run replaces persons and links whole (one transaction); aliases, splits and decisions accumulate.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("persons")
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("person_id", "text", (column) => column.notNull())
    .addColumn("since", "double precision", (column) => column.notNull())
    .addColumn("saved_at", "timestamptz", (column) => column.notNull())
    .addPrimaryKeyConstraint("persons_pkey", ["customer_id", "person_id"])
    .execute()
  await db.schema
    .createTable("person_links")
    .addColumn("customer_id", "text", (column) => column.notNull())
    .addColumn("record_id", "text", (column) => column.notNull())
    .addColumn("person_id", "text", (column) => column.notNull())
    .addColumn("score", "double precision")
    .addColumn("matched_by", "jsonb", (column) => column.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint("person_links_pkey", ["customer_id", "record_id"])
    .addForeignKeyConstraint(
      "person_links_person_fkey",
      ["customer_id", "person_id"],
      "persons",
      ["customer_id", "person_id"],
      (constraint) => constraint.onDelete("cascade"),
    )
    .execute()
  await db.schema
    .createIndex("person_links_person_idx")
    .on("person_links")
    .columns(["customer_id", "person_id"])
    .execute()
  await db.schema
    .createTable("person_aliases")
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("alias_id", "text", (column) => column.notNull())
    .addColumn("person_id", "text", (column) => column.notNull())
    .addColumn("created_at", "timestamptz", (column) => column.notNull())
    .addPrimaryKeyConstraint("person_aliases_pkey", ["customer_id", "alias_id"])
    .addCheckConstraint("person_aliases_not_itself", sql`alias_id <> person_id`)
    .execute()
  await db.schema
    .createTable("person_splits")
    .addColumn("id", "bigserial", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("person_id", "text", (column) => column.notNull())
    .addColumn("into_ids", sql`text[]`, (column) => column.notNull())
    .addColumn("created_at", "timestamptz", (column) => column.notNull())
    .execute()
  await db.schema
    .createTable("person_decisions")
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("record_a", "text", (column) => column.notNull())
    .addColumn("record_b", "text", (column) => column.notNull())
    .addColumn("kind", "text", (column) => column.notNull().check(sql`kind IN ('same_person', 'never_same_person')`))
    .addColumn("decided_at", "timestamptz", (column) => column.notNull())
    .addPrimaryKeyConstraint("person_decisions_pkey", ["customer_id", "record_a", "record_b"])
    .addCheckConstraint("person_decisions_ordered_pair", sql`record_a < record_b`)
    .execute()

  for (const table of ["persons", "person_links", "person_aliases", "person_splits", "person_decisions"]) {
    await sql`ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY`.execute(db)
    await sql`CREATE POLICY ${sql.id(`${table}_of_current_customer`)} ON ${sql.table(table)} TO finch_app, finch_worker
      USING (customer_id = current_setting('app.customer_id', true))
      WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${sql.table(table)} TO finch_app, finch_worker`.execute(db)
  }
  await sql`GRANT USAGE ON SEQUENCE person_splits_id_seq TO finch_app, finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const table of ["person_decisions", "person_splits", "person_aliases", "person_links", "persons"]) {
    await db.schema.dropTable(table).execute()
  }
}
