/**
 * The port that keeps reconciled persons per customer: the latest run's persons and record assignments (with the
 * evidence of each record's link), the aliases and splits every run produced, the manual decisions that win
 * over scores, and the fingerprint of the inputs the latest run read (so an unchanged customer is not run again).
 * A run is saved whole: readers see the previous run or the new one, never a mix.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { EmployeeStore } from "./EmployeeStore.ts"
import type { CustomerId } from "./Ids.ts"
import {
  type Alias,
  assignmentOf,
  type ManualDecision,
  type PreviousPerson,
  persons,
  type Reconciliation,
  type Split,
} from "./reconciliation/Reconciliation.ts"
import type { SourceRecord } from "./reconciliation/SourceRecord.ts"

/** Which person a record belongs to, and why (absent for a record that stands alone). */
export interface RecordAssignment {
  readonly recordId: string
  readonly personId: string
  readonly score: number | null
  readonly matchedBy: ReadonlyArray<string>
}

/** Everything one reconciliation run decided for a customer. */
export interface PersonRun {
  readonly persons: ReadonlyArray<PreviousPerson>
  readonly assignments: ReadonlyArray<RecordAssignment>
  readonly aliases: ReadonlyArray<Alias>
  readonly splits: ReadonlyArray<Split>
}

/** The run to save, from the engine's result and its input. */
export const toPersonRun = (result: Reconciliation, records: ReadonlyArray<SourceRecord>): PersonRun => ({
  persons: persons(result, records),
  assignments: records.map((_, index) => {
    const assignment = assignmentOf(result, records, index)
    return {
      recordId: assignment.record_id,
      personId: assignment.person_id,
      score: assignment.score ?? null,
      matchedBy: assignment.matched_by ?? [],
    }
  }),
  aliases: result.aliases,
  splits: result.splits,
})

/** Manual decisions are stored with the pair in a canonical order, so (a, b) and (b, a) are one decision. */
export const canonicalDecision = (decision: ManualDecision): ManualDecision =>
  decision.recordA <= decision.recordB
    ? decision
    : { kind: decision.kind, recordA: decision.recordB, recordB: decision.recordA }

/** Reconciled persons per customer. */
export class PersonStore extends Context.Tag("@finch-connections/core/PersonStore")<
  PersonStore,
  {
    /**
     * Replaces the customer's persons and assignments with `run`, appends its aliases and splits, and keeps `inputs`
     * (the fingerprint of what the run read) as the last run's, atomically.
     */
    readonly saveRun: (customerId: CustomerId, run: PersonRun, inputs: string) => Effect.Effect<void>
    /**
     * A digest of the customer's reconciliation inputs as they are now: its current employee records (each by id and
     * last change) and its manual decisions. It changes whenever one of them does (a record added, changed or
     * removed; a decision made, changed or withdrawn).
     */
    readonly inputsDigest: (customerId: CustomerId) => Effect.Effect<string>
    /** The `inputs` saved with the customer's last run; none before its first run. */
    readonly lastRunInputs: (customerId: CustomerId) => Effect.Effect<Option.Option<string>>
    /** The persons of the last saved run (the `previous` of the next one); empty before the first. */
    readonly previousPersons: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<PreviousPerson>>
    /** The current id of a person id, following aliases (merged ids); none when it was never known. */
    readonly resolvePerson: (customerId: CustomerId, personId: string) => Effect.Effect<Option.Option<string>>
    /** The assignment of one record in the last run. */
    readonly assignmentOf: (customerId: CustomerId, recordId: string) => Effect.Effect<Option.Option<RecordAssignment>>
    /** Every split recorded for the customer, oldest first. */
    readonly splits: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<Split>>
    /** Records (or replaces) a manual decision about two records. */
    readonly decide: (customerId: CustomerId, decision: ManualDecision) => Effect.Effect<void>
    /** Withdraws the decision about two records, if any. */
    readonly undecide: (customerId: CustomerId, recordA: string, recordB: string) => Effect.Effect<void>
    /** The customer's manual decisions, in a stable order. */
    readonly decisions: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<ManualDecision>>
  }
>() {}

