/**
 * A fresh, migrated database per test file, cloned from the run's template on whichever server was picked, and
 * dropped afterwards. Files run in parallel safely: each has its own database.
 */
import { randomBytes } from "node:crypto"
import { Context, Effect, Layer, Redacted } from "effect"
import type { Kysely } from "kysely"
import { inject } from "vitest"
import { type Database, type DatabaseRole, makeKysely } from "../Database.ts"
import { withDatabase } from "../DatabaseServer.ts"
import { adminQuery } from "../internal/adminQuery.ts"
import * as PgDatabase from "../PgDatabase.ts"

import type { TestDatabaseContext } from "./globalSetup.ts"

declare module "vitest" {
  export interface ProvidedContext {
    testDatabase: TestDatabaseContext
  }
}

/** A database made for one test file. */
export interface FreshDatabase {
  readonly name: string
  readonly url: Redacted.Redacted<string>
  readonly drop: () => Promise<void>
}

/** Clones the migrated template into a new database. */
export const createFreshDatabase = async (): Promise<FreshDatabase> => {
  const { serverUrl, template } = inject("testDatabase")
  const name = `fc_test_${randomBytes(6).toString("hex")}`
  // Cloning needs the template free of sessions; a sibling file's clone can hold it for a moment, so retry briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(serverUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`)
      break
    } catch (error) {
      if (attempt >= 20 || !String(error).includes("is being accessed by other users")) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt))
    }
  }
  return {
    name,
    url: withDatabase(Redacted.make(serverUrl), name),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  }
}

/** The same as an Effect resource: the database lives as long as the scope. */
export const freshDatabase = Effect.acquireRelease(
  Effect.promise(() => createFreshDatabase()),
  (database) => Effect.promise(() => database.drop()),
)

/** The test file's fresh database, for tests that need its URL or a session as its owner. */
export class TestDatabase extends Context.Tag("@finch-connections/store-postgres/testing/TestDatabase")<
  TestDatabase,
  FreshDatabase
>() {}

/** A fresh database for the life of the layer. */
export const layer = Layer.scoped(TestDatabase, freshDatabase)

/** A pool on the test database as its owner, across customers (the owner's row-level security policy): to arrange and inspect. */
export const ownerKysely = Effect.flatMap(TestDatabase, (database) =>
  Effect.acquireRelease(
    Effect.sync(
      (): Kysely<Database> => makeKysely<Database>(Redacted.value(database.url), { max: 2, acrossCustomers: true }),
    ),
    (db) => Effect.promise(() => db.destroy()),
  ),
)

/** `PgDatabase` on a fresh database, sessions as `role` (`finch_app` unless given); the `TestDatabase` comes along. */
export const layerPgDatabase = (options: { readonly role?: DatabaseRole; readonly max?: number } = {}) =>
  Layer.scoped(
    PgDatabase.PgDatabase,
    Effect.flatMap(TestDatabase, (database) => PgDatabase.make({ url: database.url, ...options })),
  ).pipe(Layer.provideMerge(layer))
