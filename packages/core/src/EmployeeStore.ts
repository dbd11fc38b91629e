/**
 * The port that keeps the latest employee records of each connection, swapped in whole after each sync.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { ConnectionNotFound } from "./Connection.ts"
import type { Employment, Individual } from "./FinchData.ts"
import type { ConnectionId, CustomerId, EntityId, IndividualId } from "./Ids.ts"

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
