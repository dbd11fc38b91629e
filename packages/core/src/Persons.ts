/**
 * The reconciliation use case: one run over every current employee record of a customer, across all its
 * connections, with the persons of the previous run (so their ids survive) and the customer's manual decisions,
 * saved whole — or nothing at all when those inputs are the ones the last saved run read. What a sync (or a person
 * editing decisions) starts; the engine itself is `reconciliation/`.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Hash from "effect/Hash"
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

/**
 * Names the engine and scoring model a run's result comes from; part of every run's inputs fingerprint, so a
 * customer is skipped only when the same engine would read the same inputs again. The model's part follows
 * `scoringModel` by itself; bump `engine-N` with any change to the engine's code or to `toSourceRecord`, and every
 * customer is reconciled again on its next run.
 */
export const engineVersion = `engine-1+model-${(Hash.string(JSON.stringify(scoringModel)) >>> 0).toString(16)}`

/** The fingerprint of a run's inputs: the engine's version and the store's digest of records and decisions. */
export const inputsFingerprint = (version: string, inputsDigest: string): string => `${version}/${inputsDigest}`

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

/** What `reconcileCustomer` did: a run, or nothing because the inputs were those of the last saved run. */
export type ReconcileCustomerOutcome =
  | { readonly _tag: "Reconciled"; readonly summary: ReconcileCustomerSummary }
  | { readonly _tag: "Skipped"; readonly reason: "inputs unchanged" }

/** How `reconcileCustomer` runs. */
export interface ReconcileCustomerOptions {
  /** working memory kept between runs (see `ReconcileOptions.memory`), for a worker that reconciles one after another */
  readonly memory?: Memory
  /** the engine version the run is for (default `engineVersion`); a run saved under another one does not count */
  readonly engineVersion?: string
}

/**
 * Reconciles the customer's current employee records into persons and saves the run (`PersonStore.saveRun`:
 * readers see the previous run or this one, never a mix), with the fingerprint of its inputs. When the fingerprint
 * is the one saved with the last run, nothing runs and nothing is written: the result would be that run's.
 */
export const reconcileCustomer: (
  customerId: CustomerId,
  options?: ReconcileCustomerOptions,
) => Effect.Effect<ReconcileCustomerOutcome, DuplicateRecordId | TooManyRecords, EmployeeStore | PersonStore> =
  Effect.fn("Persons.reconcileCustomer")(function* (customerId: CustomerId, options?: ReconcileCustomerOptions) {
    yield* Effect.annotateCurrentSpan({ customerId })
    const employees = yield* EmployeeStore
    const persons = yield* PersonStore
    // Read before the inputs themselves: a change that lands while this run reads them is missing from the
    // fingerprint saved with the run, so the run its change queues sees another fingerprint and runs. A race costs
    // one extra run later, never a missed one.
    const inputs = inputsFingerprint(options?.engineVersion ?? engineVersion, yield* persons.inputsDigest(customerId))
    if (Option.contains(yield* persons.lastRunInputs(customerId), inputs)) {
      yield* Effect.annotateCurrentSpan({ skipped: true })
      return { _tag: "Skipped", reason: "inputs unchanged" } as const
    }
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
    yield* persons.saveRun(customerId, toPersonRun(result, records), inputs)
    yield* Effect.annotateCurrentSpan({ records: records.length, persons: result.stats.persons })
    const summary: ReconcileCustomerSummary = {
      stats: result.stats,
      aliases: result.aliases.length,
      splits: result.splits.length,
      manualConflicts: result.manualConflicts.length,
    }
    return { _tag: "Reconciled", summary } as const
  })
