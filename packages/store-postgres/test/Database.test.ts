import { Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Database, makeKysely } from "../src/Database.ts"
import { createFreshDatabase, type FreshDatabase } from "../src/testing/TestDatabase.ts"

describe("a fresh test database", () => {
  let database: FreshDatabase
  let db: Kysely<Database>

  beforeAll(async () => {
    database = await createFreshDatabase()
    db = makeKysely(Redacted.value(database.url))
  })
  afterAll(async () => {
    await db.destroy()
    await database.drop()
  })

  it("is migrated and round-trips a row through Kysely and pg", async () => {
    await db.insertInto("customers").values({ id: "acme", name: "Acme Inc." }).execute()
    const row = await db.selectFrom("customers").selectAll().where("id", "=", "acme").executeTakeFirstOrThrow()
    expect(row).toMatchObject({ id: "acme", name: "Acme Inc." })
    expect(row.created_at).toBeInstanceOf(Date)
  })

  it("runs on a real PostgreSQL server", async () => {
    const { rows } = await sql<{ server_version_num: string }>`show server_version_num`.execute(db)
    expect(Number(rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000)
  })
})
