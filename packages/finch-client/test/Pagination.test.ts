import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Pagination from "../src/Pagination.ts"

const people = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `p${i}` }))
const page = (offset: number | undefined, count: number | undefined, size: number) => ({
  paging: { ...(offset === undefined ? {} : { offset }), ...(count === undefined ? {} : { count }) },
  individuals: people(size),
})
const next = (requested: number, p: ReturnType<typeof page>) =>
  Either.map(Pagination.nextOffset(requested, p), Option.getOrNull)

describe("Pagination.nextOffset", () => {
  it("continues at offset + page length until count is reached", () => {
    assert.deepStrictEqual(next(0, page(0, 25_000, 10_000)), Either.right(10_000))
    assert.deepStrictEqual(next(10_000, page(10_000, 25_000, 10_000)), Either.right(20_000))
    assert.deepStrictEqual(next(20_000, page(20_000, 25_000, 5_000)), Either.right(null))
  })

  it("stops on an empty page, a zero count or no count", () => {
    assert.deepStrictEqual(next(0, page(0, 25, 0)), Either.right(null))
    assert.deepStrictEqual(next(0, page(0, 0, 10)), Either.right(null))
    assert.deepStrictEqual(next(0, page(0, undefined, 10)), Either.right(null))
  })

  it("takes the requested offset when Finch leaves paging.offset out", () => {
    assert.deepStrictEqual(next(100, page(undefined, 250, 100)), Either.right(200))
  })

  it("refuses a page at another offset than asked", () => {
    assert.isTrue(Either.isLeft(Pagination.nextOffset(100, page(0, 250, 100))))
  })

  it.prop(
    "walking the pages of any directory visits every person exactly once",
    [FastCheck.integer({ min: 0, max: 30_000 }), FastCheck.integer({ min: 1, max: 10_000 })],
    ([total, limit]) => {
      let offset = 0
      let seen = 0
      for (let requests = 0; requests <= total + 1; requests++) {
        const size = Math.max(0, Math.min(limit, total - offset))
        seen += size
        const result = Pagination.nextOffset(offset, page(offset, total, size))
        if (Either.isLeft(result)) return false
        if (Option.isNone(result.right)) return seen === total && requests + 1 === Math.max(1, Math.ceil(total / limit))
        offset = result.right.value
      }
      return false
    },
  )
})
