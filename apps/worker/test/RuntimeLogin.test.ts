/**
 * The worker on a runtime login (issue 17): a member of `finch_worker` only, NOSUPERUSER NOBYPASSRLS NOCREATEROLE,
 * owning nothing — graphile-worker, the scheduler and the jobs included — and what that login can and cannot see.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeKysely } from "@finch-connections/store-postgres/Database"
import * as DatabaseLogin from "@finch-connections/store-postgres/DatabaseLogin"
import { Cause, Duration, Effect, Exit, Redacted } from "effect"
import { sql } from "kysely"
import pg from "pg"
import { harness, pollUntil } from "./fixtures/WorkerHarness.ts"

const schedule = {
  syncCron: "0 * * * *",
  cadence: Duration.hours(24),
  spread: Duration.hours(1),
  checkCron: "30 */6 * * *",
}

/** A session of `url` for the life of the scope, started as graphile-worker's are (`role=finch_worker`) unless not. */
const session = (url: Redacted.Redacted<string>, options: { readonly role?: string } = { role: "finch_worker" }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({
        connectionString: Redacted.value(url),
        ...(options.role === undefined ? {} : { options: `-c role=${options.role}` }),
      })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.end().catch(() => {})),
  )

/** Runs `statement` on `client`; a refused one answers the error's SQLSTATE instead of rows. */
const attempt = (client: pg.Client, statement: string) =>
  Effect.promise(() =>
    client.query(statement).then(
      (result) => ({ rows: result.rows as Array<Record<string, unknown>>, code: null }),
      (error: { code?: string }) => ({ rows: [] as Array<Record<string, unknown>>, code: error.code ?? "?" }),
    ),
  )

