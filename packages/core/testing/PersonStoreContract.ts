/**
 * The behaviour every `PersonStore` must show, run against the memory layer here and PostgreSQL in store-postgres.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CustomerId } from "../src/Ids.ts"
import { PersonStore, toPersonRun } from "../src/PersonStore.ts"
import { reconcileSync } from "../src/reconciliation/Reconciliation.ts"
import type { SourceRecord } from "../src/reconciliation/SourceRecord.ts"

const record = (recordId: string, connectionId: string, first: string, last: string, dob: string): SourceRecord => ({
  record_id: recordId,
  connection_id: connectionId,
  individual: { first_name: first, last_name: last, dob },
})

const background = Array.from({ length: 30 }, (_, k) =>
  record(`z:${k}`, `z${k % 3}`, `Person${k}`, `Family${k}`, `19${50 + k}-02-03`),
)

/** Saves runs (with their inputs), resolves aliases after a merge, records splits, and keeps decisions per customer. */
export const personStoreContract = (customer: string) =>
  Effect.gen(function* () {
    const store = yield* PersonStore
    const acme = CustomerId.make(customer)
    const other = CustomerId.make(`${customer}-other`)
    assert.deepStrictEqual(yield* store.previousPersons(acme), [])
    assert.deepStrictEqual(yield* store.lastRunInputs(acme), Option.none())

    // run 1: William and Bill are apart (different customers' view: no overlap yet)
    const william = record("a:1", "a", "William", "Hart", "1975-06-30")
    const bill = record("b:1", "b", "Bill", "Hart", "1975-06-30")
    const first = [william, ...background]
    const run1 = reconcileSync(first, { runAt: 1 })
    if (!("personIds" in run1)) throw new Error("duplicate")
    yield* store.saveRun(acme, toPersonRun(run1, first), "inputs-1")
    assert.deepStrictEqual(yield* store.lastRunInputs(acme), Option.some("inputs-1"))
    const previous = yield* store.previousPersons(acme)
    assert.strictEqual(previous.length, run1.personIds.length)
    const williamId = (yield* store.assignmentOf(acme, "a:1")).pipe(Option.getOrThrow).personId

    // run 2: Bill arrives alone under his own id, then run 3 merges him into William (older id kept, alias kept)
    const second = [william, ...background]
    const billRun = reconcileSync([bill], { runAt: 2 })
    if (!("personIds" in billRun)) throw new Error("duplicate")
    const billId = billRun.personIds[0] as string
    const withBill = [...previous, { personId: billId, recordIds: ["b:1"], since: 2 }]
    const third = [...second, bill]
    const run3 = reconcileSync(third, { previous: withBill, runAt: 3 })
    if (!("personIds" in run3)) throw new Error("duplicate")
    yield* store.saveRun(acme, toPersonRun(run3, third), "inputs-3")
    const billNow = (yield* store.assignmentOf(acme, "b:1")).pipe(Option.getOrThrow)
    assert.strictEqual(billNow.personId, williamId)
    assert.include(billNow.matchedBy, "first_name:nickname")
    assert.deepStrictEqual(yield* store.resolvePerson(acme, billId), Option.some(williamId))
    assert.deepStrictEqual(yield* store.resolvePerson(acme, williamId), Option.some(williamId))
    assert.deepStrictEqual(yield* store.resolvePerson(acme, "p_unknown"), Option.none())

    // a manual "never" splits them again; the split is recorded
    yield* store.decide(acme, { kind: "never_same_person", recordA: "b:1", recordB: "a:1" })
    const decisions = yield* store.decisions(acme)
    assert.deepStrictEqual(decisions, [{ kind: "never_same_person", recordA: "a:1", recordB: "b:1" }])
    const run4 = reconcileSync(third, { previous: yield* store.previousPersons(acme), decisions, runAt: 4 })
    if (!("personIds" in run4)) throw new Error("duplicate")
    yield* store.saveRun(acme, toPersonRun(run4, third), "inputs-4")
    assert.deepStrictEqual(yield* store.lastRunInputs(acme), Option.some("inputs-4"))
    const splits = yield* store.splits(acme)
    assert.strictEqual(splits.length, 1)
    assert.strictEqual(splits[0]?.personId, williamId)
    assert.notStrictEqual((yield* store.assignmentOf(acme, "b:1")).pipe(Option.getOrThrow).personId, williamId)

    // decisions can be replaced and withdrawn; other customers see nothing
    yield* store.decide(acme, { kind: "same_person", recordA: "a:1", recordB: "b:1" })
    assert.deepStrictEqual(yield* store.decisions(acme), [{ kind: "same_person", recordA: "a:1", recordB: "b:1" }])
    yield* store.undecide(acme, "b:1", "a:1")
    assert.deepStrictEqual(yield* store.decisions(acme), [])
    assert.deepStrictEqual(yield* store.previousPersons(other), [])
    assert.deepStrictEqual(yield* store.assignmentOf(other, "a:1"), Option.none())
    assert.deepStrictEqual(yield* store.lastRunInputs(other), Option.none())
  })
