import { assert, describe, it } from "@effect/vitest"
import * as FinchData from "@finch-connections/core/FinchData"
import * as Batching from "../src/Batching.ts"

describe("Batching.batchesOf", () => {
  it("cuts distinct ids into requests of at most the batch size, keeping their order", () => {
    const ids = Array.from({ length: 25_000 }, (_, i) => `id-${i}`)
    const batches = Batching.batchesOf([...ids, "id-3", "id-7"], Batching.maxBatchSize)
    assert.deepStrictEqual(
      batches.map((b) => b.length),
      [10_000, 10_000, 5_000],
    )
    assert.deepStrictEqual(batches.flat(), ids)
    assert.deepStrictEqual(Batching.batchesOf([], 10), [])
    assert.deepStrictEqual(Batching.batchesOf(["a", "b", "c"], 2), [["a", "b"], ["c"]])
  })
})

describe("Batching.toBatchItems", () => {
  it("surfaces each item on its own: found, Finch's error, or a body that would not decode", () => {
    const items = Batching.toBatchItems(FinchData.Individual, [
      { individual_id: "a", code: 200, body: { id: "a", first_name: "Ada", last_name: null, extra: "ignored" } },
      {
        individual_id: "b",
        code: 404,
        body: { name: "not_found_error", code: 404, finch_code: "individual_not_found", message: "no b" },
      },
      { individual_id: "c", code: 404, body: { error_name: "not_found_error", error_message: "old style" } },
      { individual_id: "d", code: 200, body: { id: "d", ssn: 123456789 } },
      { individual_id: "e", code: 500 },
    ])
    assert.deepStrictEqual(items[0], {
      _tag: "Found",
      individualId: "a",
      body: { id: "a", first_name: "Ada", last_name: null },
    })
    assert.deepStrictEqual(items[1], {
      _tag: "Failed",
      individualId: "b",
      code: 404,
      error: { code: 404, name: "not_found_error", finch_code: "individual_not_found", message: "no b" },
    })
    assert.deepStrictEqual(items[2], {
      _tag: "Failed",
      individualId: "c",
      code: 404,
      error: { code: 404, name: "not_found_error", finch_code: null, message: "old style" },
    })
    const d = items[3]
    assert.strictEqual(d?._tag, "Failed")
    if (d?._tag === "Failed") {
      assert.strictEqual(d.error.name, "decode_error")
      assert.include(d.error.message, "ssn")
      assert.notInclude(d.error.message, "123456789")
    }
    assert.deepStrictEqual(items[4], {
      _tag: "Failed",
      individualId: "e",
      code: 500,
      error: { code: 500, name: "unknown_error", finch_code: null, message: "item answered with code 500" },
    })
  })
})
