import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { sql } from "kysely"
import { inject } from "vitest"
import { makeKysely } from "../src/Database.ts"
import { withDatabase } from "../src/DatabaseServer.ts"
import { adminQuery } from "../src/internal/adminQuery.ts"
import { migrations } from "../src/Migrations.ts"
import * as PgDatabase from "../src/PgDatabase.ts"

/** An empty database on the test server, for the life of the scope. */
const emptyDatabase = Effect.acquireRelease(
  Effect.promise(async () => {
    const { serverUrl } = inject("testDatabase")
    const name = `fc_test_empty_${randomBytes(6).toString("hex")}`
    await adminQuery(serverUrl, `CREATE DATABASE "${name}"`)
    return { serverUrl, name, url: Redacted.value(withDatabase(Redacted.make(serverUrl), name)) }
  }),
  ({ serverUrl, name }) =>
    Effect.promise(() => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
)

const sessionUser = Effect.flatMap(PgDatabase.PgDatabase, (db) =>
  Effect.promise(() => sql<{ user: string }>`select current_user as user`.execute(db)),
).pipe(Effect.map((result) => result.rows[0]?.user))

const fromConfig = (values: Record<string, string>) =>
  PgDatabase.layerConfig.pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(values))))),
  )

describe("PgDatabase.layerConfig", () => {
  it.scoped("migrates an empty database on start and runs sessions as finch_app", () =>
    Effect.gen(function* () {
      const database = yield* emptyDatabase
      const user = yield* sessionUser.pipe(Effect.provide(fromConfig({ DATABASE_URL: database.url })))
      assert.strictEqual(user, "finch_app")
      const pool = PgDatabase.layer({ url: Redacted.make(database.url), role: "finch_worker", migrate: true })
      assert.strictEqual(yield* sessionUser.pipe(Effect.provide(pool)), "finch_worker")
      const owner = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<any>(database.url, { max: 1 })),
        (db) => Effect.promise(() => db.destroy()),
      )
      const rows = yield* Effect.promise(() =>
        owner.selectFrom("kysely_migration").select("name").orderBy("name").execute(),
      )
      const applied = rows.map((row: { name: string }) => row.name)
      assert.deepStrictEqual(applied, Object.keys(migrations))
    }),
  )

  it.scoped("can skip migrating: the database stays empty", () =>
    Effect.gen(function* () {
      const database = yield* emptyDatabase
      const layer = fromConfig({ DATABASE_URL: database.url, DATABASE_MIGRATE: "false", DATABASE_ROLE: "finch_worker" })
      const tables = yield* Effect.flatMap(PgDatabase.PgDatabase, (db) =>
        Effect.promise(() =>
          sql<{
            n: number
          }>`select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(db),
        ),
      ).pipe(Effect.provide(layer))
      assert.strictEqual(tables.rows[0]?.n, 0)
    }),
  )
})
