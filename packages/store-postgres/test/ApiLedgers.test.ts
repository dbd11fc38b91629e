/**
 * What the HTTP API keeps to act once (handled webhook events, spent connect states) and readiness's view of the
 * migrations — on a fresh database, as `finch_app`.
 */
import { randomUUID } from "node:crypto"
import { CustomerId } from "@finch-connections/core/Ids"
import { Effect, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ConnectStateLog from "../src/ConnectStateLog.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import { migrations } from "../src/Migrations.ts"
import { pendingMigrations } from "../src/SchemaStatus.ts"
import { createFreshDatabase, type FreshDatabase } from "../src/testing/TestDatabase.ts"
import * as WebhookEventLog from "../src/WebhookEventLog.ts"
import { insertConnection } from "./fixtures.ts"

let database: FreshDatabase
let owner: Kysely<Database>
let app: Kysely<Database>
const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

beforeAll(async () => {
  database = await createFreshDatabase()
  owner = makeKysely<Database>(Redacted.value(database.url), { max: 2 })
  app = makeKysely<Database>(Redacted.value(database.url), { max: 2, role: "finch_app" })
  await Effect.runPromise(insertConnection(owner, acme))
})
afterAll(async () => {
  await app.destroy()
  await owner.destroy()
  await database.drop()
})

describe("WebhookEventLog", () => {
  it("claims an event id once, whichever customer names it again, and releases it", async () => {
    await Effect.runPromise(insertConnection(owner, globex))
    const log = WebhookEventLog.make({ db: app })
    const eventId = `msg_${randomUUID()}`
    const claim = (customerId: CustomerId) => Effect.runPromise(log.claim({ customerId, eventId, eventType: "x" }))
    expect(await claim(acme)).toBe(true)
    expect(await claim(acme)).toBe(false)
    expect(await claim(globex)).toBe(false)
    await Effect.runPromise(log.release(acme, eventId))
    expect(await claim(acme)).toBe(true)
  })

  it("keeps each customer's events out of the other's sight", async () => {
    const seen = await app.transaction().execute(async (trx) => {
      await sql`select set_config('app.customer_id', 'globex', true)`.execute(trx)
      return sql`select event_id from finch_webhook_events`.execute(trx)
    })
    expect(seen.rows).toEqual([])
  })
})

describe("ConnectStateLog", () => {
  it("spends a state once", async () => {
    const log = ConnectStateLog.make({ db: app })
    const input = { customerId: acme, stateId: randomUUID(), expiresAt: new Date(Date.now() + 60_000) }
    expect(await Effect.runPromise(log.claim(input))).toBe(true)
    expect(await Effect.runPromise(log.claim(input))).toBe(false)
  })
})

describe("pendingMigrations", () => {
  it("is empty on a migrated database and names a migration the database lacks", async () => {
    expect(await Effect.runPromise(pendingMigrations(app))).toEqual([])
    const last = Object.keys(migrations).at(-1) ?? ""
    await sql`delete from kysely_migration where name = ${last}`.execute(owner)
    expect(await Effect.runPromise(pendingMigrations(app))).toEqual([last])
  })
})
