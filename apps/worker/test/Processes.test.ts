/**
 * Real worker processes (`src/main.ts` as child processes) on one queue: killed with SIGKILL mid-sync, stopped with
 * SIGTERM, and two of them sharing ten connections under the sandbox's Finch rate limits.
 */
import { assert, describe, it } from "@effect/vitest"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import type { SyncRun } from "@finch-connections/core/SyncQueue"
import { Duration, Effect, Option, Schedule } from "effect"
import { sql } from "kysely"
import { harness, pollUntil } from "./fixtures/WorkerHarness.ts"

const finished = ["succeeded", "partial", "failed"] as const

/** A connection's rows, each with the row version it is stored as (`xmin`: the transaction that wrote it). */
const snapshotRows = (h: Effect.Effect.Success<ReturnType<typeof harness>>, connectionId: ConnectionId) =>
  Effect.promise(() =>
    h.owner
      .selectFrom("employee_records")
      .select(["individual_id", "content_digest", "first_seen_at", "updated_at", "removed_at"])
      .select(sql<string>`xmin::text`.as("xmin"))
      .where("connection_id", "=", connectionId)
      .orderBy("individual_id")
      .execute(),
  )

const midSync = (h: Effect.Effect.Success<ReturnType<typeof harness>>, customerId: CustomerId, run: SyncRun) =>
  pollUntil(
    h.waitForRun(customerId, run.id, ["running"]),
    (r) => r.progress.individuals > 0,
    Duration.seconds(60),
    "the sync never got to its employments",
  )

