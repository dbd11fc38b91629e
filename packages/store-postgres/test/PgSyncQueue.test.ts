import { assert, layer } from "@effect/vitest"
import { CustomerId } from "@finch-connections/core/Ids"
import { SyncQueue } from "@finch-connections/core/SyncQueue"
import { Duration, Effect, Either, Layer, Redacted } from "effect"
import { sql } from "kysely"
import { type Database, makeKysely } from "../src/Database.ts"
import * as PgDatabase from "../src/PgDatabase.ts"
import * as PgRateBudget from "../src/PgRateBudget.ts"
import * as PgSyncQueue from "../src/PgSyncQueue.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { insertConnection } from "./fixtures.ts"

// the API's view: sessions as finch_app
const QueueTest = PgSyncQueue.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 4 })))
const acme = CustomerId.make("acme")

interface JobRow {
  readonly task_identifier: string
  readonly queue_name: string | null
  readonly key: string | null
  readonly payload: unknown
  readonly run_at: Date
}

const jobsOf = (connectionId: string) =>
  Effect.flatMap(TestDatabase.ownerKysely, (owner) =>
    Effect.promise(() =>
      sql<JobRow>`select t.identifier as task_identifier, q.queue_name, j.key, j.payload, j.run_at
        from graphile_worker._private_jobs j
          join graphile_worker._private_tasks t on t.id = j.task_id
          left join graphile_worker._private_job_queues q on q.id = j.job_queue_id
        where j.key = ${`sync:${connectionId}`}`
        .execute(owner)
        .then((result) => result.rows),
    ),
  )

const asRole = (role: "finch_app" | "finch_worker") =>
  Effect.flatMap(TestDatabase.TestDatabase, (database) =>
    Effect.acquireRelease(
      Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role, max: 2 })),
      (db) => Effect.promise(() => db.destroy()),
    ),
  )

