/**
 * The reconciliation use case (`Persons.reconcileCustomer`) end to end over the stores, as one suite to run against
 * each implementation of them: in memory here, on PostgreSQL in store-postgres.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { EmployeeStore } from "../src/EmployeeStore.ts"
import type { ConnectionId, CustomerId } from "../src/Ids.ts"
import * as PersonStore from "../src/PersonStore.ts"
import {
  engineVersion,
  type ReconcileCustomerOutcome,
  type ReconcileCustomerSummary,
  reconcileCustomer,
  recordIdOf,
} from "../src/Persons.ts"
import { employee } from "./EmployeeStoreContract.ts"
import * as Fixtures from "./Fixtures.ts"

/** A customer with two connections (another provider each: a migration), and another customer with one. */
const setup = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  const connections = yield* ConnectionRepository
  const connect = (customerId: CustomerId, provider: string) =>
    connections
      .recordToken({
        customerId,
        introspection: Fixtures.oldModelToken(provider),
        accessToken: Fixtures.accessToken(),
      })
      .pipe(Effect.map(({ connection }) => connection.id))
  const acme = (yield* customers.create(Fixtures.customer())).id
  const globex = (yield* customers.create(Fixtures.customer())).id
  return {
    acme,
    globex,
    gusto: yield* connect(acme, "gusto"),
    adp: yield* connect(acme, "adp"),
    globexGusto: yield* connect(globex, "gusto"),
  }
})

const personOf = (customerId: CustomerId, connectionId: ConnectionId, individualId: string) =>
  Effect.gen(function* () {
    const store = yield* PersonStore.PersonStore
    const assignment = yield* store.assignmentOf(customerId, recordIdOf(connectionId, individualId))
    return Option.getOrThrow(assignment).personId
  })

/** The summary of a run that ran; fails the test when it was skipped. */
const ran = (outcome: ReconcileCustomerOutcome): ReconcileCustomerSummary => {
  if (outcome._tag === "Skipped") return assert.fail("the run was skipped")
  return outcome.summary
}

/** What reconciling the customer now does: "Reconciled" or "Skipped". */
const runs = (customerId: CustomerId, options?: { readonly engineVersion?: string }) =>
  reconcileCustomer(customerId, options).pipe(Effect.map((outcome) => outcome._tag))

/**
 * Registers the reconciliation use case's scenarios against the stores `layer_` provides (employees with the
 * connections and customers they belong to, and persons), under the name `name`. Cases use fresh customers.
 */
