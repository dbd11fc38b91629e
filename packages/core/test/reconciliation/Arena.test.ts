import { describe, expect, it } from "@effect/vitest"
import { Arena } from "../../src/reconciliation/Arena.ts"

describe("Arena", () => {
  it("hands out zeroed, cache-line aligned arrays that do not overlap", () => {
    const arena = new Arena(1 << 20)
    const a = arena.int32(10)
    const b = arena.float64(3)
    const c = arena.uint8(5)
    a.fill(7)
    b.fill(1.5)
    c.fill(9)
    expect(a.byteOffset % 64).toBe(0)
    expect(b.byteOffset % 64).toBe(0)
    expect(c.byteOffset % 64).toBe(0)
    expect([...a]).toEqual(Array(10).fill(7))
    expect([...b]).toEqual([1.5, 1.5, 1.5])
    expect([...c]).toEqual([9, 9, 9, 9, 9])
  })

  it("reuses released memory, zeroed again", () => {
    const arena = new Arena(1 << 20)
    const keep = arena.int32(4)
    keep.fill(3)
    const mark = arena.mark()
    const scratch = arena.int32(1000)
    scratch.fill(-1)
    arena.release(mark)
    const again = arena.int32(1000)
    expect(again.buffer).toBe(scratch.buffer)
    expect(again.byteOffset).toBe(scratch.byteOffset)
    expect(again.every((value) => value === 0)).toBe(true)
    expect([...keep]).toEqual([3, 3, 3, 3])
  })

  it("opens another chunk when one is full, and an array larger than a chunk gets its own", () => {
    const arena = new Arena(1 << 20)
    const first = arena.uint8(900_000)
    const second = arena.uint8(900_000)
    expect(second.buffer).not.toBe(first.buffer)
    const huge = arena.float64(1 << 18)
    expect(huge.length).toBe(1 << 18)
    expect(huge.every((value) => value === 0)).toBe(true)
    const mark = arena.mark()
    arena.uint8(10).fill(1)
    arena.release(mark)
    expect(arena.uint8(10).every((value) => value === 0)).toBe(true)
  })
})
