/**
 * The port that keeps the latest employee records of each connection, swapped in whole after each sync.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { ConnectionNotFound } from "./Connection.ts"
import { ConnectionRepository } from "./ConnectionRepository.ts"
import { Employment, Individual } from "./FinchData.ts"
import { ConnectionId, type CustomerId, EntityId, IndividualId } from "./Ids.ts"

/** One employee as one connection knows them. */
export interface EmployeeRecord {
  readonly connectionId: ConnectionId
  readonly individualId: IndividualId
  readonly entityId: Option.Option<EntityId>
  readonly individual: Individual
  readonly employment: Option.Option<Employment>
}

/** What replacing a snapshot changed. */
export interface SnapshotSummary {
  readonly added: number
  readonly updated: number
  readonly removed: number
  readonly unchanged: number
}

/** Employee records per connection. */
export class EmployeeStore extends Context.Tag("@finch-connections/core/EmployeeStore")<
  EmployeeStore,
  {
    /**
     * Replaces the connection's records with `records` in one step (a reader never sees half a sync): new ones are
     * added, known ones updated, missing ones marked removed.
     */
    readonly replaceSnapshot: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      records: ReadonlyArray<EmployeeRecord>,
    ) => Effect.Effect<SnapshotSummary, ConnectionNotFound>
    /** The current (not removed) records of one connection. */
    readonly listByConnection: (
      customerId: CustomerId,
      connectionId: ConnectionId,
    ) => Effect.Effect<ReadonlyArray<EmployeeRecord>, ConnectionNotFound>
    /** The current records of every connection of the customer (the input of reconciliation). */
    readonly listByCustomer: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<EmployeeRecord>>
  }
>() {}

/** The schema of an `EmployeeRecord`, used to compare records structurally. */
export const EmployeeRecordSchema = Schema.Struct({
  connectionId: ConnectionId,
  individualId: IndividualId,
  entityId: Schema.OptionFromSelf(EntityId),
  individual: Individual,
  employment: Schema.OptionFromSelf(Employment),
})

const sameRecord = Schema.equivalence(EmployeeRecordSchema)

/**
 * An in-memory `EmployeeStore` for tests. It checks the connection through the `ConnectionRepository`, so another
 * customer's connection is `ConnectionNotFound` here too.
 */
export const makeMemory = Effect.gen(function* () {
  const connections = yield* ConnectionRepository
  const snapshots = new Map<ConnectionId, { customerId: CustomerId; current: Map<IndividualId, EmployeeRecord> }>()

  return EmployeeStore.of({
    replaceSnapshot: Effect.fn("EmployeeStore.replaceSnapshot")(function* (customerId, connectionId, records) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, records: records.length })
      yield* connections.get(customerId, connectionId)
      const previous = snapshots.get(connectionId)?.current ?? new Map<IndividualId, EmployeeRecord>()
      const next = new Map<IndividualId, EmployeeRecord>()
      for (const record of records) next.set(record.individualId, { ...record, connectionId })
      let added = 0
      let updated = 0
      let unchanged = 0
      for (const [id, record] of next) {
        const before = previous.get(id)
        if (before === undefined) added++
        else if (sameRecord(before, record)) unchanged++
        else updated++
      }
      const removed = [...previous.keys()].filter((id) => !next.has(id)).length
      snapshots.set(connectionId, { customerId, current: next })
      return { added, updated, removed, unchanged }
    }),
    listByConnection: Effect.fn("EmployeeStore.listByConnection")(function* (customerId, connectionId) {
      yield* connections.get(customerId, connectionId)
      return [...(snapshots.get(connectionId)?.current.values() ?? [])]
    }),
    listByCustomer: (customerId) =>
      Effect.sync(() =>
        [...snapshots.values()]
          .filter((snapshot) => snapshot.customerId === customerId)
          .flatMap((snapshot) => [...snapshot.current.values()]),
      ).pipe(Effect.withSpan("EmployeeStore.listByCustomer", { attributes: { customerId } })),
  })
})

/** `EmployeeStore` in memory; needs the `ConnectionRepository` that owns the connections. */
export const layerMemory: Layer.Layer<EmployeeStore, never, ConnectionRepository> = Layer.effect(
  EmployeeStore,
  makeMemory,
)
