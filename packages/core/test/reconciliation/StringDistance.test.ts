import { describe, expect, it } from "@effect/vitest"
import {
  characterMask,
  editDistance,
  editDistanceOfRanges,
  isOneKeystrokeNumber,
  jaroWinkler,
  jaroWinklerBound,
  mayBeWithinEdits,
} from "../../src/reconciliation/internal/StringDistance.ts"

let seed = 9
const next = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed % n
}
const word = (length: number) => Array.from({ length }, () => "abcdeAB.@"[next(9)] as string).join("")

/** Optimal string alignment distance, the whole matrix: the plain definition the fast version must agree with. */
const referenceDistance = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as Array<number>
      const above = d[i - 1] as Array<number>
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as Array<number>)[j - 2] as number) + 1)
      row[j] = best
    }
  }
  return (d[a.length] as Array<number>)[b.length] as number
}

describe("StringDistance", () => {
  it("agrees with the plain definition, shared starts and ends included, up to its limit", () => {
    for (let i = 0; i < 5000; i++) {
      const shared = word(next(4))
      const end = word(next(4))
      const a = `${shared}${word(next(6))}${end}`.toLowerCase()
      const b = `${shared}${word(next(6))}${end}`.toLowerCase()
      const limit = next(4)
      expect(editDistance(a, b, limit)).toBe(Math.min(referenceDistance(a, b), limit + 1))
    }
  })

  it("tells numbers one keystroke apart as the edit distance of their digits does (leading zeros counted)", () => {
    for (let i = 0; i < 5000; i++) {
      const a = String(next(1000) * 1000000 + next(1000000)).padStart(9, "0")
      const digits = [...a]
      const kind = next(3)
      if (kind === 0) digits[next(9)] = String(next(10))
      else if (kind === 1) {
        const at = next(8)
        ;[digits[at], digits[at + 1]] = [digits[at + 1] as string, digits[at] as string]
      } else for (let k = 0; k < 3; k++) digits[next(9)] = String(next(10))
      const b = digits.join("")
      expect(isOneKeystrokeNumber(Number(a), Number(b), 9)).toBe(a !== b && editDistance(a, b, 1) === 1)
    }
    expect(isOneKeystrokeNumber(19800412, 19800421, 8)).toBe(true)
    expect(isOneKeystrokeNumber(19800412, 19800412, 8)).toBe(false)
  })

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
