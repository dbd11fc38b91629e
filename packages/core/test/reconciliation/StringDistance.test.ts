import { describe, expect, it } from "@effect/vitest"
import {
  characterMask,
  editDistance,
  editDistanceOfRanges,
  jaroWinkler,
  jaroWinklerBound,
  mayBeWithinEdits,
} from "../../src/reconciliation/StringDistance.ts"

let seed = 9
const next = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed % n
}
const word = (length: number) => Array.from({ length }, () => "abcdeAB.@"[next(9)] as string).join("")

describe("StringDistance", () => {
  it("counts edits with adjacent swaps, and gives up past the limit", () => {
    expect(editDistance("smith", "smyth", 2)).toBe(1)
    expect(editDistance("jonh", "john", 2)).toBe(1)
    expect(editDistance("john", "jane", 2)).toBe(3)
    expect(editDistance("abc", "abcdef", 2)).toBe(3)
  })

  it("reads ranges in place, lower-cased where asked, as if they were sliced", () => {
    for (let i = 0; i < 3000; i++) {
      const a = word(next(12))
      const b = word(next(12))
      const left = `${word(next(3))}${a}${word(next(3))}`
      const right = `${word(next(3))}${b}`
      const aStart = left.indexOf(a)
      const fold = next(2) === 0
      const expected = editDistance(fold ? a.replace(/[A-Z]/g, (c) => c.toLowerCase()) : a, b, 2)
      expect(
        editDistanceOfRanges(left, aStart, a.length, fold, right, right.length - b.length, b.length, false, 2),
      ).toBe(expected)
    }
  })

  it("its cheap bounds never rule out a pair the full measures would accept", () => {
    for (let i = 0; i < 3000; i++) {
      const a = word(3 + next(8)).toLowerCase()
      const b = word(3 + next(8)).toLowerCase()
      const maskA = characterMask(a)
      const maskB = characterMask(b)
      if (editDistance(a, b, 2) <= 2) expect(mayBeWithinEdits(maskA, maskB, 2)).toBe(true)
      expect(jaroWinklerBound(a, maskA, b, maskB)).toBeGreaterThanOrEqual(jaroWinkler(a, b))
    }
  })
})
