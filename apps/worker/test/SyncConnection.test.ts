/**
 * The `sync_connection` job end to end: a request through the API's side of the queue, a worker in this process on
 * graphile-worker, the Finch client against the sandbox, the snapshot in PostgreSQL, then the reconciliation.
 */
import { assert, describe, it } from "@effect/vitest"
import { Customer } from "@finch-connections/core/Customer"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import { CustomerId } from "@finch-connections/core/Ids"
import { PersonStore } from "@finch-connections/core/PersonStore"
import { Duration, Effect, Option } from "effect"
import { sql } from "kysely"
import { harness, pollUntil } from "./fixtures/WorkerHarness.ts"

describe("sync_connection", () => {
  it.scopedLive(
    "fetches the directory, individuals and employments in one request each, writes the snapshot, then reconciles",
    () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 150 })
        yield* h.startWorker()
        const run = yield* h.requestSync(customerId, connectionId)
        const done = yield* h.waitForRun(customerId, run.id, ["succeeded", "partial", "failed"])
        assert.strictEqual(done.status, "succeeded")
        assert.deepStrictEqual(done.progress, { pages: 1, individuals: 150, employments: 150, failedItems: 0 })
        assert.deepStrictEqual(done.records, { added: 150, updated: 0, removed: 0, unchanged: 0 })
        const log = yield* h.requests
        assert.strictEqual(log.counts["GET /employer/directory"], 1)
        assert.strictEqual(log.counts["POST /employer/individual"], 1)
        assert.strictEqual(log.counts["POST /employer/employment"], 1)
        const records = yield* h.app(
          Effect.flatMap(EmployeeStore, (store) => store.listByConnection(customerId, connectionId)),
        )
        assert.lengthOf(records, 150)
        assert.isTrue(records.every((record) => Option.isSome(record.employment)))

        // the customer's reconciliation was queued and ran: every record has a person
        const persons = yield* pollUntil(
          h.app(Effect.flatMap(PersonStore, (store) => store.previousPersons(customerId))),
          (found) => found.length > 0,
          Duration.seconds(30),
          "no reconciliation ran",
        )
        assert.isAbove(persons.length, 0)
        // the connection shows this sync as its last: its newest ended run (what the listing reads)
        const lastEnded = yield* Effect.promise(() =>
          h.owner
            .selectFrom("sync_runs")
            .select(["id", "status"])
            .where("connection_id", "=", connectionId)
            .where("finished_at", "is not", null)
            .orderBy("requested_at", "desc")
            .limit(1)
            .executeTakeFirstOrThrow(),
        )
        assert.deepStrictEqual(lastEnded, { id: run.id, status: "succeeded" })
      }),
  )

  it.scopedLive("a 10,000-employee company takes 3 data requests, and a complete read replaces the snapshot", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 10_000 })
      yield* h.startWorker()
      for (const round of [1, 2]) {
        const run = yield* h.requestSync(customerId, connectionId)
        const done = yield* h.waitForRun(customerId, run.id, ["succeeded", "partial", "failed"])
        assert.strictEqual(done.status, "succeeded")
        assert.deepStrictEqual(done.progress, { pages: 1, individuals: 10_000, employments: 10_000, failedItems: 0 })
        const log = yield* h.requests
        const data = log.requests.filter((request) =>
          ["/employer/directory", "/employer/individual", "/employer/employment"].includes(request.path),
        )
        assert.strictEqual(data.length, 3 * round)
        if (round === 2) assert.deepStrictEqual(done.records, { added: 0, updated: 0, removed: 0, unchanged: 10_000 })
      }
    }),
  )

  it.scopedLive("a sync requested before any worker started is kept and runs when one starts", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const { customerId, connectionId } = yield* h.connect("acme", { employee_size: 5 })
      const run = yield* h.requestSync(customerId, connectionId)
      const jobs = yield* Effect.promise(() =>
        sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs`.execute(h.owner),
      )
      assert.strictEqual(jobs.rows[0]?.n, 1)
      yield* h.startWorker()
      assert.strictEqual((yield* h.waitForRun(customerId, run.id, ["succeeded", "failed"])).status, "succeeded")
    }),
  )

  it.scopedLive("a multi-entity connection is read entity by entity, and each record keeps its entity", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const customerId = CustomerId.make("evergreen")
      yield* h
        .app(
          Effect.flatMap(CustomerRepository, (customers) =>
            customers.create(new Customer({ id: customerId, name: "Evergreen", createdAt: new Date() })),
          ),
        )
        .pipe(Effect.orDie)
      const scenario = yield* h.admin<{
        connections: ReadonlyArray<{ access_token: string; entity_ids: ReadonlyArray<string> }>
      }>("POST", "/scenarios/legal-entities", { customer_id: customerId })
      const login = scenario.connections[0]!
      assert.isAbove(login.entity_ids.length, 1)
      const connectionId = yield* h.recordToken(customerId, login.access_token)
      yield* h.startWorker()
      const run = yield* h.requestSync(customerId, connectionId)
      const done = yield* h.waitForRun(customerId, run.id, ["succeeded", "partial", "failed"])
      assert.strictEqual(done.status, "succeeded")
      const log = yield* h.requests
      const directory = log.requests.filter((request) => request.path === "/employer/directory")
      assert.strictEqual(directory.length, login.entity_ids.length)
      const records = yield* h.app(
        Effect.flatMap(EmployeeStore, (store) => store.listByConnection(customerId, connectionId)),
      )
      assert.deepStrictEqual(
        [...new Set(records.map((record) => Option.getOrThrow(record.entityId)))].sort(),
        [...login.entity_ids].sort(),
      )
    }),
  )
})
