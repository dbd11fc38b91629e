import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { generateEmployees } from "../../bench/EmployeeGenerator.ts"
import { newPersonId } from "../../src/reconciliation/PersonIdentity.ts"
import {
  assignmentOf,
  explain,
  type ManualDecision,
  maxRecordsPerRun,
  memoryFor,
  persons,
  type ReconcileOptions,
  type Reconciliation,
  reconcile,
  reconcileSync,
} from "../../src/reconciliation/Reconciliation.ts"
import type { IndividualFields, SourceRecord } from "../../src/reconciliation/SourceRecord.ts"

const record = (recordId: string, connectionId: string, individual: IndividualFields): SourceRecord => ({
  record_id: recordId,
  connection_id: connectionId,
  individual,
})

const run = (records: ReadonlyArray<SourceRecord>, options?: ReconcileOptions): Reconciliation => {
  const result = reconcileSync(records, options)
  if (!("personIds" in result)) throw new Error(result.message)
  return result
}

const personOf = (result: Reconciliation, records: ReadonlyArray<SourceRecord>, recordId: string) =>
  result.personIds[result.personOfRecord[records.findIndex((r) => r.record_id === recordId)] as number]

const robert = record("a:1", "a", {
  first_name: "Robert",
  last_name: "Müller",
  dob: "1980-04-12",
  emails: [{ data: "rob.mueller@gmail.com", type: "personal" }],
})
const bob = record("b:7", "b", {
  first_name: "BOB",
  last_name: "Muller",
  dob: "1980-12-04",
  emails: [{ data: "Rob.Mueller@gmail.com", type: "personal" }],
})
const other = record("b:8", "b", { first_name: "Alice", last_name: "Nguyen", dob: "1990-01-01" })
const background = Array.from({ length: 40 }, (_, k) =>
  record(`z:${k}`, `z${k % 3}`, { first_name: `Person${k}`, last_name: `Family${k}`, dob: `19${50 + k}-02-03` }),
)