describe("the worker on a runtime login", () => {
  it.scopedLive("runs a sync end to end and its schedule tick queues the due syncs, all as finch_worker", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const login = yield* h.runtimeLogin("finch_worker", { inherit: false })
      const inspection = yield* Effect.acquireUseRelease(
        Effect.sync(() => makeKysely(Redacted.value(login.url), { max: 1 })),
        DatabaseLogin.inspect,
        (db) => Effect.promise(() => db.destroy()),
      )
      assert.deepStrictEqual(inspection, { login: login.name, problems: [] })

      const due = yield* Effect.forEach([1, 2], (n) => h.connect(`customer-${n}`, { employee_size: 3 }))
      const synced = yield* h.connect("customer-3", { employee_size: 40 })
      const migrationsBefore = yield* Effect.promise(() =>
        sql<{ n: number }>`select count(*)::int as n from graphile_worker.migrations`.execute(h.owner),
      )
      // "production": the login passes the check a production worker makes
      yield* h.startWorker({ worker: { databaseUrl: login.url, schedule }, loginCheck: "production" })
      const run = yield* h.requestSync(synced.customerId, synced.connectionId)
      const done = yield* h.waitForRun(synced.customerId, run.id, ["succeeded", "partial", "failed"])
      assert.strictEqual(done.status, "succeeded")
      assert.deepStrictEqual(done.progress, { pages: 1, individuals: 40, employments: 40, failedItems: 0 })
      const records = yield* Effect.promise(() =>
        sql<{ n: number }>`select count(*)::int as n from employee_records
          where connection_id = ${synced.connectionId}`.execute(h.owner),
      )
      assert.strictEqual(records.rows[0]?.n, 40)

      // every session of the worker is the runtime login's (graphile-worker's and the store's alike)
      const sessions = yield* Effect.promise(() =>
        sql<{ usename: string }>`select distinct usename from pg_stat_activity
          where datname = current_database() and usename <> current_user`.execute(h.owner),
      )
      assert.deepStrictEqual(
        sessions.rows.map((row) => row.usename),
        [login.name],
      )

      yield* Effect.promise(() => sql`select graphile_worker.add_job('schedule_syncs', '{}'::json)`.execute(h.owner))
      const jobs = yield* pollUntil(
        Effect.promise(() =>
          sql<{ key: string }>`select key from graphile_worker._private_jobs where key like 'sync:%' order by key`
            .execute(h.owner)
            .then((result) => result.rows.map((row) => row.key)),
        ),
        (keys) => keys.length === 2,
        Duration.seconds(30),
        "the tick did not queue the due connections",
      )
      assert.deepStrictEqual(jobs, due.map((c) => `sync:${c.connectionId}`).sort())
      // and it migrated nothing of graphile-worker's
      const migrationsAfter = yield* Effect.promise(() =>
        sql<{ n: number }>`select count(*)::int as n from graphile_worker.migrations`.execute(h.owner),
      )
      assert.deepStrictEqual(migrationsAfter.rows, migrationsBefore.rows)
    }),
  )

  it.scopedLive("from its sessions no role trick shows another customer's rows or token ciphertexts", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const acme = yield* h.connect("acme", { employee_size: 3 })
      const globex = yield* h.connect("globex", { employee_size: 3 })
      yield* h.startWorker()
      for (const customer of [acme, globex]) {
        const run = yield* h.requestSync(customer.customerId, customer.connectionId)
        yield* h.waitForRun(customer.customerId, run.id, ["succeeded"])
      }
      const tricks = [
        "select 1",
        "set role none",
        "reset role",
        "set role postgres",
        "set role finch_app",
        "set session authorization postgres",
        "select set_config('app.all_customers', 'on', false)",
        "select set_config('row_security', 'off', false)",
      ]
      for (const inherit of [true, false]) {
        const login = yield* h.runtimeLogin("finch_worker", { inherit })
        for (const trick of tricks) {
          const client = yield* session(login.url)
          const played = yield* attempt(client, trick)
          const label = `${inherit ? "INHERIT" : "NOINHERIT"}: ${trick}${played.code === null ? "" : ` (${played.code})`}`
          // with no customer named, nothing at all
          for (const table of ["customers", "connections", "access_tokens", "sync_runs", "employee_records"]) {
            const all = yield* attempt(client, `select 1 from ${table}`)
            assert.lengthOf(all.rows, 0, `${label}: ${table} without a customer`)
          }
          // naming acme, acme's rows only: globex's token ciphertext stays out of reach
          yield* attempt(client, "begin")
          yield* attempt(client, "select set_config('app.customer_id', 'acme', true)")
          const tokens = yield* attempt(client, "select customer_id, ciphertext from access_tokens")
          const connections = yield* attempt(client, "select customer_id from connections")
          yield* attempt(client, "rollback")
          const seen = [...tokens.rows, ...connections.rows].map((row) => row.customer_id)
          assert.isFalse(seen.includes("globex"), `${label} showed globex`)
          assert.isTrue(
            tokens.rows.every((row) => row.customer_id === "acme"),
            `${label}: another customer's ciphertext`,
          )
          // untouched, the session is the worker's: it reads acme's token to sync acme, and only that
          if (trick === "select 1") assert.isTrue(tokens.rows.length > 0 && tokens.rows.every((row) => row.ciphertext))
        }
        // the scheduler's view across customers: ids and nothing else
        const client = yield* session(login.url)
        const dueSyncs = yield* Effect.promise(() => client.query("select * from due_connection_syncs(0)"))
        assert.deepStrictEqual(
          dueSyncs.fields.map((field) => field.name),
          ["customer_id", "connection_id"],
        )
        assert.sameMembers(
          dueSyncs.rows.map((row) => row.customer_id),
          ["acme", "globex"],
        )
        const toCheck = yield* Effect.promise(() => client.query("select * from connections_to_check()"))
        assert.deepStrictEqual(
          toCheck.fields.map((field) => field.name),
          ["customer_id", "connection_id"],
        )
        // graphile-worker's schema is the owner's to migrate
        const migrate = yield* attempt(client, "insert into graphile_worker.migrations (id) values (999)")
        assert.strictEqual(migrate.code, "42501")
      }
      // the API's role may not look across customers at all
      const app = yield* h.runtimeLogin("finch_app")
      const asApp = yield* session(app.url, { role: "finch_app" })
      assert.strictEqual((yield* attempt(asApp, "select * from due_connection_syncs(0)")).code, "42501")
      assert.strictEqual((yield* attempt(asApp, "select * from connections_to_check()")).code, "42501")
      assert.strictEqual((yield* attempt(asApp, "select * from graphile_worker._private_jobs")).code, "42501")
    }),
  )

  it.scopedLive(
    "does not migrate graphile-worker's schema: an older one stops it, saying to migrate as the owner",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const login = yield* h.runtimeLogin("finch_worker")
        // as if this worker's graphile-worker were newer than the installed schema
        const latest = yield* Effect.promise(() =>
          sql<{ id: number }>`delete from graphile_worker.migrations
          where id = (select max(id) from graphile_worker.migrations) returning id`.execute(h.owner),
        )
        const exit = yield* Effect.exit(h.startWorker({ worker: { databaseUrl: login.url } }))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          assert.match(Cause.pretty(exit.cause), /graphile-worker could not start as finch_worker.*owner's login first/)
        }
        const kept = yield* Effect.promise(() =>
          sql<{ n: number }>`select count(*)::int as n from graphile_worker.migrations
          where id = ${latest.rows[0]!.id}`.execute(h.owner),
        )
        assert.strictEqual(kept.rows[0]?.n, 0)
      }),
  )

  it.scopedLive(
    "the worker process refuses an owner's (superuser) login in production and runs on the runtime login",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const refused = yield* h.spawnWorker({ NODE_ENV: "production" })
        const exit = yield* refused.exited
        assert.notStrictEqual(exit.code, 0)
        assert.match(refused.output(), /can get past row-level security \(superuser/)
        assert.notInclude(refused.output(), "worker started")

        const login = yield* h.runtimeLogin("finch_worker", { inherit: false })
        const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 5 })
        const worker = yield* h.spawnWorker({
          NODE_ENV: "production",
          DATABASE_URL: Redacted.value(login.url),
          DATABASE_ROLE: "finch_worker",
        })
        const run = yield* h.requestSync(customerId, connectionId)
        const done = yield* h.waitForRun(customerId, run.id, ["succeeded", "partial", "failed"])
        assert.strictEqual(done.status, "succeeded")
        worker.child.kill("SIGTERM")
        assert.strictEqual((yield* worker.exited).code, 0)
        assert.notInclude(worker.output(), "UNSAFE DATABASE LOGIN")
        assert.notInclude(worker.output(), Redacted.value(login.url))
      }),
  )
})
