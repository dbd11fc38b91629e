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
import { temporaryLogin } from "./fixtures.ts"

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

/** How many tables the owner sees in `public`. */
const tablesIn = (url: string) =>
  Effect.acquireUseRelease(
    Effect.sync(() => makeKysely<any>(url, { max: 1 })),
    (db) =>
      Effect.promise(() =>
        sql<{
          n: number
        }>`select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(db),
      ),
    (db) => Effect.promise(() => db.destroy()),
  ).pipe(Effect.map((result) => result.rows[0]?.n ?? 0))

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

  it.scoped("in production refuses a superuser login before it changes anything", () =>
    Effect.gen(function* () {
      const database = yield* emptyDatabase
      const refused = yield* Effect.flip(
        sessionUser.pipe(Effect.provide(fromConfig({ DATABASE_URL: database.url, NODE_ENV: "production" }))),
      )
      assert.strictEqual(refused._tag, "UnsafeDatabaseLogin")
      assert.strictEqual(yield* tablesIn(database.url), 0)
    }),
  )

  it.scoped("runs as the runtime login of DATABASE_URL and migrates as the owner of DATABASE_MIGRATION_URL", () =>
    Effect.gen(function* () {
      const database = yield* emptyDatabase
      for (const role of ["finch_app", "finch_worker"] as const) {
        const login = yield* temporaryLogin({ attributes: "NOSUPERUSER NOBYPASSRLS NOCREATEROLE", memberOf: [role] })
        const runtimeUrl = Redacted.value(login.urlOf(Redacted.make(database.url)))
        const config = {
          DATABASE_URL: runtimeUrl,
          DATABASE_MIGRATION_URL: database.url,
          DATABASE_ROLE: role,
          NODE_ENV: "production",
        }
        const sessions = yield* Effect.flatMap(PgDatabase.PgDatabase, (db) =>
          Effect.promise(() =>
            sql<{ login: string; role: string }>`select session_user as login, current_user as role`.execute(db),
          ),
        ).pipe(Effect.provide(fromConfig(config)))
        assert.deepStrictEqual(sessions.rows, [{ login: login.name, role }])
      }
      assert.isAbove(yield* tablesIn(database.url), 0)
      // Without the owner's URL the runtime login cannot migrate: it owns nothing and may create nothing.
      const other = yield* emptyDatabase
      const login = yield* temporaryLogin({ attributes: "NOSUPERUSER", memberOf: ["finch_app"] })
      const failed = yield* Effect.flip(
        sessionUser.pipe(
          Effect.provide(fromConfig({ DATABASE_URL: Redacted.value(login.urlOf(Redacted.make(other.url))) })),
        ),
      )
      assert.strictEqual(failed._tag, "DatabaseError")
      if (failed._tag === "DatabaseError") assert.strictEqual(failed.reason, "InsufficientPrivilege")
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
