import { assert, layer } from "@effect/vitest"
import { Effect, Either, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { inject } from "vitest"
import { withCustomer } from "../src/CustomerTransaction.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import { query } from "../src/DatabaseError.ts"
import * as DatabaseLogin from "../src/DatabaseLogin.ts"
import { adminQuery } from "../src/internal/adminQuery.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { insertConnection, temporaryLogin } from "./fixtures.ts"

/** A pool for the life of the scope. */
const pool = (url: Redacted.Redacted<string>, options: Parameters<typeof makeKysely>[1] = {}) =>
  Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(Redacted.value(url), { max: 1, ...options })),
    (db) => Effect.promise(() => db.destroy()),
  )

/** The superuser of the test server (`postgres` in both the shared and the embedded server). */
const superuser = () => decodeURIComponent(new URL(inject("testDatabase").serverUrl).username)

/** Ways a session might try to get out of its customer, or out of row-level security altogether. */
const tricks = () => [
  "set role none",
  "reset role",
  `set role ${superuser()}`,
  "set role finch_worker",
  `set session authorization ${superuser()}`,
  `select set_config('role', '${superuser()}', false)`,
  `select set_config('session_authorization', '${superuser()}', false)`,
  "select set_config('row_security', 'off', false)",
  "select set_config('app.all_customers', 'on', false)",
]

/**
 * Every customer `db` sees in `customers` and `connections` after playing `trick` inside acme's transaction; a
 * refused statement counts as seeing nothing.
 */
const seenAfter = (db: Kysely<Database>, trick: string) =>
  withCustomer(db, "acme", (trx) =>
    query(async () => {
      await sql.raw(trick).execute(trx)
      const customers = await sql<{ id: string }>`select id from customers`.execute(trx)
      const connections = await sql<{ id: string }>`select customer_id as id from connections`.execute(trx)
      return [...customers.rows, ...connections.rows].map((row) => row.id)
    }),
  ).pipe(Effect.either, Effect.map(Either.getOrElse(() => [] as Array<string>)))