describe("reconcile", () => {
  it.effect("merges one person across connections and explains how the fields agreed", () =>
    Effect.gen(function* () {
      const records = [robert, bob, other, ...background]
      const result = yield* reconcile(records)
      assert.strictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:7"))
      assert.notStrictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:8"))
      const assignment = assignmentOf(result, records, 1)
      assert.deepStrictEqual(
        assignment.matched_by?.filter((m) => !m.startsWith("last")),
        ["first_name:nickname", "dob:day_month_swap", "email:exact"],
      )
      const evidence = explain(result.links[0] as (typeof result.links)[number])
      assert.isTrue(evidence.fields.some((f) => f.field === "last_name" && f.level === "exact"))
    }),
  )

  it.effect("fails with DuplicateRecordId when two records share an id", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(reconcile([robert, { ...bob, record_id: "a:1" }]))
      assert.strictEqual(error._tag, "DuplicateRecordId")
      assert.strictEqual(error._tag === "DuplicateRecordId" && error.recordId, "a:1")
    }),
  )

  it.effect("refuses a run past maxRecordsPerRun with TooManyRecords, before doing any work", () =>
    Effect.gen(function* () {
      // a sparse array: its length is what counts, no record is read
      const tooMany: Array<SourceRecord> = []
      tooMany.length = maxRecordsPerRun + 1
      const error = yield* Effect.flip(reconcile(tooMany))
      assert.strictEqual(error._tag, "TooManyRecords")
      assert.include(error.message, String(maxRecordsPerRun))
    }),
  )

  it("never puts two records of one connection and entity in one person, unless allowed", () => {
    const twin = { ...bob, record_id: "a:2", connection_id: "a" }
    const records = [robert, twin, ...background]
    const strict = run(records)
    assert.notStrictEqual(personOf(strict, records, "a:1"), personOf(strict, records, "a:2"))
    const allowed = run(records, { allowSameConnection: true })
    assert.strictEqual(personOf(allowed, records, "a:1"), personOf(allowed, records, "a:2"))
    const otherEntity = { ...twin, entity_id: "entity-2" }
    const records2 = [robert, otherEntity, ...background]
    const entities = run(records2)
    assert.strictEqual(personOf(entities, records2, "a:1"), personOf(entities, records2, "a:2"))
  })

  it("never merges two different well-formed SSNs, but tolerates a one-keystroke typo", () => {
    const a = record("a:1", "a", { first_name: "Jane", last_name: "Doe", dob: "1970-01-02", ssn: "123-45-6780" })
    const b = record("b:1", "b", { first_name: "Jane", last_name: "Doe", dob: "1970-01-02", ssn: "555-12-3456" })
    const c = record("c:1", "c", { first_name: "Jane", last_name: "Doe", dob: "1970-01-02", ssn: "123-45-6708" })
    const records = [a, b, ...background]
    const result = run(records)
    assert.notStrictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:1"))
    const typo = [a, c, ...background]
    const merged = run(typo)
    assert.strictEqual(personOf(merged, typo, "a:1"), personOf(merged, typo, "c:1"))
  })

  it("does not chain two different people through a sparse record", () => {
    const john = record("a:1", "a", { first_name: "John", last_name: "Quilliam", dob: "1961-07-21" })
    const sparse = record("b:1", "b", { last_name: "Quilliam", dob: "1961-07-21" })
    const mary = record("c:1", "c", { first_name: "Mary", last_name: "Quilliam", dob: "1975-03-02", ssn: null })
    const sparse2 = record("d:1", "d", { last_name: "Quilliam", dob: "1975-03-02" })
    const records = [john, sparse, mary, sparse2, ...background]
    const result = run(records)
    assert.notStrictEqual(personOf(result, records, "a:1"), personOf(result, records, "c:1"))
  })

  it("links a record by its home address, but never a household member by the address alone", () => {
    const home = { line1: "17 Arabanoo Crescent", line2: "Unit 2", city: "Seven Hills", postal_code: "6167" }
    const ana = record("a:1", "a", {
      first_name: "Angelica",
      last_name: "Alderson",
      dob: "1989-01-18",
      residence: home,
    })
    // a married name, no birth date, the street written short, the town mistyped, the number missing
    const anaAgain = record("b:1", "b", {
      first_name: "Angelica",
      last_name: "Brown",
      dob: null,
      residence: { line1: "Arabanoo Cres", city: "Seven Hils", postal_code: "6167" },
    })
    // the same home and surname, another first name and birth date: a spouse or a child
    const joel = record("c:1", "c", { first_name: "Joel", last_name: "Alderson", dob: "1985-03-02", residence: home })
    // everyone else lives somewhere else (so the run can measure how rarely two people share a home)
    const neighbours = background.map((r, k) => ({
      ...r,
      individual: {
        ...r.individual,
        residence: { line1: `${k + 1} Elm Street`, city: "Seven Hills", postal_code: "6167" },
      },
    }))
    const records = [ana, anaAgain, joel, ...neighbours]
    const result = run(records)
    assert.strictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:1"))
    assert.notStrictEqual(personOf(result, records, "a:1"), personOf(result, records, "c:1"))
    const link = result.links.find((l) => [l.recordA, l.recordB].includes("b:1"))
    assert.include(
      explain(link as (typeof result.links)[number]).fields.map((f) => `${f.field}:${f.level}`),
      "residence:address",
    )
    // without the address nothing but the first name agrees
    const bare = records.map((r) => ({ ...r, individual: { ...r.individual, residence: null } }))
    const apart = run(bare)
    assert.notStrictEqual(personOf(apart, bare, "a:1"), personOf(apart, bare, "b:1"))
  })

  it("recognises swapped names when the surname written as first name has several words", () => {
    const a = record("a:1", "a", { first_name: "Chelsea", last_name: "van Groesen", dob: "1991-02-11" })
    const b = record("b:1", "b", { first_name: "van Groesen", last_name: "Chelsea", dob: "1991-02-11" })
    const records = [a, b, ...background]
    const result = run(records)
    assert.strictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:1"))
  })

  it("lets manual decisions win over the scores", () => {
    const records = [robert, bob, other, ...background]
    const decisions: Array<ManualDecision> = [
      { kind: "never_same_person", recordA: "a:1", recordB: "b:7" },
      { kind: "same_person", recordA: "a:1", recordB: "b:8" },
    ]
    const result = run(records, { decisions })
    assert.notStrictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:7"))
    assert.strictEqual(personOf(result, records, "a:1"), personOf(result, records, "b:8"))
    const link = result.links.find((l) => l.manual)
    assert.isDefined(link)
  })

  it("keeps person ids across runs: new data joins, a merge keeps the older id with an alias, a split is recorded", () => {
    const first = run([robert, other, ...background], { runAt: 1 })
    const before = persons(first, [robert, other, ...background])
    const robertId = before.find((p) => p.recordIds.includes("a:1"))?.personId as string
    const bobAlone = run([bob, ...background], { runAt: 2 })
    const bobId = bobAlone.personIds[bobAlone.personOfRecord[0] as number] as string
    const previous = [...before.map((p) => ({ ...p })), { personId: bobId, recordIds: ["b:7"], since: 2 }].filter(
      (p, k, all) => all.findIndex((q) => q.personId === p.personId) === k,
    )
    const records = [robert, bob, other, ...background]
    const second = run(records, { previous, runAt: 3 })
    assert.strictEqual(personOf(second, records, "a:1"), robertId)
    assert.strictEqual(personOf(second, records, "b:7"), robertId)
    assert.deepStrictEqual(second.aliases, [{ alias: bobId, personId: robertId }])
    const third = run(records, {
      previous: persons(second, records),
      decisions: [{ kind: "never_same_person", recordA: "a:1", recordB: "b:7" }],
      runAt: 4,
    })
    assert.strictEqual(third.splits.length, 1)
    assert.strictEqual(third.splits[0]?.personId, robertId)
  })

  it("names a new person after its first record in (hash, id) order, as newPersonId does", () => {
    const records = [robert, bob, other, ...background]
    const result = run(records)
    // Alice stands alone; Robert and Bob are one person, named after one of their two records
    assert.strictEqual(personOf(result, records, "b:8"), newPersonId("b:8", 0))
    assert.include([newPersonId("a:1", 0), newPersonId("b:7", 0)], personOf(result, records, "a:1"))
  })

  // a small workforce with namesakes, nicknames, typos, swapped dates and names, and the records above
  const shuffleable = [robert, bob, other, ...generateEmployees({ records: 400, seed: 5, namesakes: 20 }).records]
  const byRecord = (result: Reconciliation, records: ReadonlyArray<SourceRecord>) =>
    records.map((_, k) => assignmentOf(result, records, k)).sort((x, y) => (x.record_id < y.record_id ? -1 : 1))
  const expected = {
    reliable: byRecord(run(shuffleable), shuffleable),
    noisy: byRecord(run(shuffleable, { dataQuality: "noisy" }), shuffleable),
  }
  it.prop(
    "gives identical output (persons, ids, scores, evidence) whatever the input order",
    [
      FastCheck.shuffledSubarray(shuffleable, { minLength: shuffleable.length, maxLength: shuffleable.length }),
      FastCheck.constantFrom("reliable" as const, "noisy" as const),
    ],
    ([shuffled, dataQuality]) => {
      assert.deepStrictEqual(byRecord(run(shuffled, { dataQuality }), shuffled), expected[dataQuality])
    },
    { fastCheck: { numRuns: 12 } },
  )

  it("gives the same result with working memory kept from earlier runs, larger and smaller", () => {
    const small = [robert, bob, other, ...background]
    const large = generateEmployees({ records: 3000, seed: 11 }).records
    const memory = memoryFor(small.length)
    const expectedSmall = persons(run(small), small)
    const expectedLarge = persons(run(large), large)
    // the kept memory is first too small (it grows), then larger than needed and dirty from the run before
    assert.deepStrictEqual(persons(run(large, { memory }), large), expectedLarge)
    assert.deepStrictEqual(persons(run(small, { memory }), small), expectedSmall)
    assert.deepStrictEqual(persons(run(large, { memory }), large), expectedLarge)
  })
})

