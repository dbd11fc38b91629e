/**
 * The sync's token failover on core's in-memory stores and Finch: a 401 marks only the account whose token was
 * refused, and the sync goes on with another login.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import * as FinchGateway from "@finch-connections/core/FinchGateway"
import type { ConnectionId } from "@finch-connections/core/Ids"
import * as SyncQueue from "@finch-connections/core/SyncQueue"
import { StoresTest } from "@finch-connections/core/testing/CoreTest"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { syncConnection } from "../src/sync/SyncConnection.ts"

const MemoryTest = Layer.mergeAll(SyncQueue.layerMemory, FinchGateway.layerMemory).pipe(Layer.provideMerge(StoresTest))

const settings = {
  maxRetries: 0,
  retryDelay: Duration.millis(1),
  dataPendingDelay: Duration.millis(1),
  rateLimitDelay: Duration.millis(1),
}

const twoLogins = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  const connections = yield* ConnectionRepository
  const finch = yield* FinchGateway.FinchMemory
  const customer = yield* customers.create(Fixtures.customer())
  const company = Fixtures.unique("company")
  const employees = [
    {
      individual: { id: "i-1", first_name: "Ada", last_name: "Lovelace" },
      employment: { id: "i-1", title: "Engineer" },
    },
  ]
  let connectionId: ConnectionId | undefined
  for (const login of ["first", "second"]) {
    const token = `token-${login}`
    const introspection = Fixtures.introspection({ provider: "gusto", company, account: `account-${login}` })
    yield* finch.grant(`code-${login}`, token, introspection)
    yield* finch.setEmployees(token, employees)
    const recorded = yield* connections.recordToken({
      customerId: customer.id,
      introspection,
      accessToken: Redacted.make(token),
    })
    connectionId = recorded.connection.id
    yield* Effect.sleep(Duration.millis(5))
  }
  if (connectionId === undefined) return yield* Effect.dieMessage("no connection recorded")
  return { customerId: customer.id, connectionId }
})

describe("the sync's token", () => {
  it.live("a 401 on one login: that token is not used again and the sync goes on with the other login", () =>
    Effect.gen(function* () {
      const { customerId, connectionId } = yield* twoLogins
      const finch = yield* FinchGateway.FinchMemory
      const queue = yield* SyncQueue.SyncQueue
      // the newest login is chosen first; Finch refuses it
      yield* finch.setStatus("token-second", "reauth")
      const run = yield* queue.requestSync(customerId, connectionId)
      const outcome = yield* syncConnection(customerId, connectionId, settings)
      assert.strictEqual(outcome._tag, "Finished")
      assert.deepStrictEqual(yield* finch.tokensUsed, ["token-second", "token-first", "token-first", "token-first"])
      assert.strictEqual((yield* queue.getRun(customerId, run.id)).status, "succeeded")
      assert.lengthOf(yield* (yield* EmployeeStore).listByConnection(customerId, connectionId), 1)
      const connection = yield* (yield* ConnectionRepository).get(customerId, connectionId)
      assert.deepStrictEqual(
        connection.accounts.map((a) => [a.accountId, a.status]),
        [
          ["account-first", "connected"],
          ["account-second", "reauth_required"],
        ],
      )
    }).pipe(Effect.provide(MemoryTest)),
  )

  it.live("every login refused: the run fails with Finch's reason, each token tried once", () =>
    Effect.gen(function* () {
      const { customerId, connectionId } = yield* twoLogins
      const finch = yield* FinchGateway.FinchMemory
      const queue = yield* SyncQueue.SyncQueue
      yield* finch.setStatus("token-second", "reauth")
      yield* finch.setStatus("token-first", "reauth")
      const run = yield* queue.requestSync(customerId, connectionId)
      const outcome = yield* syncConnection(customerId, connectionId, settings)
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(yield* finch.tokensUsed, ["token-second", "token-first"])
      const failed = yield* queue.getRun(customerId, run.id)
      assert.strictEqual(failed.status, "failed")
      assert.include(Option.getOrThrow(failed.error), "reauthenticate")
    }).pipe(Effect.provide(MemoryTest)),
  )
})
