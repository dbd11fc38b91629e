/**
 * The reconciliation use case: one run over every current employee record of a customer, across all its
 * connections, with the persons of the previous run (so their ids survive) and the customer's manual decisions,
 * saved whole. What a sync (or a person editing decisions) starts; the engine itself is `reconciliation/`.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type EmployeeRecord, EmployeeStore } from "./EmployeeStore.ts"
import type { ConnectionId, CustomerId, IndividualId } from "./Ids.ts"
import { PersonStore, toPersonRun } from "./PersonStore.ts"
import {
  type DuplicateRecordId,
  type Memory,
  type ReconcileStats,
  reconcile,
  type TooManyRecords,
} from "./reconciliation/Reconciliation.ts"
import type { SourceRecord } from "./reconciliation/SourceRecord.ts"
import { defaultModel } from "./reconciliation/Weights.ts"

/** The scoring model of a customer's runs: the engine's default, for payroll records (precision first). */
export const scoringModel = defaultModel

/** The score (posterior log2-odds) at which a customer's run links two records: every automatic merge reaches it. */
export const matchThreshold = scoringModel.matchThreshold

/** A record's id in reconciliation: its connection and Finch individual id, unique within a customer. */
export const recordIdOf = (connectionId: ConnectionId, individualId: IndividualId | string): string =>
  `${connectionId}:${individualId}`

/** An employee record as the engine reads it (Finch's own fields; the entity keeps pay groups apart). */
export const toSourceRecord = (record: EmployeeRecord): SourceRecord => ({
  record_id: recordIdOf(record.connectionId, record.individualId),
  connection_id: record.connectionId,
  entity_id: Option.getOrNull(record.entityId),
  individual: record.individual,
  employment: Option.getOrNull(record.employment),
})

/** What one customer's run did. */
export interface ReconcileCustomerSummary {
  readonly stats: ReconcileStats
  /** person ids merged into an older one in this run */
  readonly aliases: number
  /** persons whose records went several ways in this run */
  readonly splits: number
  /** "never the same person" decisions a "same person" decision overrode */
  readonly manualConflicts: number
}

/**
 * Reconciles the customer's current employee records into persons and saves the run (`PersonStore.saveRun`:
 * readers see the previous run or this one, never a mix). `memory`: working memory kept between runs (see
 * `ReconcileOptions.memory`), for a worker that reconciles one customer after another.
 */
export const reconcileCustomer: (
  customerId: CustomerId,
  options?: { readonly memory?: Memory },
) => Effect.Effect<ReconcileCustomerSummary, DuplicateRecordId | TooManyRecords, EmployeeStore | PersonStore> =
  Effect.fn("Persons.reconcileCustomer")(function* (customerId: CustomerId, options?: { readonly memory?: Memory }) {
    yield* Effect.annotateCurrentSpan({ customerId })
    const employees = yield* EmployeeStore
    const persons = yield* PersonStore
    const records = (yield* employees.listByCustomer(customerId)).map(toSourceRecord)
    const previous = yield* persons.previousPersons(customerId)
    const decisions = yield* persons.decisions(customerId)
    // `since` of new persons: when they were first seen, so an older person's id wins a later merge
    const runAt = yield* Clock.currentTimeMillis
    const result = yield* reconcile(records, {
      previous,
      decisions,
      runAt,
      model: scoringModel,
      memory: options?.memory,
    })
    yield* persons.saveRun(customerId, toPersonRun(result, records))
    yield* Effect.annotateCurrentSpan({ records: records.length, persons: result.stats.persons })
    return {
      stats: result.stats,
      aliases: result.aliases.length,
      splits: result.splits.length,
      manualConflicts: result.manualConflicts.length,
    }
  })
