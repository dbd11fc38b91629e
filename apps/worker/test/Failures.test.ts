/**
 * How a sync behaves when Finch does not simply answer: each case is a fault injected at the sandbox (or, for a
 * fault aimed at one connection, at a proxy in front of it), with a worker in this process.
 */
import { assert, describe, it } from "@effect/vitest"
import { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import { Duration, Effect, Option } from "effect"
import { finchProxy } from "./fixtures/FinchProxy.ts"
import { harness } from "./fixtures/WorkerHarness.ts"

const finished = ["succeeded", "partial", "failed"] as const

describe("sync_connection when Finch fails", () => {
  it.scopedLive(
    "401 reauthenticate_user: the account is marked with an audit event, its token is not retried, the run fails with the reason",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const { customerId, connectionId, minted } = yield* h.connect("acme")
        yield* h.admin("POST", `/connections/${minted.connection_id}/status`, { status: "reauth" })
        yield* h.startWorker()
        const run = yield* h.requestSync(customerId, connectionId)
        const done = yield* h.waitForRun(customerId, run.id, finished)
        assert.strictEqual(done.status, "failed")
        assert.include(Option.getOrThrow(done.error), "reauthenticate")
        assert.strictEqual(done.attempts, 1)

        const connection = yield* Effect.promise(() =>
          h.owner.selectFrom("connections").select("status").where("id", "=", connectionId).executeTakeFirstOrThrow(),
        )
        assert.strictEqual(connection.status, "reauth_required")
        const audit = yield* Effect.promise(() =>
          h.owner
            .selectFrom("audit_events")
            .select(["kind", "source"])
            .where("connection_id", "=", connectionId)
            .where("kind", "=", "reauth_required")
            .execute(),
        )
        assert.deepStrictEqual(audit, [{ kind: "reauth_required", source: "finch_401" }])
        // one refused call, nothing after it with that token
        const log = yield* h.requests
        const data = log.requests.filter((request) => request.path.startsWith("/employer/"))
        assert.deepStrictEqual(
          data.map((request) => `${request.path} ${request.status}`),
          ["/employer/directory 401"],
        )
      }),
  )

  it.scopedLive("429 with Retry-After: the run waits in the queue for that long, then completes", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme")
      yield* h.admin("POST", "/faults", { path: "/employer/individual", status: 429, count: 1, retry_after: 2 })
      yield* h.startWorker()
      const run = yield* h.requestSync(customerId, connectionId)
      const waiting = yield* h
        .waitForRun(customerId, run.id, ["queued"], Duration.seconds(20))
        .pipe(Effect.repeat({ until: (r) => Option.isSome(r.retryAt) }))
      assert.include(Option.getOrThrow(waiting.error), "rate limited")
      const done = yield* h.waitForRun(customerId, run.id, finished)
      assert.strictEqual(done.status, "succeeded")
      assert.strictEqual(done.attempts, 2)
      const individuals = (yield* h.requests).requests.filter((request) => request.path === "/employer/individual")
      assert.deepStrictEqual(
        individuals.map((request) => request.status),
        [429, 200],
      )
      const waited = Date.parse(individuals[1]!.at) - Date.parse(individuals[0]!.at)
      assert.isAtLeast(waited, 2_000)
    }),
  )

  it.scopedLive("202 data_sync_in_progress: retried later, never counted as a failure", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme")
      yield* h.admin("POST", "/faults", { path: "/employer/directory", status: 202, count: 3 })
      // no retries left for errors: a 202 counted as one would fail the run
      yield* h.startWorker({
        worker: {
          sync: {
            maxRetries: 0,
            retryDelay: Duration.millis(100),
            dataPendingDelay: Duration.millis(200),
            rateLimitDelay: Duration.millis(200),
          },
        },
      })
      const run = yield* h.requestSync(customerId, connectionId)
      const done = yield* h.waitForRun(customerId, run.id, finished)
      assert.strictEqual(done.status, "succeeded")
      assert.strictEqual(done.attempts, 4)
    }),
  )

  it.scopedLive(
    "5xx that keep coming: bounded retries with backoff, then a failed run with the reason; other connections sync on",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const failing = yield* h.connect("acme", { employee_size: 10 })
        const healthy = yield* h.connect("acme", { employee_size: 10 })
        const proxy = yield* finchProxy(h.sandbox.baseUrl, {
          answer: (call) =>
            call.token === failing.minted.access_token && call.path.startsWith("/employer/")
              ? {
                  status: 502,
                  body: {
                    code: 502,
                    name: "bad_gateway_error",
                    finch_code: "upstream_provider_error",
                    message: "upstream down",
                  },
                }
              : undefined,
        })
        yield* h.startWorker({ finch: { baseUrl: proxy.baseUrl, maxRetries: 1 } })
        const failingRun = yield* h.requestSync(failing.customerId, failing.connectionId)
        const healthyRun = yield* h.requestSync(healthy.customerId, healthy.connectionId)
        const healthyDone = yield* h.waitForRun(healthy.customerId, healthyRun.id, finished)
        assert.strictEqual(healthyDone.status, "succeeded")
        const failed = yield* h.waitForRun(failing.customerId, failingRun.id, finished)
        assert.strictEqual(failed.status, "failed")
        assert.include(Option.getOrThrow(failed.error), "502")
        assert.include(Option.getOrThrow(failed.error), "after 2 retries")
        // the first try and two retries, each with the client's own retry: six calls, then nothing
        assert.strictEqual(failed.attempts, 3)
        // a later request still works for the healthy connection
        const again = yield* h.requestSync(healthy.customerId, healthy.connectionId)
        assert.strictEqual((yield* h.waitForRun(healthy.customerId, again.id, finished)).status, "succeeded")
      }),
  )

  it.scopedLive("a timeout is retried later and the sync completes", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme")
      yield* h.admin("POST", "/faults", { path: "/employer/employment", latency_ms: 2_000, count: 1 })
      yield* h.startWorker({ finch: { timeout: "500 millis", maxRetries: 0 } })
      const run = yield* h.requestSync(customerId, connectionId)
      const done = yield* h.waitForRun(customerId, run.id, finished)
      assert.strictEqual(done.status, "succeeded")
      assert.strictEqual(done.attempts, 2)
    }),
  )

  it.scopedLive("failed items of a batch are recorded on the run; the rest of the batch is kept", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 8 })
      let refused: string | undefined
      const proxy = yield* finchProxy(h.sandbox.baseUrl, {
        rewrite: (call, body) => {
          if (call.path !== "/employer/employment") return body
          const { responses } = body as { responses: Array<{ individual_id: string }> }
          refused = responses[0]!.individual_id
          return {
            responses: [
              {
                individual_id: refused,
                code: 404,
                body: { code: 404, name: "not_found_error", finch_code: "individual_not_found", message: "not found" },
              },
              ...responses.slice(1),
            ],
          }
        },
      })
      yield* h.startWorker({ finch: { baseUrl: proxy.baseUrl } })
      const run = yield* h.requestSync(customerId, connectionId)
      const done = yield* h.waitForRun(customerId, run.id, finished)
      assert.strictEqual(done.status, "partial")
      assert.deepStrictEqual(done.progress, { pages: 1, individuals: 8, employments: 7, failedItems: 1 })
      assert.deepStrictEqual(done.failedItems, [
        {
          operation: "POST /employer/employment",
          individualId: refused!,
          code: 404,
          finchCode: "individual_not_found",
          message: "not found",
        },
      ])
      const records = yield* h.app(
        Effect.flatMap(EmployeeStore, (store) => store.listByConnection(customerId, connectionId)),
      )
      assert.lengthOf(records, 8)
      assert.strictEqual(records.filter((record) => Option.isNone(record.employment)).length, 1)
    }),
  )
  it.scopedLive("a later sync in which Finch fails an individual and an employment keeps their previous records", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 8 })
      let armed = false
      const refuse = (body: unknown, index: number) => {
        const { responses } = body as { responses: Array<{ individual_id: string }> }
        const refused = responses[index]!
        return {
          responses: responses.map((item) =>
            item === refused
              ? {
                  individual_id: item.individual_id,
                  code: 500,
                  body: { code: 500, name: "server_error", finch_code: "provider_error", message: "try later" },
                }
              : item,
          ),
        }
      }
      const proxy = yield* finchProxy(h.sandbox.baseUrl, {
        rewrite: (call, body) =>
          !armed
            ? body
            : call.path === "/employer/individual"
              ? refuse(body, 0)
              : call.path === "/employer/employment"
                ? refuse(body, 1)
                : body,
      })
      yield* h.startWorker({ finch: { baseUrl: proxy.baseUrl } })
      const first = yield* h.requestSync(customerId, connectionId)
      assert.strictEqual((yield* h.waitForRun(customerId, first.id, finished)).status, "succeeded")
      armed = true
      const second = yield* h.requestSync(customerId, connectionId)
      const done = yield* h.waitForRun(customerId, second.id, finished)
      assert.strictEqual(done.status, "partial")
      assert.deepStrictEqual(done.progress, { pages: 1, individuals: 7, employments: 7, failedItems: 2 })
      // nobody is taken for gone, and the failed employment keeps the previous one
      assert.strictEqual(done.records.removed, 0)
      const records = yield* h.app(
        Effect.flatMap(EmployeeStore, (store) => store.listByConnection(customerId, connectionId)),
      )
      assert.lengthOf(records, 8)
      assert.isTrue(records.every((record) => Option.isSome(record.employment)))
    }),
  )
})