interface CustomerState {
  persons: ReadonlyArray<PreviousPerson>
  assignments: Map<string, RecordAssignment>
  aliases: Map<string, string>
  splits: Array<Split>
  decisions: Map<string, ManualDecision>
  lastRunInputs: Option.Option<string>
}

const decisionKey = (recordA: string, recordB: string) =>
  recordA <= recordB ? `${recordA}\u0000${recordB}` : `${recordB}\u0000${recordA}`

/**
 * An in-memory `PersonStore` for tests; every build starts empty. It reads the customer's records from the
 * `EmployeeStore` for `inputsDigest`, where their content stands for the last change PostgreSQL keeps.
 */
export const makeMemory = Effect.gen(function* () {
  const employees = yield* EmployeeStore
  const customers = new Map<CustomerId, CustomerState>()
  const stateOf = (customerId: CustomerId): CustomerState => {
    let state = customers.get(customerId)
    if (state === undefined) {
      state = {
        persons: [],
        assignments: new Map(),
        aliases: new Map(),
        splits: [],
        decisions: new Map(),
        lastRunInputs: Option.none(),
      }
      customers.set(customerId, state)
    }
    return state
  }
  return PersonStore.of({
    saveRun: Effect.fn("PersonStore.saveRun")(function* (customerId: CustomerId, run: PersonRun, inputs: string) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      const state = stateOf(customerId)
      state.lastRunInputs = Option.some(inputs)
      state.persons = run.persons
      state.assignments = new Map(run.assignments.map((a) => [a.recordId, a]))
      for (const alias of run.aliases) state.aliases.set(alias.alias, alias.personId)
      state.splits.push(...run.splits)
    }),
    inputsDigest: Effect.fn("PersonStore.inputsDigest")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      const records = (yield* employees.listByCustomer(customerId))
        .map((record) => [`${record.connectionId}:${record.individualId}`, JSON.stringify(record)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      const decisions = [...stateOf(customerId).decisions.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
      return JSON.stringify({ records, decisions })
    }),
    lastRunInputs: Effect.fn("PersonStore.lastRunInputs")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      return stateOf(customerId).lastRunInputs
    }),
    previousPersons: Effect.fn("PersonStore.previousPersons")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      return stateOf(customerId).persons
    }),
    resolvePerson: Effect.fn("PersonStore.resolvePerson")(function* (customerId: CustomerId, personId: string) {
      yield* Effect.annotateCurrentSpan({ customerId, personId })
      const state = stateOf(customerId)
      let current = personId
      const seen = new Set<string>()
      while (state.aliases.has(current) && !seen.has(current)) {
        seen.add(current)
        current = state.aliases.get(current) as string
      }
      const known = current !== personId || state.persons.some((p) => p.personId === personId)
      return known ? Option.some(current) : Option.none()
    }),
    assignmentOf: Effect.fn("PersonStore.assignmentOf")(function* (customerId: CustomerId, recordId: string) {
      yield* Effect.annotateCurrentSpan({ customerId, recordId })
      return Option.fromNullable(stateOf(customerId).assignments.get(recordId))
    }),
    splits: Effect.fn("PersonStore.splits")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      return [...stateOf(customerId).splits]
    }),
    decide: Effect.fn("PersonStore.decide")(function* (customerId: CustomerId, decision: ManualDecision) {
      yield* Effect.annotateCurrentSpan({ customerId, kind: decision.kind })
      stateOf(customerId).decisions.set(decisionKey(decision.recordA, decision.recordB), canonicalDecision(decision))
    }),
    undecide: Effect.fn("PersonStore.undecide")(function* (customerId: CustomerId, recordA: string, recordB: string) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      stateOf(customerId).decisions.delete(decisionKey(recordA, recordB))
    }),
    decisions: Effect.fn("PersonStore.decisions")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan("customerId", customerId)
      return [...stateOf(customerId).decisions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d)
    }),
  })
})

/** `PersonStore` in memory; needs the `EmployeeStore` whose records its `inputsDigest` covers. */
export const layerMemory: Layer.Layer<PersonStore, never, EmployeeStore> = Layer.effect(PersonStore, makeMemory)
