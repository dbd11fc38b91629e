import { assert, layer } from "@effect/vitest"
import { CustomerId } from "@finch-connections/core/Ids"
import { PersonStore, toPersonRun } from "@finch-connections/core/PersonStore"
import { reconcileSync } from "@finch-connections/core/reconciliation/Reconciliation"
import type { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import { personStoreContract } from "@finch-connections/core/testing/PersonStoreContract"
import { Effect, Layer, Option } from "effect"
import { sql } from "kysely"
import * as PgPersonStore from "../src/PersonStore.ts"
import * as PgDatabase from "../src/PgDatabase.ts"
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
      yield* store.saveRun(bulk, toPersonRun(result, records), "bulk-inputs")
      const previous = yield* store.previousPersons(bulk)
      assert.strictEqual(previous.length, result.personIds.length)
      assert.strictEqual(
        previous.reduce((sum, p) => sum + p.recordIds.length, 0),
        records.length,
      )
      // a second save replaces the first whole
      yield* store.saveRun(bulk, toPersonRun(result, records), "bulk-inputs")
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
      yield* store.saveRun(atomic, run, "inputs-1")
      // an assignment to an unknown person breaks the foreign key half-way through the save
      const broken = { ...run, assignments: [{ recordId: "r1", personId: "p_missing", score: null, matchedBy: [] }] }
      const exit = yield* Effect.exit(store.saveRun(atomic, broken, "inputs-2"))
      assert.isTrue(exit._tag === "Failure")
      assert.deepStrictEqual(yield* store.previousPersons(atomic), [{ personId: "p_1", since: 1, recordIds: ["r1"] }])
      assert.deepStrictEqual(yield* store.lastRunInputs(atomic), Option.some("inputs-1"))
    }),
  )

  it.effect("the inputs digest changes exactly when a current record or a decision does, this customer's only", () =>
    Effect.gen(function* () {
      yield* insertCustomers("digest", "digest-other")
      const owner = yield* TestDatabase.ownerKysely
      const store = yield* PersonStore
      const digest = CustomerId.make("digest")
      const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second))
      const connectionOf = async (customer: string) => {
        const row = await sql<{ id: string }>`insert into connections
            (id, customer_id, provider_id, company_id, status, created_at, updated_at)
          values (gen_random_uuid(), ${customer}, 'gusto', ${`company-of-${customer}`}, 'active', ${at(0)}, ${at(0)})
          returning id`.execute(owner)
        return row.rows[0]!.id
      }
      const exec = (statement: ReturnType<typeof sql>) => Effect.promise(() => statement.execute(owner))
      const [mine, theirs] = yield* Effect.promise(() =>
        Promise.all([connectionOf("digest"), connectionOf("digest-other")]),
      )
      const addRecord = (customer: string, connection: string, individual: string) =>
        exec(sql`insert into employee_records (customer_id, connection_id, individual_id, individual,
            first_seen_at, updated_at)
          values (${customer}, ${connection}, ${individual}, ${JSON.stringify({ id: individual })}::jsonb,
            ${at(1)}, ${at(1)})`)
      const digests: Array<string> = []
      /** The digest now, after checking whether it moved since the last look. */
      const moved = Effect.gen(function* () {
        const now = yield* store.inputsDigest(digest)
        const changed = digests.length > 0 && now !== digests[digests.length - 1]
        digests.push(now)
        return changed
      })

      yield* moved
      const empty = digests[0]
      yield* addRecord("digest", mine, "1")
      assert.isTrue(yield* moved, "a new record")
      yield* addRecord("digest", mine, "2")
      assert.isTrue(yield* moved, "another new record")
      // a sync that saw the records unchanged rewrites nothing but a missing content digest
      yield* exec(sql`update employee_records set content_digest = 'seen' where customer_id = 'digest'`)
      assert.isFalse(yield* moved, "records seen again")
      yield* exec(sql`update employee_records set updated_at = ${at(10)} where individual_id = '2'`)
      assert.isTrue(yield* moved, "a changed record")
      // milliseconds count (the snapshot's timestamps come from the application's clock)
      yield* exec(sql`update employee_records set updated_at = updated_at + interval '1 millisecond'
        where individual_id = '2'`)
      assert.isTrue(yield* moved, "a record changed a millisecond later")
      yield* exec(sql`update employee_records set removed_at = ${at(11)}, updated_at = ${at(11)}`)
      assert.isTrue(yield* moved, "removed records")
      assert.strictEqual(digests[digests.length - 1], empty, "no current records is no records")

      yield* exec(sql`update employee_records set removed_at = null, updated_at = ${at(12)}`)
      assert.isTrue(yield* moved, "records back")
      yield* store.decide(digest, { kind: "never_same_person", recordA: "x:1", recordB: "x:2" })
      assert.isTrue(yield* moved, "a new decision")
      yield* store.decide(digest, { kind: "never_same_person", recordA: "x:2", recordB: "x:1" })
      assert.isFalse(yield* moved, "the same decision again")
      yield* store.decide(digest, { kind: "same_person", recordA: "x:1", recordB: "x:2" })
      assert.isTrue(yield* moved, "a decision changed")
      yield* store.undecide(digest, "x:1", "x:2")
      assert.isTrue(yield* moved, "a decision withdrawn")

      // another customer's records and decisions never count (row-level security, and the query's own filter)
      yield* addRecord("digest-other", theirs, "1")
      yield* exec(sql`update employee_records set updated_at = ${at(20)} where customer_id = 'digest-other'`)
      yield* store.decide(CustomerId.make("digest-other"), { kind: "same_person", recordA: "y:1", recordB: "y:2" })
      assert.isFalse(yield* moved, "another customer's rows")

      // the worker's role reads the same digest and keeps the run's inputs
      const database = yield* TestDatabase.TestDatabase
      const worker = PgPersonStore.make({
        db: yield* PgDatabase.make({ url: database.url, role: "finch_worker", max: 1 }),
      })
      assert.strictEqual(yield* worker.inputsDigest(digest), digests[digests.length - 1])
      const run = { persons: [], assignments: [], aliases: [], splits: [] }
      yield* worker.saveRun(digest, run, "worker-inputs")
      assert.deepStrictEqual(yield* store.lastRunInputs(digest), Option.some("worker-inputs"))
      assert.deepStrictEqual(yield* worker.lastRunInputs(CustomerId.make("digest-other")), Option.none())
    }).pipe(Effect.scoped),
  )

  it.effect("a save writes only the persons and links that changed, and deletes the ones the run no longer has", () =>
    Effect.gen(function* () {
      yield* insertCustomers("incremental")
      const owner = yield* TestDatabase.ownerKysely
      const store = yield* PersonStore
      const customer = CustomerId.make("incremental")
      /** Each row's key and the transaction that last wrote it (`xmin`). */
      const writers = Effect.promise(async () => {
        const persons = await sql<{ key: string; xmin: string }>`select person_id as key, xmin::text as xmin
          from persons where customer_id = 'incremental'`.execute(owner)
        const links = await sql<{ key: string; xmin: string }>`select record_id as key, xmin::text as xmin
          from person_links where customer_id = 'incremental'`.execute(owner)
        return new Map<string, string>([
          ...persons.rows.map((r) => [`person ${r.key}`, r.xmin] as const),
          ...links.rows.map((r) => [`link ${r.key}`, r.xmin] as const),
        ])
      })
      const link = (
        recordId: string,
        personId: string,
        score: number | null = null,
        matchedBy: Array<string> = [],
      ) => ({
        recordId,
        personId,
        score,
        matchedBy,
      })
      const first = {
        persons: [
          { personId: "p_1", since: 1, recordIds: ["r1", "r2"] },
          { personId: "p_2", since: 1.5, recordIds: ["r3"] },
          { personId: "p_3", since: 2, recordIds: ["r4"] },
        ],
        assignments: [
          link("r1", "p_1"),
          link("r2", "p_1", 12.25, ["dob", "last_name"]),
          link("r3", "p_2"),
          link("r4", "p_3"),
        ],
        aliases: [],
        splits: [],
      }
      yield* store.saveRun(customer, first, "first")
      const before = yield* writers

      // r2 moves to p_2 on other evidence, p_3 and its record go, p_4 arrives with a new record
      const second = {
        persons: [
          { personId: "p_1", since: 1, recordIds: ["r1"] },
          { personId: "p_2", since: 1.5, recordIds: ["r2", "r3"] },
          { personId: "p_4", since: 3, recordIds: ["r5"] },
        ],
        assignments: [
          link("r1", "p_1"),
          link("r2", "p_2", 9.5, ["first_name:nickname"]),
          link("r3", "p_2"),
          link("r5", "p_4"),
        ],
        aliases: [],
        splits: [{ personId: "p_1", into: ["p_1", "p_2"] }],
      }
      yield* store.saveRun(customer, second, "second")
      const after = yield* writers
      assert.deepStrictEqual([...after.keys()].sort(), [
        "link r1",
        "link r2",
        "link r3",
        "link r5",
        "person p_1",
        "person p_2",
        "person p_4",
      ])
      for (const unchanged of ["person p_1", "person p_2", "link r1", "link r3"]) {
        assert.strictEqual(after.get(unchanged), before.get(unchanged), `${unchanged} was rewritten`)
      }
      assert.notStrictEqual(after.get("link r2"), before.get("link r2"))
      // what readers see is the second run, whole
      assert.deepStrictEqual(yield* store.previousPersons(customer), second.persons)
      for (const assignment of second.assignments) {
        assert.deepStrictEqual(yield* store.assignmentOf(customer, assignment.recordId), Option.some(assignment))
      }
      assert.deepStrictEqual(yield* store.assignmentOf(customer, "r4"), Option.none())

      // the same run again writes no person and no link
      yield* store.saveRun(customer, second, "second")
      assert.deepStrictEqual(yield* writers, after)
      // a person whose first-seen time changed is rewritten, its id kept
      const since = { ...second, persons: second.persons.map((p) => (p.personId === "p_4" ? { ...p, since: 2.5 } : p)) }
      yield* store.saveRun(customer, since, "since")
      assert.deepStrictEqual(yield* store.previousPersons(customer), since.persons)
    }).pipe(Effect.scoped),
  )

  it.effect("two saves of one customer at once end as one of the runs, whole", () =>
    Effect.gen(function* () {
      yield* insertCustomers("racing")
      const store = yield* PersonStore
      const customer = CustomerId.make("racing")
      const runOf = (prefix: string, count: number) => ({
        persons: Array.from({ length: count }, (_, k) => ({
          personId: `${prefix}${k}`,
          since: k,
          recordIds: [`r${k}`],
        })),
        assignments: Array.from({ length: count }, (_, k) => ({
          recordId: `r${k}`,
          personId: `${prefix}${k}`,
          score: null,
          matchedBy: [],
        })),
        aliases: [],
        splits: [],
      })
      yield* store.saveRun(customer, runOf("p_start_", 300), "start")
      const runs = [runOf("p_a_", 200), runOf("p_b_", 400)]
      for (let round = 0; round < 5; round++) {
        yield* Effect.all(
          runs.map((run, k) => store.saveRun(customer, run, `run-${k}`)),
          { concurrency: "unbounded" },
        )
        const persons = yield* store.previousPersons(customer)
        const last = yield* store.lastRunInputs(customer)
        const winner = runs[last.pipe(Option.getOrThrow) === "run-0" ? 0 : 1]!
        assert.deepStrictEqual(
          persons,
          [...winner.persons].sort((a, b) => (a.personId < b.personId ? -1 : 1)),
        )
      }
    }),
  )
})
