/**
 * The port that reads a customer's connections as the API and the pages show them: each with where its employee syncs
 * stand (running, queued, the newest that ended), read at once (one snapshot, one round of the store). Another
 * customer's connection is indistinguishable from an unknown one.
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
import { type SyncId, SyncQueue, type SyncRun } from "./SyncQueue.ts"

/** A sync not ended: `queued` (asked for, not started, or sent back to wait until `retryAt`) or `running`. */
export interface PendingSync {
  readonly id: SyncId
  readonly status: "queued" | "running"
  readonly requestedAt: Date
  /** When a worker first started it; none while it never started. */
  readonly startedAt: Option.Option<Date>
  /** When it is tried again, while it waits after a deferral. */
  readonly retryAt: Option.Option<Date>
}

/** A sync that ended, and how. */
export interface EndedSync {
  readonly id: SyncId
  readonly status: "succeeded" | "partial" | "failed"
  readonly requestedAt: Date
  readonly startedAt: Option.Option<Date>
  readonly finishedAt: Date
}

/** A connection with where its syncs stand; each `None` when there is no such sync. */
export interface ListedConnection {
  readonly connection: Connection
  /** The sync a worker runs now (the newest asked for, when runs claimed together run). */
  readonly runningSync: Option.Option<PendingSync>
  /** The sync waiting for a worker (the one a new request joins). */
  readonly queuedSync: Option.Option<PendingSync>
  /** The newest sync that ended. */
  readonly lastSync: Option.Option<EndedSync>
}

/** The sync a client follows now: the running one, else the queued one. */
export const currentSync = (listed: ListedConnection): Option.Option<PendingSync> =>
  Option.orElse(listed.runningSync, () => listed.queuedSync)

/** A customer's connections with their syncs. */
export class ConnectionListing extends Context.Tag("@finch-connections/core/ConnectionListing")<
  ConnectionListing,
  {
    /** The customer's connections, newest first, each with its syncs; `CustomerNotFound` for an unknown customer. */
    readonly list: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<ListedConnection>, CustomerNotFound>
    /** One connection of the customer with its syncs. */
    readonly get: (
      customerId: CustomerId,
      connectionId: ConnectionId,
    ) => Effect.Effect<ListedConnection, ConnectionNotFound>
  }
>() {}

const pendingOf = (run: SyncRun): Option.Option<PendingSync> =>
  run.status === "queued" || run.status === "running"
    ? Option.some({
        id: run.id,
        status: run.status,
        requestedAt: run.requestedAt,
        startedAt: run.startedAt,
        retryAt: run.retryAt,
      })
    : Option.none()

const endedOf = (run: SyncRun): Option.Option<EndedSync> =>
  run.status !== "queued" && run.status !== "running" && Option.isSome(run.finishedAt)
    ? Option.some({
        id: run.id,
        status: run.status,
        requestedAt: run.requestedAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt.value,
      })
    : Option.none()

/**
 * Where a connection's syncs stand, from its runs newest first: the same choice as the store's (`connection_listing`,
 * migration 0033).
 */
export const syncsOf = (
  runs: ReadonlyArray<SyncRun>,
): Pick<ListedConnection, "runningSync" | "queuedSync" | "lastSync"> => ({
  runningSync: Option.fromNullable(runs.find((run) => run.status === "running")).pipe(Option.flatMap(pendingOf)),
  queuedSync: Option.fromNullable(runs.findLast((run) => run.status === "queued")).pipe(Option.flatMap(pendingOf)),
  lastSync: Option.firstSomeOf(runs.map(endedOf)),
})

/** Every run a connection can have in a test, so the newest that ended is never cut off. */
const allRuns = { limit: Number.MAX_SAFE_INTEGER }

/** An in-memory `ConnectionListing` for tests, over the other ports' memory layers (every run, queued ones too). */
export const makeMemory = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  const connections = yield* ConnectionRepository
  const syncs = yield* SyncQueue
  const withSyncs = (connection: Connection) =>
    Effect.map(
      syncs.listRuns(connection.customerId, connection.id, allRuns),
      (runs): ListedConnection => ({ connection, ...syncsOf(runs) }),
    )
  return ConnectionListing.of({
    list: Effect.fn("ConnectionListing.list")(function* (customerId) {
      yield* customers.get(customerId)
      return yield* Effect.forEach(yield* connections.list(customerId), withSyncs)
    }),
    get: Effect.fn("ConnectionListing.get")(function* (customerId, connectionId) {
      return yield* withSyncs(yield* connections.get(customerId, connectionId))
    }),
  })
})

/** `ConnectionListing` in memory; reads the memory layers of the customers, connections and sync queue. */
export const layerMemory: Layer.Layer<ConnectionListing, never, CustomerRepository | ConnectionRepository | SyncQueue> =
  Layer.effect(ConnectionListing, makeMemory)
