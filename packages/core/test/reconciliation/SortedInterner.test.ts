import { describe, expect, it } from "@effect/vitest"
import { Arena } from "../../src/reconciliation/internal/Arena.ts"
import { EmailScan } from "../../src/reconciliation/internal/EmailScan.ts"
import { SortedInterner } from "../../src/reconciliation/internal/SortedInterner.ts"
import { hashRange, StringTable } from "../../src/reconciliation/internal/StringTable.ts"

const characterMask = (text: string) => [...text].reduce((mask, char) => mask | (1 << (char.charCodeAt(0) & 31)), 0)

describe("SortedInterner", () => {
  it("gives equal values one id and different values different ids, in first-occurrence order", () => {
    const arena = new Arena(1 << 20)
    const interner = new SortedInterner(arena, 2)
    const values = ["b@x.com", "A@X.COM", "a@x.com", "c@y.org", "B@x.com", "zz"]
    const sources = values.map((value) => `  ${value} `)
    const occurrences = sources.map((source) =>
      interner.add(source, 2, source.length - 1, true, hashRange(source, 2, source.length - 1, true)),
    )
    const { table, idOf } = interner.resolve(arena, arena)
    expect(occurrences.map((at) => idOf[at])).toEqual([0, 1, 1, 2, 0, 3])
    expect(table.size).toBe(4)
    expect([0, 1, 2, 3].map((id) => table.text(id))).toEqual(["b@x.com", "a@x.com", "c@y.org", "zz"])
    expect([...table.hashArray()]).toEqual(
      ["b@x.com", "a@x.com", "c@y.org", "zz"].map((value) => hashRange(value, 0, value.length, false)),
    )
    expect(() => table.id("a@x.com")).toThrow(/appendOnly/)
  })

  it("never merges two values whose hashes collide", () => {
    const arena = new Arena(1 << 20)
    const interner = new SortedInterner(arena, 4)
    // every occurrence claims the same hash: only the text tells them apart
    const values = ["one", "two", "one", "three", "two", "one"]
    const occurrences = values.map((value) => interner.add(value, 0, value.length, false, 42))
    expect(interner.same(occurrences[0] as number, occurrences[2] as number)).toBe(true)
    expect(interner.same(occurrences[0] as number, occurrences[1] as number)).toBe(false)
    const { table, idOf } = interner.resolve(arena, arena)
    expect(occurrences.map((at) => idOf[at])).toEqual([0, 1, 0, 2, 1, 0])
    expect(table.size).toBe(3)
  })
})

describe("EmailScan", () => {
  it("reads an address in place: trimmed, lower-cased, with its parts' hashes and character masks", () => {
    const scan = new EmailScan()
    const raw = "  Jane.Doe88@Example.COM "
    expect(scan.read(raw)).toBe(true)
    const email = "jane.doe88@example.com"
    expect(scan.text.slice(scan.start, scan.end).toLowerCase()).toBe(email)
    expect(scan.lower).toBe(true)
    expect(scan.hash).toBe(hashRange(email, 0, email.length, false))
    expect(scan.localHash).toBe(hashRange("jane.doe88", 0, 10, false))
    expect(scan.domainHash).toBe(hashRange("example.com", 0, 11, false))
    expect(scan.mask).toBe(characterMask(email))
    expect(scan.localMask).toBe(characterMask("jane.doe88"))
    expect(scan.localHasDigit).toBe(true)
    expect(String.fromCharCode(scan.firstCode)).toBe("j")
  })

  it("drops plus-addressing and refuses what is not an address", () => {
    const scan = new EmailScan()
    expect(scan.read("Jane+Payroll@x.com")).toBe(true)
    expect(scan.text.slice(scan.start, scan.end)).toBe("jane@x.com")
    expect(scan.localHasDigit).toBe(false)
    const table = new StringTable({ copies: false })
    expect(table.idOfHashedRange(scan.text, scan.start, scan.end, scan.lower, scan.hash)).toBe(table.id("jane@x.com"))
    for (const bad of [null, undefined, "", "jane", "@x.com", "jane@", "  @  "]) expect(scan.read(bad)).toBe(false)
  })
})
