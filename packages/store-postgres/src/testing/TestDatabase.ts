/**
 * A fresh, migrated database per test file, cloned from the run's template on whichever server was picked, and
 * dropped afterwards. Files run in parallel safely: each has its own database.
 */
import { randomBytes } from "node:crypto"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"
import { withDatabase } from "../DatabaseServer.ts"
import { adminQuery } from "../internal/adminQuery.ts"

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
