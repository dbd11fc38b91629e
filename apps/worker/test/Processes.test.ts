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
})
