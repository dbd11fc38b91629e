import { describe, expect, it } from "@effect/vitest"
import { Arena } from "../../src/reconciliation/internal/Arena.ts"
import { countDistinctPairs, radixSortPairs, radixSortUint32 } from "../../src/reconciliation/internal/RadixSort.ts"

const random = (seed: number) => () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed
}

describe("RadixSort", () => {
  it("sorts indices by unsigned 32-bit keys, stably", () => {
    const next = random(1)
    const keys = Uint32Array.from({ length: 5000 }, () => next() % 300)
    const indices = Int32Array.from({ length: 5000 }, (_, i) => i)
    const sorted = radixSortUint32(indices, keys, new Arena(1 << 20))
    const expected = [...Array(5000).keys()].sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b)
    expect([...sorted]).toEqual(expected)
  })

  it("sorts keys as unsigned and moves the values along", () => {
    const keys = Int32Array.from([5, -1, 3, 5, 0, -2147483648])
    const values = Int32Array.from([0, 1, 2, 3, 4, 5])
    radixSortPairs(keys, values, new Arena(1 << 20))
    expect([...keys]).toEqual([0, 3, 5, 5, -2147483648, -1])
    expect([...values]).toEqual([4, 2, 0, 3, 5, 1])
  })

  it("sorts keys that share their high bytes (passes skipped, an odd number of them made) back into the caller's arrays", () => {
    const next = random(3)
    for (const limit of [1, 200, 60000, 1 << 23]) {
      const keys = Int32Array.from({ length: 3000 }, () => next() % limit)
      const values = Int32Array.from({ length: 3000 }, (_, i) => i)
      const expected = [...values].sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b)
      const expectedKeys = expected.map((index) => keys[index] as number)
      radixSortPairs(keys, values, new Arena(1 << 20))
      expect([...values]).toEqual(expected)
      expect([...keys]).toEqual(expectedKeys)
    }
  })

  it("counts the distinct partners of every value, as a set would", () => {
    const next = random(7)
    const length = 20000
    const a = Int32Array.from({ length }, () => next() % 500)
    const b = Int32Array.from({ length }, () => next() % 40)
    const expected = new Map<number, Set<number>>()
    for (let i = 0; i < length; i++) {
      const set = expected.get(a[i] as number) ?? new Set<number>()
      set.add(b[i] as number)
      expected.set(a[i] as number, set)
    }
    const seen: Array<[number, number]> = []
    const pairs = countDistinctPairs(a, b, length, new Arena(1 << 20), (value, distinct) =>
      seen.push([value, distinct]),
    )
    expect(seen).toEqual([...expected].sort(([x], [y]) => x - y).map(([value, set]) => [value, set.size]))
    expect(pairs).toBe([...expected.values()].reduce((sum, set) => sum + set.size, 0))
  })
})
