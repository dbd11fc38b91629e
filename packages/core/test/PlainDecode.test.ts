import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Company, DirectoryPage, Employment, Individual } from "../src/FinchData.ts"
import { IndividualId } from "../src/Ids.ts"
import { plainDecoder, plainMake } from "../src/PlainDecode.ts"

const individual = {
  id: "i-1",
  first_name: "Ada",
  middle_name: null,
  last_name: "Lovelace",
  emails: [{ data: "ada@example.com", type: "work", extra: 1 }],
  phone_numbers: [null, { data: null, type: "personal" }],
  dob: "1815-12-10",
  residence: { line1: "1 St James's Square", city: "London", country: "GB", lat: 51.5 },
  something_new: { nested: true },
}

const employment = {
  id: "i-1",
  title: "Analyst",
  manager: { id: "m-1", name: "excess" },
  department: { name: null },
  employment: { type: "employee", subtype: "full_time" },
  is_active: true,
  income: { amount: 100_000, currency: "usd", unit: "yearly" },
  income_history: [null, { amount: 90_000, effective_date: "2020-01-01" }],
  custom_fields: [{ name: "x", value: [1, 2] }, "anything"],
}

/** Inputs Schema accepts and rejects: the compiled decoder must give the same answer for each. */
const cases: ReadonlyArray<readonly [string, Schema.Schema<any, any>, unknown]> = [
  ["individual", Individual, individual],
  ["individual, only the id", Individual, { id: "x" }],
  ["individual, an optional field undefined", Individual, { id: "x", first_name: undefined }],
  ["individual, a wrong type", Individual, { ...individual, first_name: 42 }],
  ["individual, a wrong nested type", Individual, { ...individual, emails: [{ data: null }] }],
  ["individual, no id", Individual, { first_name: "Ada" }],
  ["individual, not an object", Individual, "Ada"],
  ["individual, null", Individual, null],
  ["individual, an array", Individual, []],
  ["employment", Employment, employment],
  ["employment, a string income", Employment, { ...employment, income: "100k" }],
  ["employment, a boolean as a string", Employment, { ...employment, is_active: "true" }],
  ["directory page", DirectoryPage, { paging: { count: 1, offset: 0 }, individuals: [{ id: "a", x: 1 }] }],
  ["company", Company, { id: "c", departments: [null, { name: "R&D", parent: null }], accounts: [{ any: 1 }] }],
]

describe("plainDecoder", () => {
  for (const [name, schema, input] of cases) {
    it(`gives Schema's result: ${name}`, () => {
      const expected = Schema.decodeUnknownEither(schema)(input)
      const actual = plainDecoder(schema)(input)
      assert.strictEqual(actual._tag, expected._tag)
      if (Either.isRight(expected) && Either.isRight(actual)) {
        assert.deepStrictEqual(actual.right, expected.right)
        assert.deepStrictEqual(Object.keys(actual.right), Object.keys(expected.right))
      }
      if (Either.isLeft(expected) && Either.isLeft(actual)) {
        assert.strictEqual(
          ParseResult.TreeFormatter.formatErrorSync(actual.left),
          ParseResult.TreeFormatter.formatErrorSync(expected.left),
        )
      }
    })
  }

  it("leaves excess properties out, at every depth", () => {
    const decoded = Either.getOrThrow(plainDecoder(Individual)(individual))
    assert.isFalse("something_new" in decoded)
    assert.isFalse("lat" in (decoded.residence ?? {}))
    assert.isFalse("extra" in (decoded.emails?.[0] ?? {}))
  })

  it("falls back to Schema for what it does not compile (a transformation)", () => {
    const decode = plainDecoder(Schema.Struct({ n: Schema.NumberFromString }))
    assert.deepStrictEqual(Either.getOrThrow(decode({ n: "4" })), { n: 4 })
    assert.isTrue(Either.isLeft(decode({ n: 4 })))
  })
})

describe("plainMake", () => {
  it("brands what the brand accepts and throws the brand's own error otherwise", () => {
    const make = plainMake(IndividualId)
    assert.strictEqual(make("ind-1"), IndividualId.make("ind-1"))
    const message = (f: () => unknown) => {
      try {
        f()
        return "no error"
      } catch (error) {
        return String(error)
      }
    }
    assert.strictEqual(
      message(() => make(" ")),
      message(() => IndividualId.make(" ")),
    )
    assert.notStrictEqual(
      message(() => make(" ")),
      "no error",
    )
  })
})
