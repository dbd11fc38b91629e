/**
 * The port that reads a customer's connections as the API shows them: each with its last sync, read at once (one
 * snapshot, one round of the store). Another customer's connection is indistinguishable from an unknown one.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Connection, ConnectionNotFound } from "./Connection.ts"
import { ConnectionRepository } from "./ConnectionRepository.ts"
import type { CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import type { ConnectionId, CustomerId } from "./Ids.ts"
import { SyncQueue, type SyncRunStatus } from "./SyncQueue.ts"

/** When a connection's last sync started (a worker claimed it), and how it ended once it has. */
export interface LastSync {
  readonly startedAt: Date
  readonly finishedAt: Option.Option<Date>
  readonly status: SyncRunStatus
}

/** A connection with its last sync (`None` while it never synced). */
export interface ListedConnection {
  readonly connection: Connection
  readonly lastSync: Option.Option<LastSync>
}

/** A customer's connections with their last syncs. */
export class ConnectionListing extends Context.Tag("@finch-connections/core/ConnectionListing")<
  ConnectionListing,
  {
    /** The customer's connections, newest first, each with its last sync; `CustomerNotFound` for an unknown customer. */
    readonly list: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<ListedConnection>, CustomerNotFound>
    /** One connection of the customer with its last sync. */
    readonly get: (
      customerId: CustomerId,
      connectionId: ConnectionId,
    ) => Effect.Effect<ListedConnection, ConnectionNotFound>
  }
>() {}

/**
 * An in-memory `ConnectionListing` for tests, over the other ports' memory layers: a connection's last sync is its
 * newest run a worker started.
 */
export const makeMemory = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  const connections = yield* ConnectionRepository
  const syncs = yield* SyncQueue
  const withLastSync = (connection: Connection) =>
    Effect.map(syncs.listRuns(connection.customerId, connection.id), (runs) => {
      const started = runs.find((run) => Option.isSome(run.startedAt))
      return {
        connection,
        lastSync: Option.map(Option.fromNullable(started), (run) => ({
          startedAt: Option.getOrThrow(run.startedAt),
          finishedAt: run.finishedAt,
          status: run.status,
        })),
      }
    })
  return ConnectionListing.of({
    list: Effect.fn("ConnectionListing.list")(function* (customerId) {
      yield* customers.get(customerId)
      return yield* Effect.forEach(yield* connections.list(customerId), withLastSync)
    }),
    get: Effect.fn("ConnectionListing.get")(function* (customerId, connectionId) {
      return yield* withLastSync(yield* connections.get(customerId, connectionId))
    }),
  })
})

/** `ConnectionListing` in memory; reads the memory layers of the customers, connections and sync queue. */
export const layerMemory: Layer.Layer<ConnectionListing, never, CustomerRepository | ConnectionRepository | SyncQueue> =
  Layer.effect(ConnectionListing, makeMemory)