/** A workforce around the records under test, so a run's priors and rarities are those of real use. */
const workforce = generateEmployees({ records: 3000, seed: 21 }).records
const runWith = (records: ReadonlyArray<SourceRecord>, options?: ReconcileOptions) => {
  const all = [...records, ...workforce]
  const result = run(all, options)
  return (a: string, b: string) => personOf(result, all, a) === personOf(result, all, b)
}

describe("precision: a false merge mixes two people's payroll", () => {
  const mail = (data: string, type: "personal" | "work" = "personal") => ({ data, type })
  const dana = { first_name: "Dana", last_name: "Whitlock" } as const

  it("two namesakes born years apart stay two people, however alike their name-built addresses", () => {
    const shapes: ReadonlyArray<readonly [string, string]> = [
      ["dana.whitlock63@gmail.com", "dana.whitlock83@gmail.com"],
      ["dana.whitlock3@gmail.com", "dana.whitlock34@gmail.com"],
      ["dana.whitlock63@gmail.com", "dana.whitlock63@gmail.com"],
      ["dana.whitlock2@acme.example", "dana.whitlock2@globex.example"],
    ]
    for (const [x, y] of shapes) {
      const same = runWith([
        record("a:1", "a", {
          ...dana,
          dob: "1961-03-04",
          emails: [mail(x), mail("dana.whitlock@acme.example", "work")],
        }),
        record("b:1", "b", {
          ...dana,
          dob: "1979-11-20",
          emails: [mail(y), mail("dana.whitlock@globex.example", "work")],
        }),
      ])
      assert.isFalse(same("a:1", "b:1"), `${x} / ${y}`)
    }
  })

  it("but one person's records with a mistyped or day/month-swapped birth date still link", () => {
    for (const dob of ["1961-03-05", "1961-04-03", "1691-03-04"]) {
      const same = runWith([
        record("a:1", "a", { ...dana, dob: "1961-03-04", emails: [mail("dana.whitlock63@gmail.com")] }),
        record("b:1", "b", { ...dana, dob, emails: [mail("dana.whitlock63@gmail.com")] }),
      ])
      assert.isTrue(same("a:1", "b:1"), dob)
    }
  })

  it("a person never holds two conflicting birth dates, whatever bridges them", () => {
    // records without a date share an address with the first namesake and look like the second (enough of them
    // that the cross pairs would average well above the cohesion threshold)
    const same = runWith([
      record("a:1", "a", { ...dana, dob: "1961-03-04", emails: [mail("dana.whitlock63@gmail.com")] }),
      record("a:2", "e", { ...dana, emails: [mail("dana.whitlock63@gmail.com")] }),
      record("c:1", "c", {
        ...dana,
        emails: [mail("dana.whitlock63@gmail.com"), mail("dana.whitlock@acme.example", "work")],
      }),
      record("b:1", "b", {
        ...dana,
        dob: "1979-11-20",
        emails: [mail("dana.whitlock@acme.example", "work"), mail("dana.whitlock83@gmail.com")],
      }),
      record("b:2", "d", { ...dana, dob: "1979-11-20", emails: [mail("dana.whitlock83@gmail.com")] }),
    ])
    assert.isTrue(same("a:1", "a:2"))
    assert.isTrue(same("b:1", "b:2"))
    assert.isFalse(same("a:1", "b:1"))
  })

  it("two conflicting birth dates one pair of records vouches for (first name and a phone) take a third appearance of either date", () => {
    // a:1 and b:1 are vouched for by the phone; c:1 (a:1's date, no phone) conflicts with b:1 on its own, but that
    // conflict between these two dates is already the person's own
    const phone = [{ data: "(415) 555-0142", type: "mobile" }]
    const same = runWith([
      record("a:1", "a", { ...dana, dob: "1961-03-04", phone_numbers: phone }),
      record("b:1", "b", { ...dana, dob: "1979-11-20", phone_numbers: phone }),
      record("c:1", "c", { first_name: "Dana", last_name: "Whitlok", dob: "1961-03-04" }),
    ])
    assert.isTrue(same("a:1", "b:1"))
    assert.isTrue(same("a:1", "c:1"))
    // a third date in conflict with both is nobody's: it stays apart
    const third = runWith([
      record("a:1", "a", { ...dana, dob: "1961-03-04", phone_numbers: phone }),
      record("b:1", "b", { ...dana, dob: "1979-11-20", phone_numbers: phone }),
      record("c:1", "c", { ...dana, dob: "1990-07-15" }),
    ])
    assert.isTrue(third("a:1", "b:1"))
    assert.isFalse(third("a:1", "c:1"))
  })

  it("a record without a birth date is not joined to a namesake on a look-alike address with another number", () => {
    const same = runWith([
      record("c:1", "c", { ...dana, emails: [mail("dana.whitlock38@gmail.com")] }),
      record("b:1", "b", { ...dana, dob: "1979-11-20", emails: [mail("dana.whitlock39@gmail.com")] }),
    ])
    assert.isFalse(same("c:1", "b:1"))
  })

  it("a person never holds two different well-formed SSNs, whatever bridges them", () => {
    const same = runWith([
      record("a:1", "a", { ...dana, dob: "1961-03-04", ssn: "212-48-3371" }),
      record("c:1", "c", { ...dana, dob: "1961-03-04" }),
      record("b:1", "b", { ...dana, dob: "1961-03-04", ssn: "431-22-9087" }),
    ])
    assert.isFalse(same("a:1", "b:1"))
  })
})

describe("recall on Finch's key: first name, surname and birth date", () => {
  for (const dataQuality of ["reliable", "noisy"] as const) {
    it(`links a nickname or a one-letter typo of the first name with the same surname and birth date (${dataQuality})`, () => {
      for (const first of ["Tom", "Rhomas", "Thomsa", "Tommy"]) {
        const same = runWith(
          [
            record("a:1", "a", { first_name: "Thomas", last_name: "Brennan", dob: "1984-07-19" }),
            record("b:1", "b", { first_name: first, last_name: "Brennan", dob: "1984-07-19" }),
          ],
          { dataQuality },
        )
        assert.isTrue(same("a:1", "b:1"), first)
      }
    })
  }
})