describe("worker processes", () => {
  it.scopedLive(
    "kill -9 mid-sync: the previous snapshot stays whole, a new worker takes the job back and completes it, no row twice",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 40 })
        const first = yield* h.spawnWorker()
        const initial = yield* h.requestSync(customerId, connectionId)
        assert.strictEqual(
          (yield* h.waitForRun(customerId, initial.id, finished, Duration.seconds(60))).status,
          "succeeded",
        )
        const before = yield* snapshotRows(h, connectionId)
        assert.lengthOf(before, 40)

        // the next sync stalls on its employments; the worker dies there
        yield* h.admin("POST", "/faults", { path: "/employer/employment", latency_ms: 10_000, count: 1 })
        const run = yield* h.requestSync(customerId, connectionId)
        yield* midSync(h, customerId, run)
        first.child.kill("SIGKILL")
        assert.strictEqual((yield* first.exited).signal, "SIGKILL")
        // what readers see meanwhile: the whole previous snapshot, untouched
        assert.deepStrictEqual(yield* snapshotRows(h, connectionId), before)

        yield* h.spawnWorker()
        const done = yield* h.waitForRun(customerId, run.id, finished, Duration.seconds(60))
        assert.strictEqual(done.status, "succeeded")
        assert.strictEqual(done.attempts, 2)
        assert.deepStrictEqual(done.records, { added: 0, updated: 0, removed: 0, unchanged: 40 })
        // the same data again: the same 40 rows, none twice, none removed, not one rewritten (same row versions)
        const after = yield* snapshotRows(h, connectionId)
        assert.lengthOf(after, 40)
        assert.strictEqual(new Set(after.map((row) => row.individual_id)).size, 40)
        assert.isTrue(after.every((row) => row.removed_at === null && row.content_digest !== null))
        assert.deepStrictEqual(after, before)
        // and they were last seen by this run: the connection's last successful sync
        const lastSucceeded = yield* Effect.promise(() =>
          h.owner
            .selectFrom("sync_runs")
            .select("id")
            .where("connection_id", "=", connectionId)
            .where("status", "=", "succeeded")
            .orderBy("finished_at", "desc")
            .limit(1)
            .executeTakeFirstOrThrow(),
        )
        assert.strictEqual(lastSucceeded.id, run.id)
      }),
  )

  it.scopedLive("SIGTERM: the running sync finishes, no new job is taken, the process exits 0", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const a = yield* h.connect("acme", { employee_size: 10 })
      const b = yield* h.connect("acme", { employee_size: 10 })
      const worker = yield* h.spawnWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: "20000", WORKER_CONCURRENCY: "1" })
      yield* h.admin("POST", "/faults", { path: "/employer/employment", latency_ms: 2_000, count: 1 })
      const running = yield* h.requestSync(a.customerId, a.connectionId)
      yield* midSync(h, a.customerId, running)
      worker.child.kill("SIGTERM")
      yield* Effect.sleep(Duration.millis(200))
      const later = yield* h.requestSync(b.customerId, b.connectionId)
      const exit = yield* worker.exited
      assert.deepStrictEqual(exit, { code: 0, signal: null })
      assert.strictEqual((yield* h.waitForRun(a.customerId, running.id, finished)).status, "succeeded")
      assert.strictEqual((yield* h.waitForRun(b.customerId, later.id, ["queued", ...finished])).status, "queued")
    }),
  )

  it.scopedLive(
    "SIGTERM with a sync longer than the shutdown timeout: it is released, the process exits 0, the next worker runs it",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 10 })
        const worker = yield* h.spawnWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: "500" })
        yield* h.admin("POST", "/faults", { path: "/employer/employment", latency_ms: 8_000, count: 1 })
        const run = yield* h.requestSync(customerId, connectionId)
        yield* midSync(h, customerId, run)
        worker.child.kill("SIGTERM")
        assert.deepStrictEqual(yield* worker.exited, { code: 0, signal: null })
        // released, not failed: the job is back in the queue and the run waits for it
        const jobs = yield* Effect.promise(() =>
          sql<{ locked_by: string | null; last_error: string | null }>`select locked_by, last_error
          from graphile_worker._private_jobs where key = ${`sync:${connectionId}`}`.execute(h.owner),
        )
        assert.lengthOf(jobs.rows, 1)
        assert.isNull(jobs.rows[0]?.locked_by)
        const released = yield* h.waitForRun(customerId, run.id, ["queued", "running", ...finished])
        assert.strictEqual(released.status, "queued")
        assert.deepStrictEqual(Option.getOrNull(released.error), "released by a worker that stopped")
        yield* h.spawnWorker()
        const done = yield* h.waitForRun(customerId, run.id, finished, Duration.seconds(60))
        assert.strictEqual(done.status, "succeeded")
      }),
  )

  it.scopedLive(
    "two worker processes, ten connections: each connection synced once at a time, all synced, under Finch's limits",
    () =>
      Effect.gen(function* () {
        const h = yield* harness({ sandbox: { rateLimits: "finch" } })
        const connections = yield* Effect.forEach(
          Array.from({ length: 10 }, (_, n) => n),
          (n) => h.connect(`customer-${n % 3}`, { employee_size: 30 }),
        )
        // Finch's minute in 5 s: the sandbox's clock runs 12 times faster, the workers' budget window matches
        const speed = 12
        let advancedTo = Date.now()
        yield* Effect.suspend(() => {
          const ms = Math.floor((speed - 1) * (Date.now() - advancedTo))
          advancedTo += ms / (speed - 1)
          return ms > 0 ? h.admin("POST", "/clock/advance", { ms }) : Effect.void
        }).pipe(Effect.repeat(Schedule.spaced(Duration.millis(20))), Effect.forkScoped)
        const budget = { WORKER_CONCURRENCY: "3", FINCH_RATE_WINDOW_MS: String(60_000 / speed) }
        yield* h.spawnWorker(budget)
        yield* h.spawnWorker(budget)
        // two requests per connection: the second comes while the first may run, so it is a second run
        const runs = yield* Effect.forEach(connections, ({ customerId, connectionId }) =>
          Effect.gen(function* () {
            const first = yield* h.requestSync(customerId, connectionId)
            yield* Effect.sleep(Duration.millis(30))
            const second = yield* h.requestSync(customerId, connectionId)
            return { customerId, connectionId, ids: [...new Set([first.id, second.id])] }
          }),
        )
        const all = yield* Effect.forEach(runs, ({ customerId, ids }) =>
          Effect.forEach(ids, (id) => h.waitForRun(customerId, id, finished, Duration.seconds(90))),
        )
        // two more syncs of every connection: at least 30 per endpoint, more than Finch's 20 a minute
        const more = yield* Effect.forEach(
          connections,
          ({ customerId, connectionId }) =>
            Effect.forEach([1, 2], () =>
              Effect.flatMap(h.requestSync(customerId, connectionId), (run) =>
                h.waitForRun(customerId, run.id, finished, Duration.seconds(90)),
              ),
            ),
          { concurrency: "unbounded" },
        )
        assert.isTrue([...all, ...more].flat().every((run) => run.status === "succeeded"))

        // runs of one connection never overlapped
        const rows = yield* Effect.promise(() =>
          h.owner.selectFrom("sync_runs").select(["connection_id", "started_at", "finished_at"]).execute(),
        )
        for (const { connectionId } of connections) {
          const spans = rows
            .filter((row) => row.connection_id === connectionId)
            .map((row) => [row.started_at!.getTime(), row.finished_at!.getTime()] as const)
            .sort((x, y) => x[0] - y[0])
          for (let i = 1; i < spans.length; i++) assert.isAtLeast(spans[i]![0], spans[i - 1]![1])
        }
        // the sandbox never had to refuse: together the processes stayed under the per-application limits
        const log = yield* h.requests
        assert.isFalse(log.requests.some((request) => request.status === 429))
        const synced = new Set(rows.map((row) => row.connection_id))
        assert.strictEqual(synced.size, 10)
        assert.isAtLeast(log.counts["POST /employer/individual"] ?? 0, 30)
      }),
  )

  // A heartbeat sent just before a long reconciliation held the event loop reaches the database before the hold and
  // is answered after it, so the sweep that follows sees its own pool's heartbeat as stale. A process is alive when it
  // sweeps: it must not hand its own running jobs to another worker (which would run the sync a second time).
  it.scopedLive("a worker's sweep never unlocks its own pool's jobs, however stale its heartbeat looks", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* h.startWorker()
      const pools = yield* pollUntil(
        Effect.promise(() => sql<{ pool_id: string }>`select pool_id from job_queue.worker_pools`.execute(h.owner)),
        (result) => result.rows.length === 1,
        Duration.seconds(10),
        "the worker never registered its pool",
      )
      const own = pools.rows[0]!.pool_id
      // its heartbeat frozen an hour old, as if the event loop had been held that long
      yield* Effect.promise(async () => {
        await sql`update job_queue.worker_pools set heartbeat_at = now() - interval '1 hour'`.execute(h.owner)
        await sql
          .raw(`create function public.keep_heartbeat_stale() returns trigger language plpgsql as $$
          begin new.heartbeat_at := old.heartbeat_at; return new; end $$`)
          .execute(h.owner)
        await sql`create trigger keep_heartbeat_stale before update on job_queue.worker_pools
          for each row execute function public.keep_heartbeat_stale()`.execute(h.owner)
      })
      // two jobs due in an hour, locked an hour ago: one by this worker's pool, one by a pool that is gone
      const lockedBy = (pool: string, key: string) =>
        Effect.promise(async () => {
          await sql`select graphile_worker.add_job('check_connection', '{}'::json,
            run_at := now() + interval '1 hour', job_key := ${key})`.execute(h.owner)
          await sql`update graphile_worker._private_jobs set locked_by = ${pool}, locked_at = now() - interval '1 hour'
            where key = ${key}`.execute(h.owner)
        })
      yield* lockedBy(own, "held-by-own-pool")
      yield* lockedBy("a-pool-that-died", "held-by-dead-pool")
      const locks = Effect.promise(() =>
        sql<{ key: string; locked_by: string | null }>`select key, locked_by from graphile_worker._private_jobs
          where key like 'held-by-%' order by key`
          .execute(h.owner)
          .then((result) => result.rows),
      )
      // the dead pool's job is unlocked by a sweep (heartbeat every 250 ms, stale after 1.5 s) …
      yield* pollUntil(
        locks,
        (rows) => rows.find((row) => row.key === "held-by-dead-pool")?.locked_by === null,
        Duration.seconds(10),
        "the sweep never unlocked the dead pool's job",
      )
      // … and several sweeps later the worker's own job is still its own
      yield* Effect.sleep(Duration.seconds(1))
      const after = yield* locks
      assert.deepStrictEqual(after, [
        { key: "held-by-dead-pool", locked_by: null },
        { key: "held-by-own-pool", locked_by: own },
      ])
    }),
  )
})
