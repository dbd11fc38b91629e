/**
 * The scheduled work: the tick that queues due syncs spread out, the connection check, and the reconciliation's
 * working memory kept between customers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { sql } from "kysely"
import { makeMemoryPool } from "../src/sync/ReconcileCustomer.ts"
import { spreadOffset } from "../src/Worker.ts"
import { harness, pollUntil } from "./fixtures/WorkerHarness.ts"

const schedule = {
  syncCron: "0 * * * *",
  cadence: Duration.hours(24),
  spread: Duration.hours(1),
  checkCron: "30 */6 * * *",
}

describe("scheduled work", () => {
  it.scopedLive("a schedule tick queues every connection not synced within the cadence, each at its own offset", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const due = yield* Effect.forEach([1, 2, 3], (n) => h.connect(`customer-${n}`, { employee_size: 3 }))
      const recent = yield* h.connect("customer-4", { employee_size: 3 })
      yield* h.startWorker({ worker: { schedule } })
      const synced = yield* h.requestSync(recent.customerId, recent.connectionId)
      yield* h.waitForRun(recent.customerId, synced.id, ["succeeded"])

      const before = Date.now()
      yield* Effect.promise(() => sql`select graphile_worker.add_job('schedule_syncs', '{}'::json)`.execute(h.owner))
      const jobs = yield* pollUntil(
        Effect.promise(() =>
          sql<{ key: string; run_at: Date }>`select key, run_at from graphile_worker._private_jobs
            where key like 'sync:%' order by key`
            .execute(h.owner)
            .then((result) => result.rows),
        ),
        (rows) => rows.length === 3,
        Duration.seconds(30),
        "the tick did not queue the due connections",
      )
      assert.deepStrictEqual(
        jobs.map((job) => job.key),
        due.map((c) => `sync:${c.connectionId}`).sort(),
      )
      for (const job of jobs) {
        const connectionId = job.key.slice("sync:".length)
        const offset = job.run_at.getTime() - before
        // at the connection's own offset within the hour (give or take the tick's own time)
        assert.approximately(offset, spreadOffset(connectionId, schedule.spread), 5_000)
      }
      const reasons = yield* Effect.promise(() =>
        h.owner
          .selectFrom("sync_runs")
          .select(["connection_id", "reason", "status"])
          .where("reason", "=", "schedule")
          .execute(),
      )
      assert.strictEqual(reasons.length, 3)
      assert.isTrue(reasons.every((run) => run.status === "queued"))
    }),
  )

  it.scopedLive("check_connection notices that Finch wants reauthentication before a sync fails on it", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId, minted } = yield* h.connect("acme", { employee_size: 3 })
      yield* h.admin("POST", `/connections/${minted.connection_id}/status`, { status: "reauth" })
      yield* h.startWorker()
      yield* Effect.promise(() =>
        sql`select graphile_worker.add_job('check_connection',
          json_build_object('customerId', ${customerId}::text, 'connectionId', ${connectionId}::text))`.execute(
          h.owner,
        ),
      )
      const connection = yield* pollUntil(
        Effect.promise(() =>
          h.owner.selectFrom("connections").select("status").where("id", "=", connectionId).executeTakeFirstOrThrow(),
        ),
        (row) => row.status === "reauth_required",
        Duration.seconds(30),
        "the check did not mark the connection",
      )
      assert.strictEqual(connection.status, "reauth_required")
      // introspection only: no data call was made
      assert.isFalse((yield* h.requests).requests.some((request) => request.path.startsWith("/employer/")))
    }),
  )

  it.live("reconciliations one after another reuse one working memory; overlapping ones get their own", () =>
    Effect.gen(function* () {
      const pool = makeMemoryPool(100)
      const seen: Array<unknown> = []
      for (let i = 0; i < 3; i++) yield* pool.use((memory) => Effect.sync(() => seen.push(memory)))
      assert.strictEqual(pool.allocated(), 1)
      assert.strictEqual(new Set(seen).size, 1)
      yield* Effect.all(
        [0, 1].map(() => pool.use(() => Effect.sleep(Duration.millis(10)))),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(pool.allocated(), 2)
    }),
  )
})
