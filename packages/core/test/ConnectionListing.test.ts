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
  it.effect("lists a customer's connections with their last started sync; others' are not found", () =>
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
      assert.isTrue(Option.isNone(before[0]!.lastSync))

      const queue = yield* SyncQueue.SyncQueue
      yield* queue.requestSync(acme, connection.id)
      yield* queue.claimRuns(acme, connection.id)
      const after = yield* Connections.getConnectionWithSync(acme, connection.id)
      assert.strictEqual(Option.map(after.lastSync, (sync) => sync.status).pipe(Option.getOrNull), "running")

      assert.deepStrictEqual(yield* Connections.listConnectionsWithSyncs(globex), [])
      const foreign = yield* Effect.flip(Connections.getConnectionWithSync(globex, connection.id))
      assert.strictEqual(foreign._tag, "ConnectionNotFound")
      const unknown = yield* Effect.flip(Connections.listConnectionsWithSyncs(CustomerId.make("nobody")))
      assert.strictEqual(unknown._tag, "CustomerNotFound")
    }).pipe(Effect.provide(ListingTest)),
  )
})
