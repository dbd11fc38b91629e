/**
 * The `reconcile_customer` job: core's `Persons.reconcileCustomer`, with the engine's working memory kept between
 * customers in one process (allocating it costs a full heap collection and a page fault per page first touched).
 * Jobs running side by side in one process each take their own memory from the pool.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import * as Persons from "@finch-connections/core/Persons"
import { type Memory, memoryFor } from "@finch-connections/core/reconciliation/Reconciliation"
import { Effect } from "effect"

/** Working memories for reconciliation runs, reused by the runs of one process. */
export interface MemoryPool {
  readonly use: <A, E, R>(f: (memory: Memory) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** How many memories were made (at most the number of runs that overlapped). */
  readonly allocated: () => number
}

/** A pool whose memories are first sized for `records` records (they grow when a customer needs more). */
export const makeMemoryPool = (records: number): MemoryPool => {
  const free: Array<Memory> = []
  let allocated = 0
  return {
    use: (f) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const kept = free.pop()
          if (kept !== undefined) return kept
          allocated++
          return memoryFor(records)
        }),
        f,
        (memory) => Effect.sync(() => void free.push(memory)),
      ),
    allocated: () => allocated,
  }
}

/** Logs what a run did: its counts, or that it was skipped because nothing it reads had changed. */
const logOutcome = (outcome: Persons.ReconcileCustomerOutcome) =>
  outcome._tag === "Skipped"
    ? Effect.logInfo("reconciliation skipped: inputs unchanged")
    : Effect.logInfo("reconciled").pipe(Effect.annotateLogs({ ...outcome.summary.stats }))

/** Reconciles the customer's employees into persons with a memory from `pool` (skipped when nothing changed). */
export const reconcileCustomer = (customerId: CustomerId, pool: MemoryPool) =>
  pool
    .use((memory) => Persons.reconcileCustomer(customerId, { memory }))
    .pipe(Effect.tap(logOutcome), Effect.annotateLogs({ job: "reconcile_customer", customerId }))
