/**
 * The schema's history: frozen, numbered migrations listed in order, run by Kysely's Migrator.
 */
import type { Kysely } from "kysely"
import { type Migration, Migrator } from "kysely/migration"
import * as CreateCustomers from "./migrations/0001_create_customers.ts"

/** Every migration, in the order they run. Never edit one that has shipped: add the next. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_create_customers": CreateCustomers,
}

/** Brings the database up to the newest migration; a no-op when it is already there. */
export const migrateToLatest = async (db: Kysely<any>): Promise<ReadonlyArray<string>> => {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName)
}