layer(TestDatabase.layer)("the database login", (it) => {
  it.scoped("from a runtime login's session no trick shows another customer's row", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const owner = yield* TestDatabase.ownerKysely
      yield* insertConnection(owner, "acme")
      yield* insertConnection(owner, "globex")
      for (const inherit of ["INHERIT", "NOINHERIT"]) {
        const login = yield* temporaryLogin({
          attributes: `NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB ${inherit}`,
          memberOf: ["finch_app"],
        })
        const runtime = yield* pool(login.urlOf(database.url), { role: "finch_app" })
        assert.deepStrictEqual(yield* seenAfter(runtime, "select 1"), ["acme", "acme"], inherit)
        for (const trick of tricks()) {
          const seen = yield* seenAfter(runtime, trick)
          assert.isFalse(seen.includes("globex"), `${inherit}: ${trick} showed globex`)
          // Played on the session rather than in the transaction, it changes nothing either.
          const session = yield* pool(login.urlOf(database.url), { role: "finch_app" })
          yield* Effect.either(query(() => sql.raw(trick).execute(session)))
          const afterwards = yield* seenAfter(session, "select 1")
          assert.isFalse(afterwards.includes("globex"), `${inherit}: ${trick} on the session showed globex`)
        }
      }
      // The same session on a superuser login — how the application ran before — is one `set role none` away from
      // every customer: what the runtime login closes.
      const asSuperuser = yield* pool(database.url, { role: "finch_app" })
      assert.isTrue((yield* seenAfter(asSuperuser, "set role none")).includes("globex"))
    }),
  )

  it.scoped("says what is wrong with a login that could get past row-level security", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const problemsOf = (attributes: string, memberOf: ReadonlyArray<string> = []) =>
        Effect.gen(function* () {
          const login = yield* temporaryLogin({ attributes, memberOf })
          const db = yield* pool(login.urlOf(database.url))
          return (yield* DatabaseLogin.inspect(db)).problems
        })
      assert.deepStrictEqual(yield* problemsOf("NOSUPERUSER NOBYPASSRLS NOCREATEROLE", ["finch_worker"]), [])
      assert.deepStrictEqual(yield* problemsOf("BYPASSRLS"), ["bypasses row-level security"])
      assert.deepStrictEqual(yield* problemsOf("CREATEROLE"), ["can create roles"])
      // Through a role it can become.
      const bypassing = yield* temporaryLogin({ attributes: "BYPASSRLS" })
      assert.deepStrictEqual(yield* problemsOf("NOSUPERUSER", [bypassing.name]), ["bypasses row-level security"])
      // Owning a table, or the database (whose owner owns the public schema).
      const tableOwner = yield* temporaryLogin({ attributes: "NOSUPERUSER" })
      const { serverUrl } = inject("testDatabase")
      const adminOnTestDatabase = Redacted.value(database.url)
      yield* Effect.promise(() => adminQuery(adminOnTestDatabase, `ALTER TABLE sync_runs OWNER TO ${tableOwner.name}`))
      const asTableOwner = yield* pool(tableOwner.urlOf(database.url))
      assert.deepStrictEqual((yield* DatabaseLogin.inspect(asTableOwner)).problems, ["owns the schema or tables"])
      yield* Effect.promise(() => adminQuery(adminOnTestDatabase, `ALTER TABLE sync_runs OWNER TO ${superuser()}`))
      // graphile-worker's queue is the store's too: owning one of its tables (how the worker once ran) is refused
      const queueOwner = yield* temporaryLogin({ attributes: "NOSUPERUSER", memberOf: ["finch_worker"] })
      yield* Effect.promise(() =>
        adminQuery(adminOnTestDatabase, `ALTER TABLE graphile_worker._private_tasks OWNER TO ${queueOwner.name}`),
      )
      const asQueueOwner = yield* pool(queueOwner.urlOf(database.url))
      assert.deepStrictEqual((yield* DatabaseLogin.inspect(asQueueOwner)).problems, ["owns the schema or tables"])
      yield* Effect.promise(() =>
        adminQuery(adminOnTestDatabase, `ALTER TABLE graphile_worker._private_tasks OWNER TO ${superuser()}`),
      )
      const databaseOwner = yield* temporaryLogin({ attributes: "NOSUPERUSER" })
      yield* Effect.acquireRelease(
        Effect.promise(() => adminQuery(serverUrl, `ALTER DATABASE "${database.name}" OWNER TO ${databaseOwner.name}`)),
        () => Effect.promise(() => adminQuery(serverUrl, `ALTER DATABASE "${database.name}" OWNER TO ${superuser()}`)),
      )
      const asDatabaseOwner = yield* pool(databaseOwner.urlOf(database.url))
      assert.deepStrictEqual((yield* DatabaseLogin.inspect(asDatabaseOwner)).problems, ["owns the schema or tables"])
      const asSuperuser = yield* pool(database.url, { role: "finch_app" })
      assert.deepStrictEqual((yield* DatabaseLogin.inspect(asSuperuser)).problems, [
        "superuser",
        "bypasses row-level security",
        "can create roles",
        "owns the schema or tables",
      ])
    }),
  )

  it.scoped("in production refuses a superuser with a message that says what to do; elsewhere warns and goes on", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const asSuperuser = yield* pool(database.url)
      const refused = yield* Effect.flip(DatabaseLogin.check(asSuperuser, { production: true }))
      assert.strictEqual(refused._tag, "UnsafeDatabaseLogin")
      assert.strictEqual(refused.login, superuser())
      assert.match(refused.message, /"postgres" can get past row-level security \(superuser, .*DATABASE_MIGRATION_URL/)
      const allowed = yield* DatabaseLogin.check(asSuperuser, { production: false })
      assert.include(allowed.problems, "superuser")
    }),
  )
})
