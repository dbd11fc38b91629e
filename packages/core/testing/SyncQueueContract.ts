/**
 * The behaviour every `SyncQueue` must have, as one suite to run against each implementation. Connections are
 * created through the `ConnectionRepository` of the same layer; cases use fresh ids, so no clearing is needed.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { ConnectionId, type CustomerId } from "../src/Ids.ts"
import { SyncId, SyncQueue } from "../src/SyncQueue.ts"
import * as Fixtures from "./Fixtures.ts"

const newConnection = (customerId?: CustomerId) =>
  Effect.gen(function* () {
    const customers = yield* CustomerRepository
    const connections = yield* ConnectionRepository
    const owner = customerId ?? (yield* customers.create(Fixtures.customer())).id
    const { connection } = yield* connections.recordToken({
      customerId: owner,
      introspection: Fixtures.oldModelToken(),
      accessToken: Fixtures.accessToken(),
    })
    return { customerId: owner, connectionId: connection.id }
  })

const records = { added: 3, updated: 1, removed: 1, unchanged: 5 }

/**
 * Registers the `SyncQueue` contract for the implementation `layer` provides (with the `ConnectionRepository` and
 * `CustomerRepository` it checks connections against), under the name `name`.
 */
export const syncQueueContract = <E>(
  name: string,
  layer_: Layer.Layer<SyncQueue | ConnectionRepository | CustomerRepository, E>,
): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(`SyncQueue contract: ${name}`, (it) => {
    it.effect("a request queues a run; requests before it starts get the same run", () =>
      Effect.gen(function* () {
        const queue = yield* SyncQueue
        const { customerId, connectionId } = yield* newConnection()
        const first = yield* queue.requestSync(customerId, connectionId)
        assert.strictEqual(first.status, "queued")
        assert.strictEqual(first.reason, "api")
        assert.deepStrictEqual(first.progress, { pages: 0, individuals: 0, employments: 0, failedItems: 0 })
        assert.isTrue(Option.isNone(first.startedAt))
        const second = yield* queue.requestSync(customerId, connectionId, { reason: "webhook" })
        assert.strictEqual(second.id, first.id)
        assert.deepStrictEqual(yield* queue.getRun(customerId, first.id), first)
      }),
    )

    it.effect("another customer's connection and run look unknown", () =>
      Effect.gen(function* () {
        const queue = yield* SyncQueue
        const mine = yield* newConnection()
        const theirs = yield* newConnection()
        const run = yield* queue.requestSync(mine.customerId, mine.connectionId)
        const refused = yield* Effect.flip(queue.requestSync(theirs.customerId, mine.connectionId))
        assert.strictEqual(refused._tag, "ConnectionNotFound")
        const hidden = yield* Effect.flip(queue.getRun(theirs.customerId, run.id))
        assert.strictEqual(hidden._tag, "SyncRunNotFound")
        const unknown = yield* Effect.flip(queue.requestSync(mine.customerId, ConnectionId.make(Fixtures.uuid())))
        assert.strictEqual(unknown._tag, "ConnectionNotFound")
        const noRun = yield* Effect.flip(queue.getRun(mine.customerId, SyncId.make(Fixtures.uuid())))
        assert.strictEqual(noRun._tag, "SyncRunNotFound")
        assert.lengthOf(yield* queue.listRuns(theirs.customerId, mine.connectionId), 0)
      }),
    )

    it.effect("a claimed run reports progress and failed items, then its outcome", () =>
      Effect.gen(function* () {
        const queue = yield* SyncQueue
        const { customerId, connectionId } = yield* newConnection()
        const run = yield* queue.requestSync(customerId, connectionId)
        const claimed = yield* queue.claimRuns(customerId, connectionId)
        assert.deepStrictEqual(claimed, [run.id])
        const running = yield* queue.getRun(customerId, run.id)
        assert.strictEqual(running.status, "running")
        assert.strictEqual(running.attempts, 1)
        assert.isTrue(Option.isSome(running.startedAt))

        const failed = {
          operation: "POST /employer/employment",
          individualId: "i-9",
          code: 404,
          finchCode: "individual_not_found",
          message: "not found",
        }
        yield* queue.recordProgress(customerId, claimed, { pages: 1, individuals: 10, employments: 0, failedItems: 0 })
        yield* queue.recordProgress(
          customerId,
          claimed,
          { pages: 1, individuals: 10, employments: 9, failedItems: 1 },
          [failed],
        )
        const progressed = yield* queue.getRun(customerId, run.id)
        assert.deepStrictEqual(progressed.progress, { pages: 1, individuals: 10, employments: 9, failedItems: 1 })
        assert.deepStrictEqual(progressed.failedItems, [failed])

        yield* queue.finishRuns(customerId, connectionId, claimed, { _tag: "Partial", records })
        const finished = yield* queue.getRun(customerId, run.id)
        assert.strictEqual(finished.status, "partial")
        assert.deepStrictEqual(finished.records, records)
        assert.isTrue(Option.isSome(finished.finishedAt))
        assert.deepStrictEqual(yield* queue.claimRuns(customerId, connectionId), [])
      }),
    )

    it.effect("a request while a sync runs is a new run; the next claim takes it", () =>
      Effect.gen(function* () {
        const queue = yield* SyncQueue
        const { customerId, connectionId } = yield* newConnection()
        const first = yield* queue.requestSync(customerId, connectionId)
        yield* queue.claimRuns(customerId, connectionId)
        const second = yield* queue.requestSync(customerId, connectionId)
        assert.notStrictEqual(second.id, first.id)
        assert.strictEqual(second.status, "queued")
        yield* queue.finishRuns(customerId, connectionId, [first.id], { _tag: "Succeeded", records })
        assert.deepStrictEqual(yield* queue.claimRuns(customerId, connectionId), [second.id])
        const listed = yield* queue.listRuns(customerId, connectionId)
        assert.deepStrictEqual(
          listed.map((run) => run.id),
          [second.id, first.id],
        )
      }),
    )

    it.effect("a deferred run waits with its reason; only transient errors count as retries", () =>
      Effect.gen(function* () {
        const queue = yield* SyncQueue
        const { customerId, connectionId } = yield* newConnection()
        const run = yield* queue.requestSync(customerId, connectionId)
        const claimed = yield* queue.claimRuns(customerId, connectionId)
        const retryAt = new Date(Date.now() + 60_000)
        yield* queue.deferRuns(customerId, connectionId, claimed, {
          retryAt,
          reason: "rate limited",
          countsAsRetry: false,
        })
        const waiting = yield* queue.getRun(customerId, run.id)
        assert.strictEqual(waiting.status, "queued")
        assert.deepStrictEqual(Option.getOrNull(waiting.error), "rate limited")
        assert.strictEqual(Option.getOrNull(waiting.retryAt)?.getTime(), retryAt.getTime())
        assert.strictEqual(yield* queue.retriesOf(customerId, claimed), 0)
        // a request meanwhile joins the waiting run
        assert.strictEqual((yield* queue.requestSync(customerId, connectionId)).id, run.id)

        const again = yield* queue.claimRuns(customerId, connectionId)
        assert.deepStrictEqual(again, [run.id])
        yield* queue.deferRuns(customerId, connectionId, again, {
          retryAt: new Date(),
          reason: "HTTP 502",
          countsAsRetry: true,
        })
        assert.strictEqual(yield* queue.retriesOf(customerId, again), 1)
        const third = yield* queue.claimRuns(customerId, connectionId)
        assert.strictEqual((yield* queue.getRun(customerId, run.id)).attempts, 3)
        yield* queue.finishRuns(customerId, connectionId, third, { _tag: "Failed", error: "HTTP 502 three times" })
        const failed = yield* queue.getRun(customerId, run.id)
        assert.strictEqual(failed.status, "failed")
        assert.deepStrictEqual(Option.getOrNull(failed.error), "HTTP 502 three times")
      }),
    )
  })
}