layer(QueueTest, { timeout: 60_000, excludeTestServices: true })("PgSyncQueue", (it) => {
  it.effect("a request as the API queues one keyed job per connection in graphile-worker, before any worker runs", () =>
    Effect.gen(function* () {
      const queue = yield* SyncQueue
      const connectionId = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const run = yield* queue.requestSync(acme, connectionId)
      yield* queue.requestSync(acme, connectionId)
      const jobs = yield* jobsOf(connectionId)
      assert.lengthOf(jobs, 1)
      assert.strictEqual(jobs[0]?.task_identifier, "sync_connection")
      assert.strictEqual(jobs[0]?.queue_name, `sync:${connectionId}`)
      assert.deepStrictEqual(jobs[0]?.payload, { customerId: acme, connectionId })
      assert.strictEqual(run.status, "queued")
    }).pipe(Effect.scoped),
  )

  it.effect("the API's role reaches the queue only through the functions; the worker's runs graphile-worker", () =>
    Effect.gen(function* () {
      for (const role of ["finch_app", "finch_worker"] as const) {
        const db = yield* asRole(role)
        const jobs = yield* Effect.either(
          Effect.tryPromise(() => sql`select * from graphile_worker._private_jobs`.execute(db)),
        )
        if (role === "finch_app") {
          assert.isTrue(Either.isLeft(jobs) && String(jobs.left.error).includes("permission denied"))
        } else {
          // graphile-worker's runner runs as finch_worker (JobQueue.install grants it)
          assert.isTrue(Either.isRight(jobs))
        }
        const noCustomer = yield* Effect.flip(
          Effect.tryPromise(() => sql`select request_connection_sync(gen_random_uuid(), 'api', null)`.execute(db)),
        )
        assert.include(String(noCustomer.error), "needs app.customer_id")
      }
    }).pipe(Effect.scoped),
  )

  it.effect("a schedule's later start never delays a queued request, and a request never skips a rate-limit wait", () =>
    Effect.gen(function* () {
      const queue = yield* SyncQueue
      const connectionId = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const later = new Date(Date.now() + 3_600_000)
      yield* queue.requestSync(acme, connectionId, { reason: "schedule", notBefore: later })
      assert.strictEqual((yield* jobsOf(connectionId))[0]?.run_at.getTime(), later.getTime())
      // the API's request brings it forward
      yield* queue.requestSync(acme, connectionId)
      assert.isBelow((yield* jobsOf(connectionId))[0]!.run_at.getTime(), Date.now() + 1_000)
      // a later schedule leaves it alone
      yield* queue.requestSync(acme, connectionId, { reason: "schedule", notBefore: later })
      assert.isBelow((yield* jobsOf(connectionId))[0]!.run_at.getTime(), Date.now() + 1_000)

      // the worker defers the run for a rate limit: a request meanwhile keeps the wait
      const worker = PgSyncQueue.make({ db: yield* asRole("finch_worker") })
      const claimed = yield* worker.claimRuns(acme, connectionId)
      const retryAt = new Date(Date.now() + 120_000)
      yield* worker.deferRuns(acme, connectionId, claimed, { retryAt, reason: "rate limited", countsAsRetry: false })
      yield* queue.requestSync(acme, connectionId)
      const jobs = yield* jobsOf(connectionId)
      assert.lengthOf(jobs, 1)
      assert.strictEqual(jobs[0]?.run_at.getTime(), retryAt.getTime())
    }).pipe(Effect.scoped),
  )

  it.effect("the API role cannot change runs", () =>
    Effect.gen(function* () {
      const queue = yield* SyncQueue
      const connectionId = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const run = yield* queue.requestSync(acme, connectionId)
      const app = yield* PgDatabase.PgDatabase
      const refused = yield* Effect.flip(
        Effect.tryPromise(() =>
          app.updateTable("sync_runs").set({ status: "failed" }).where("id", "=", run.id).execute(),
        ),
      )
      assert.include(String(refused.error), "permission denied")
    }).pipe(Effect.scoped),
  )

  it.effect("a sync's start, progress, deferral and end write only its runs, never the connection's row", () =>
    Effect.gen(function* () {
      const queue = yield* SyncQueue
      const owner = yield* TestDatabase.ownerKysely
      const connectionId = yield* insertConnection(owner, acme)
      // xmin names the transaction that wrote the row's current version: any update, even of nothing, replaces it
      const version = Effect.promise(() =>
        sql<{
          xmin: string
          updated_at: Date
        }>`select xmin::text, updated_at from connections where id = ${connectionId}`
          .execute(owner)
          .then((result) => result.rows[0]),
      )
      const before = yield* version
      assert.isDefined(before)
      const run = yield* queue.requestSync(acme, connectionId)
      const worker = PgSyncQueue.make({ db: yield* asRole("finch_worker") })
      const deferred = yield* worker.claimRuns(acme, connectionId)
      yield* worker.deferRuns(acme, connectionId, deferred, {
        retryAt: new Date(Date.now() + 60_000),
        reason: "rate limited",
        countsAsRetry: false,
      })
      const claimed = yield* worker.claimRuns(acme, connectionId)
      assert.deepStrictEqual(claimed, [run.id])
      yield* worker.recordProgress(acme, claimed, { pages: 1, individuals: 2, employments: 2, failedItems: 0 })
      const records = { added: 2, updated: 0, removed: 0, unchanged: 0 }
      yield* worker.finishRuns(acme, connectionId, claimed, { _tag: "Succeeded", records })
      const [finished] = yield* queue.listRuns(acme, connectionId)
      assert.strictEqual(finished?.status, "succeeded")
      assert.deepStrictEqual(yield* version, before)
    }).pipe(Effect.scoped),
  )

  it.effect("the shared rate budget lets exactly the limit through, however many sessions ask at once", () =>
    Effect.gen(function* () {
      const budgets = [
        PgRateBudget.make({ db: yield* asRole("finch_worker") }),
        PgRateBudget.make({ db: yield* asRole("finch_worker") }),
        PgRateBudget.make({ db: yield* asRole("finch_app") }),
      ]
      const waits = yield* Effect.forEach(
        Array.from({ length: 24 }, (_, n) => budgets[n % budgets.length]!),
        (budget) => budget.tryTake("app-1:POST /employer/individual", 5, Duration.seconds(30)),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(waits.filter(Either.isRight).length, 5)
      for (const wait of waits.filter(Either.isLeft)) {
        assert.isAtMost(Duration.toMillis(wait.left), 30_000)
      }
      // another key has its own budget
      assert.isTrue(Either.isRight(yield* budgets[0]!.tryTake("app-1:GET /employer/directory", 5, "30 seconds")))
      // a slot frees up once the window has passed
      yield* budgets[0]!.take("app-2:x", 1, "300 millis")
      const before = Date.now()
      yield* budgets[1]!.take("app-2:x", 1, "300 millis")
      assert.isAtLeast(Date.now() - before, 250)
    }).pipe(Effect.scoped),
  )

  it.effect("a settled slot is counted for a window from its settle, and settling touches no other slot", () =>
    Effect.gen(function* () {
      const budget = PgRateBudget.make({ db: yield* asRole("finch_worker") })
      const owner = yield* TestDatabase.ownerKysely
      const key = "app-3:GET /employer/payment"
      const other = "app-3:GET /employer/company"
      const stampOf = (slot: PgRateBudget.RateSlot) =>
        Effect.promise(() =>
          sql<{ taken_at: Date }>`select taken_at from rate_budget.slots where id = ${slot.id}::bigint`
            .execute(owner)
            .then(({ rows }) => rows.map((row) => row.taken_at.getTime())),
        )
      // Stands for a request that began `seconds` ago.
      const backdate = (slot: PgRateBudget.RateSlot, seconds: number) =>
        Effect.promise(() =>
          sql`update rate_budget.slots set taken_at = taken_at - make_interval(secs => ${seconds}::integer)
            where id = ${slot.id}::bigint`.execute(owner),
        )
      const waitFor = (forKey: string) =>
        Effect.map(budget.tryTake(forKey, 1, "60 seconds"), (taken) =>
          Either.isLeft(taken) ? Duration.toMillis(taken.left) : 0,
        )

      const slot = yield* budget.take(key, 1, "60 seconds")
      const untouched = yield* budget.take(other, 1, "60 seconds")
      yield* backdate(slot, 50)
      const untouchedStamp = yield* stampOf(untouched)
      // Taken 50 s ago: it would free up within 10 s.
      assert.isAtMost(yield* waitFor(key), 10_000)

      const before = yield* stampOf(slot)
      yield* budget.settle(slot)
      const after = yield* stampOf(slot)
      assert.lengthOf(after, 1)
      assert.isAbove(after[0]!, before[0]!)
      // Its request ended now: the window starts over from the settle.
      assert.isAbove(yield* waitFor(key), 50_000)
      // Once a window has passed since the settle, it frees up.
      yield* backdate(slot, 61)
      assert.strictEqual(yield* waitFor(key), 0)

      // The other key's slot kept its stamp, even against a settle naming its id under the wrong key.
      yield* budget.settle({ key, id: untouched.id })
      assert.deepStrictEqual(yield* stampOf(untouched), untouchedStamp)
      assert.isAbove(yield* waitFor(other), 50_000)
    }).pipe(Effect.scoped),
  )

  it.effect("a slot whose window passed while its request was in flight is counted again from its settle", () =>
    Effect.gen(function* () {
      const budget = PgRateBudget.make({ db: yield* asRole("finch_app") })
      const owner = yield* TestDatabase.ownerKysely
      const key = "app-4:POST /employer/individual"
      const slot = yield* budget.take(key, 1, "60 seconds")
      // The next take found it out of the window and deleted it.
      yield* Effect.promise(() => sql`delete from rate_budget.slots where id = ${slot.id}::bigint`.execute(owner))
      yield* budget.settle(slot)
      const taken = yield* budget.tryTake(key, 1, "60 seconds")
      assert.isTrue(Either.isLeft(taken) && Duration.toMillis(taken.left) > 50_000)
    }).pipe(Effect.scoped),
  )
})
