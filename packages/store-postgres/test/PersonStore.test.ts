import { assert, layer } from "@effect/vitest"
import { CustomerId } from "@finch-connections/core/Ids"
import { PersonStore, toPersonRun } from "@finch-connections/core/PersonStore"
import { reconcileSync } from "@finch-connections/core/reconciliation/Reconciliation"
import type { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import { personStoreContract } from "@finch-connections/core/testing/PersonStoreContract"
import { Effect, Layer, Option } from "effect"
import * as PgPersonStore from "../src/PersonStore.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

const PersonStoreTest = PgPersonStore.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 4 })))

const insertCustomers = (...ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const owner = yield* TestDatabase.ownerKysely
    yield* Effect.promise(() =>
      owner
        .insertInto("customers")
        .values(ids.map((id) => ({ id, name: id })))
        .onConflict((conflict) => conflict.column("id").doNothing())
        .execute(),
    )
  }).pipe(Effect.scoped)

layer(PersonStoreTest, { timeout: 120_000 })("PersonStore on PostgreSQL", (it) => {
  it.effect("passes core's PersonStore contract", () =>
    Effect.gen(function* () {
      yield* insertCustomers("acme", "acme-other")
      yield* personStoreContract("acme")
    }),
  )

  it.effect("saves a large run in one transaction and reads it back as the next run's input", () =>
    Effect.gen(function* () {
      yield* insertCustomers("bulk")
      const store = yield* PersonStore
      const bulk = CustomerId.make("bulk")
      const records: Array<SourceRecord> = Array.from({ length: 20_000 }, (_, k) => ({
        record_id: `c${k % 4}:${k}`,
        connection_id: `c${k % 4}`,
        individual: {
          first_name: `First${Math.floor(k / 2)}`,
          last_name: `Last${Math.floor(k / 2)}`,
          dob: "1980-01-02",
        },
      }))
      const result = reconcileSync(records, { runAt: 1 })
      if (!("personIds" in result)) throw new Error("duplicate")
      yield* store.saveRun(bulk, toPersonRun(result, records))
      const previous = yield* store.previousPersons(bulk)
      assert.strictEqual(previous.length, result.personIds.length)
      assert.strictEqual(
        previous.reduce((sum, p) => sum + p.recordIds.length, 0),
        records.length,
      )
      // a second save replaces the first whole
      yield* store.saveRun(bulk, toPersonRun(result, records))
      assert.strictEqual((yield* store.previousPersons(bulk)).length, result.personIds.length)
      assert.isTrue(Option.isSome(yield* store.assignmentOf(bulk, "c0:0")))
    }),
  )

  it.effect("a failed save leaves the previous run in place", () =>
    Effect.gen(function* () {
      yield* insertCustomers("atomic")
      const store = yield* PersonStore
      const atomic = CustomerId.make("atomic")
      const run = {
        persons: [{ personId: "p_1", since: 1, recordIds: ["r1"] }],
        assignments: [{ recordId: "r1", personId: "p_1", score: null, matchedBy: [] }],
        aliases: [],
        splits: [],
      }
      yield* store.saveRun(atomic, run)
      // an assignment to an unknown person breaks the foreign key half-way through the save
      const broken = { ...run, assignments: [{ recordId: "r1", personId: "p_missing", score: null, matchedBy: [] }] }
      const exit = yield* Effect.exit(store.saveRun(atomic, broken))
      assert.isTrue(exit._tag === "Failure")
      assert.deepStrictEqual(yield* store.previousPersons(atomic), [{ personId: "p_1", since: 1, recordIds: ["r1"] }])
    }),
  )
})
