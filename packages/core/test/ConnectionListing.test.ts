import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ConnectionListing from "../src/ConnectionListing.ts"
import * as Connections from "../src/Connections.ts"
import * as Customers from "../src/Customers.ts"
import { FinchMemory } from "../src/FinchGateway.ts"
import { CustomerId } from "../src/Ids.ts"
import * as SyncQueue from "../src/SyncQueue.ts"
import { CoreTest } from "../testing/CoreTest.ts"
import * as Fixtures from "../testing/Fixtures.ts"

const ListingTest = ConnectionListing.layerMemory.pipe(
  Layer.provideMerge(SyncQueue.layerMemory),
  Layer.provideMerge(CoreTest),
)
const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

describe("ConnectionListing (memory)", () => {
  it.effect("lists a customer's connections with their syncs, queued ones too; others' are not found", () =>
    Effect.gen(function* () {
      yield* Customers.createCustomer({ id: acme, name: "Acme" })
      yield* Customers.createCustomer({ id: globex, name: "Globex" })
      const finch = yield* FinchMemory
      yield* finch.grant(
        "code-1",
        Fixtures.unique("token"),
        Fixtures.introspection({ provider: "gusto", company: "c1", account: "a1" }),
      )
      const { connection } = yield* Connections.completeConnect({ customerId: acme, code: "code-1" })

      const before = yield* Connections.listConnectionsWithSyncs(acme)
      assert.deepStrictEqual(
        before.map((listed) => listed.connection.id),
        [connection.id],
      )
      assert.isTrue(Option.isNone(before[0]!.lastSync) && Option.isNone(ConnectionListing.currentSync(before[0]!)))

      const queue = yield* SyncQueue.SyncQueue
      const current = () =>
        Effect.map(Connections.getConnectionWithSync(acme, connection.id), (listed) => ({
          current: Option.getOrNull(
            Option.map(ConnectionListing.currentSync(listed), (sync) => [sync.id, sync.status]),
          ),
          last: Option.getOrNull(Option.map(listed.lastSync, (sync) => [sync.id, sync.status])),
        }))
      const first = yield* queue.requestSync(acme, connection.id)
      assert.deepStrictEqual(yield* current(), { current: [first.id, "queued"], last: null })
      yield* queue.claimRuns(acme, connection.id)
      assert.deepStrictEqual(yield* current(), { current: [first.id, "running"], last: null })
      // A second sync asked for while the first runs waits behind it.
      const second = yield* queue.requestSync(acme, connection.id)
      const both = yield* Connections.getConnectionWithSync(acme, connection.id)
      assert.deepStrictEqual(
        [Option.map(both.runningSync, (sync) => sync.id), Option.map(both.queuedSync, (sync) => sync.id)],
        [Option.some(first.id), Option.some(second.id)],
      )
      yield* queue.finishRuns(acme, connection.id, [first.id], {
        _tag: "Succeeded",
        records: { added: 1, updated: 0, removed: 0, unchanged: 0 },
      })
      assert.deepStrictEqual(yield* current(), { current: [second.id, "queued"], last: [first.id, "succeeded"] })
      // Sent back to wait: queued again, with when it is tried next.
      yield* queue.claimRuns(acme, connection.id)
      yield* queue.deferRuns(acme, connection.id, [second.id], {
        retryAt: new Date("2030-01-01T00:00:00Z"),
        reason: "rate limited",
        countsAsRetry: false,
      })
      const deferred = yield* Connections.getConnectionWithSync(acme, connection.id)
      assert.deepStrictEqual(
        Option.map(ConnectionListing.currentSync(deferred), (sync) => ({ status: sync.status, retryAt: sync.retryAt })),
        Option.some({ status: "queued" as const, retryAt: Option.some(new Date("2030-01-01T00:00:00Z")) }),
      )
      assert.deepStrictEqual(
        Option.map(deferred.lastSync, (sync) => sync.id),
        Option.some(first.id),
      )

      assert.deepStrictEqual(yield* Connections.listConnectionsWithSyncs(globex), [])
      const foreign = yield* Effect.flip(Connections.getConnectionWithSync(globex, connection.id))
      assert.strictEqual(foreign._tag, "ConnectionNotFound")
      const unknown = yield* Effect.flip(Connections.listConnectionsWithSyncs(CustomerId.make("nobody")))
      assert.strictEqual(unknown._tag, "CustomerNotFound")
    }).pipe(Effect.provide(ListingTest)),
  )
})
