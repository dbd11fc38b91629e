/**
 * Vitest global setup for any package whose tests need PostgreSQL: picks the server (`DATABASE_URL`, or an embedded
 * one kept in `.data/test/<package>`), migrates one template database for this run, and hands both to the test
 * files through `inject("testDatabase")`. Each test file then clones the template (see `TestDatabase.ts`).
 */
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { Redacted } from "effect"
import type { TestProject } from "vitest/node"
import { makeKysely } from "../Database.ts"
import { defaultDataDir, withDatabase } from "../DatabaseServer.ts"
import { adminQuery } from "../internal/adminQuery.ts"
import { startEmbeddedServer } from "../internal/embeddedServer.ts"
import * as JobQueue from "../JobQueue.ts"
import { migrateToLatest } from "../Migrations.ts"

/** What the global setup hands to test files. */
export interface TestDatabaseContext {
  readonly serverUrl: string
  readonly template: string
}

export default async function setup(project: TestProject) {
  const fromEnv = process.env.DATABASE_URL
  const packageName = path.basename(project.config.root)
  const server = fromEnv
    ? { url: fromEnv, stop: async () => {} }
    : await startEmbeddedServer(path.join(defaultDataDir(), "test", packageName))
  const template = `fc_template_${packageName.replaceAll(/\W/g, "_")}_${randomBytes(4).toString("hex")}`
  await adminQuery(server.url, `CREATE DATABASE "${template}"`)
  const templateUrl = withDatabase(Redacted.make(server.url), template).pipe(Redacted.value)
  const db = makeKysely<any>(templateUrl, { max: 1 })
  try {
    await migrateToLatest(db)
  } finally {
    await db.destroy()
  }
  await JobQueue.install(templateUrl)
  const context: TestDatabaseContext = { serverUrl: server.url, template }
  project.provide("testDatabase", context)
  return async () => {
    await adminQuery(server.url, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
    await server.stop()
  }
}
