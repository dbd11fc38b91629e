import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import * as JobQueue from "../src/JobQueue.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

const privateTables = ["_private_job_queues", "_private_jobs", "_private_known_crontabs", "_private_tasks"]

/** Every privilege `role` holds on graphile-worker's tables and view, e.g. `_private_jobs:SELECT`. */
const privilegesOf = (db: Kysely<any>, role: string) =>
  Effect.promise(() =>
    sql<{ privilege: string }>`
      select c.relname || ':' || p.privilege as privilege
      from pg_class c, unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
      where c.relnamespace = 'graphile_worker'::regnamespace and c.relkind in ('r', 'v')
        and has_table_privilege(${role}, c.oid, p.privilege)
      order by 1`
      .execute(db)
      .then((result) => result.rows.map((row) => row.privilege)),
  )

const workerPolicies = (db: Kysely<any>) =>
  Effect.promise(() =>
    sql<{ table: string }>`select c.relname as table from pg_policy p join pg_class c on c.oid = p.polrelid
      where p.polname = 'finch_worker_runs_the_queue' order by 1`
      .execute(db)
      .then((result) => result.rows.map((row) => row.table)),
  )

const expectedWorkerPrivileges = [
  ...privateTables.flatMap((table) => ["DELETE", "INSERT", "SELECT", "UPDATE"].map((p) => `${table}:${p}`)),
  "migrations:SELECT",
].sort()

layer(TestDatabase.layer)("graphile-worker's schema for the worker's runtime login", (it) => {
  it.scoped("finch_worker gets what graphile-worker's runner uses, read-only migrations; finch_app nothing", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      assert.deepStrictEqual(yield* privilegesOf(owner, "finch_worker"), expectedWorkerPrivileges)
      assert.deepStrictEqual(yield* privilegesOf(owner, "finch_app"), [])
      assert.deepStrictEqual(yield* workerPolicies(owner), privateTables)
      const { rows } = yield* Effect.promise(() =>
        sql<{ worker: boolean; app: boolean; add_job: boolean }>`select
          has_schema_privilege('finch_worker', 'graphile_worker', 'USAGE') as worker,
          has_schema_privilege('finch_app', 'graphile_worker', 'USAGE') as app,
          has_function_privilege('finch_worker', 'graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)',
            'EXECUTE') as add_job`.execute(owner),
      )
      assert.deepStrictEqual(rows[0], { worker: true, app: false, add_job: true })
    }),
  )

  it.scoped("install grants again after an upgrade that recreated a table, and is idempotent", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const owner = yield* TestDatabase.ownerKysely
      // what an upgrade recreating `_private_tasks` leaves: no grant, no policy
      yield* Effect.promise(async () => {
        await sql`drop policy finch_worker_runs_the_queue on graphile_worker._private_tasks`.execute(owner)
        await sql`revoke all on graphile_worker._private_tasks from finch_worker`.execute(owner)
      })
      assert.notInclude(yield* privilegesOf(owner, "finch_worker"), "_private_tasks:SELECT")
      yield* Effect.promise(() => JobQueue.install(Redacted.value(database.url)))
      yield* Effect.promise(() => JobQueue.install(Redacted.value(database.url)))
      assert.deepStrictEqual(yield* privilegesOf(owner, "finch_worker"), expectedWorkerPrivileges)
      assert.deepStrictEqual(yield* workerPolicies(owner), privateTables)
    }),
  )
})