export const reconcileCustomerScenarios = <E>(
  name: string,
  layer_: Layer.Layer<EmployeeStore | ConnectionRepository | CustomerRepository | PersonStore.PersonStore, E>,
): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(`reconcileCustomer: ${name}`, (it) => {
    it.effect("makes one person of one employee seen by two connections, and keeps customers apart", () =>
      Effect.gen(function* () {
        const { acme, globex, gusto, adp, globexGusto } = yield* setup
        const employees = yield* EmployeeStore
        yield* employees.replaceSnapshot(acme, gusto, [
          employee(gusto, "g-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
          employee(gusto, "g-2", { first: "Charles", last: "Babbage", dob: "1791-12-26" }),
        ])
        yield* employees.replaceSnapshot(acme, adp, [
          employee(adp, "a-7", { first: "ADA", last: "Lovelace", dob: "1815-12-10" }),
          employee(adp, "a-8", { first: "Grace", last: "Hopper", dob: "1906-12-09" }),
        ])
        // the same person at another customer is that customer's business alone
        yield* employees.replaceSnapshot(globex, globexGusto, [
          employee(globexGusto, "x-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
        ])

        const summary = ran(yield* reconcileCustomer(acme))
        assert.strictEqual(summary.stats.records, 4)
        assert.strictEqual(summary.stats.persons, 3)
        const ada = yield* personOf(acme, gusto, "g-1")
        assert.strictEqual(yield* personOf(acme, adp, "a-7"), ada)
        assert.notStrictEqual(yield* personOf(acme, gusto, "g-2"), ada)
        const store = yield* PersonStore.PersonStore
        assert.isTrue(Option.isNone(yield* store.assignmentOf(globex, recordIdOf(globexGusto, "x-1"))))
        assert.strictEqual(ran(yield* reconcileCustomer(globex)).stats.records, 1)
      }),
    )

    it.effect("keeps person ids across runs, and a manual decision wins on the next run (recorded as a split)", () =>
      Effect.gen(function* () {
        const { acme, gusto, adp } = yield* setup
        const employees = yield* EmployeeStore
        const store = yield* PersonStore.PersonStore
        yield* employees.replaceSnapshot(acme, gusto, [
          employee(gusto, "g-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
        ])
        yield* employees.replaceSnapshot(acme, adp, [
          employee(adp, "a-7", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
        ])
        yield* reconcileCustomer(acme)
        const ada = yield* personOf(acme, gusto, "g-1")

        // a later sync brings a new employee: Ada keeps her id
        yield* employees.replaceSnapshot(acme, adp, [
          employee(adp, "a-7", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
          employee(adp, "a-9", { first: "Alan", last: "Turing", dob: "1912-06-23" }),
        ])
        yield* reconcileCustomer(acme)
        assert.strictEqual(yield* personOf(acme, gusto, "g-1"), ada)
        assert.strictEqual(yield* personOf(acme, adp, "a-7"), ada)

        // someone who knows says these are two people: the next run splits them, one part keeping the id
        yield* store.decide(acme, {
          kind: "never_same_person",
          recordA: recordIdOf(gusto, "g-1"),
          recordB: recordIdOf(adp, "a-7"),
        })
        const summary = ran(yield* reconcileCustomer(acme))
        assert.strictEqual(summary.splits, 1)
        const parts = [yield* personOf(acme, gusto, "g-1"), yield* personOf(acme, adp, "a-7")]
        assert.notStrictEqual(parts[0], parts[1])
        assert.include(parts, ada)
        assert.deepStrictEqual(
          (yield* store.splits(acme)).map((split) => split.personId),
          [ada],
        )
      }),
    )

    it.effect("skips a run whose inputs are those of the last saved run, and runs when any of them changed", () =>
      Effect.gen(function* () {
        const { acme, globex, gusto, adp, globexGusto } = yield* setup
        const employees = yield* EmployeeStore
        const store = yield* PersonStore.PersonStore
        const ada = employee(gusto, "g-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" })
        const charles = employee(gusto, "g-2", { first: "Charles", last: "Babbage", dob: "1791-12-26" })
        const adaAtAdp = employee(adp, "a-7", { first: "Ada", last: "Lovelace", dob: "1815-12-10" })
        yield* employees.replaceSnapshot(acme, gusto, [ada, charles])
        yield* employees.replaceSnapshot(acme, adp, [adaAtAdp])
        assert.strictEqual(yield* runs(acme), "Reconciled")
        const adaId = yield* personOf(acme, gusto, "g-1")

        // nothing changed, or a sync brought the same records again: nothing runs, the persons stay as they were
        assert.strictEqual(yield* runs(acme), "Skipped")
        yield* employees.replaceSnapshot(acme, gusto, [ada, charles])
        assert.strictEqual(yield* runs(acme), "Skipped")
        assert.strictEqual(yield* personOf(acme, adp, "a-7"), adaId)

        // another customer's records and decisions are not this customer's inputs
        yield* employees.replaceSnapshot(globex, globexGusto, [
          employee(globexGusto, "x-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
        ])
        yield* store.decide(globex, {
          kind: "never_same_person",
          recordA: recordIdOf(globexGusto, "x-1"),
          recordB: recordIdOf(globexGusto, "x-2"),
        })
        assert.strictEqual(yield* runs(acme), "Skipped")

        // a changed record runs, once
        const charlesPromoted = employee(gusto, "g-2", {
          first: "Charles",
          last: "Babbage",
          dob: "1791-12-26",
          title: "Chief Engineer",
        })
        yield* employees.replaceSnapshot(acme, gusto, [ada, charlesPromoted])
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.strictEqual(yield* runs(acme), "Skipped")

        // a removed record runs
        yield* employees.replaceSnapshot(acme, adp, [])
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.isTrue(Option.isNone(yield* store.assignmentOf(acme, recordIdOf(adp, "a-7"))))
        assert.strictEqual(yield* personOf(acme, gusto, "g-1"), adaId)
        // …and so does its return
        yield* employees.replaceSnapshot(acme, adp, [adaAtAdp])
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.strictEqual(yield* personOf(acme, adp, "a-7"), adaId)

        // a new decision runs; the same decision made again does not; withdrawing it runs
        const pair = { recordA: recordIdOf(gusto, "g-1"), recordB: recordIdOf(adp, "a-7") }
        yield* store.decide(acme, { kind: "never_same_person", ...pair })
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.notStrictEqual(yield* personOf(acme, adp, "a-7"), yield* personOf(acme, gusto, "g-1"))
        yield* store.decide(acme, { kind: "never_same_person", recordA: pair.recordB, recordB: pair.recordA })
        assert.strictEqual(yield* runs(acme), "Skipped")
        yield* store.undecide(acme, pair.recordA, pair.recordB)
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.strictEqual(yield* personOf(acme, adp, "a-7"), yield* personOf(acme, gusto, "g-1"))

        // another engine re-runs everyone once; the engine of a run is part of what it read
        assert.strictEqual(yield* runs(acme, { engineVersion: `${engineVersion}-next` }), "Reconciled")
        assert.strictEqual(yield* runs(acme, { engineVersion: `${engineVersion}-next` }), "Skipped")
        assert.strictEqual(yield* runs(acme), "Reconciled")
        assert.strictEqual(yield* personOf(acme, gusto, "g-1"), adaId)
      }),
    )
  })
}
