import { describe, expect, it } from "@effect/vitest"
import { Arena } from "../../src/reconciliation/internal/Arena.ts"
import { StringTable } from "../../src/reconciliation/internal/StringTable.ts"

describe("StringTable", () => {
  it("gives one id per distinct value, lower-casing ASCII when asked, from substrings", () => {
    const table = new StringTable()
    const a = table.idOfRange("  Ada@Example.COM ", 2, 17, true)
    const b = table.id("ada@example.com")
    const c = table.idOfRange("xx ada@example.com", 3, 18, false)
    expect(a).toBe(b)
    expect(c).toBe(a)
    expect(table.id("bob@example.com")).toBe(1)
    expect(table.values).toEqual(["ada@example.com", "bob@example.com"])
  })

  it("a copying table finds every value again as its character pool grows, and tells lengths apart", () => {
    const table = new StringTable()
    const words = Array.from({ length: 5000 }, (_, i) => `Name${i}x`.repeat(1 + (i % 3)))
    const ids = words.map((word) => table.idOfRange(` ${word} `, 1, word.length + 1, true))
    expect(table.size).toBe(5000)
    words.forEach((word, i) => {
      expect(table.id(word.toLowerCase())).toBe(ids[i])
      expect(table.text(ids[i] as number)).toBe(word.toLowerCase())
    })
    // a prefix of a stored value is another value
    expect(table.id("name1")).toBe(5000)
  })

  it("a copying table finds a value with capitals beyond ASCII again, folding ASCII only, as its hash does", () => {
    const table = new StringTable()
    const id = table.idOfRange("anna@BÜCHER.DE", 5, 14, true)
    expect(table.idOfRange("x@BÜCHER.DE", 2, 11, true)).toBe(id)
    expect(table.idOfRange("bÜcher.de", 0, 9, true)).toBe(id)
    expect(table.text(id)).toBe("bÜcher.de")
    // "ü" is another letter to a table that folds ASCII only
    expect(table.idOfRange("bücher.de", 0, 9, true)).not.toBe(id)
  })

  it("without copying, reads values back from their source ranges", () => {
    const table = new StringTable({ copies: false, expected: 4, arena: new Arena(1 << 20) })
    const source = "Jane.Doe88@Mail.example"
    const id = table.idOfRange(source, 0, source.length, true)
    expect(table.text(id)).toBe("jane.doe88@mail.example")
    expect(table.lengthOf(id)).toBe(source.length)
    expect(table.charCodeAt(id, 0)).toBe("j".charCodeAt(0))
    const domains = new StringTable({ copies: false })
    const domain = table.sliceInto(domains, id, 11, source.length)
    expect(domains.text(domain)).toBe("mail.example")
    expect(table.idOfRange("jane.doe88@mail.example", 0, 23, false)).toBe(id)
  })

  it("keeps every value across growth, with hashes that depend only on the text", () => {
    const small = new StringTable({ copies: false })
    const big = new StringTable({ copies: false, expected: 1 << 16 })
    const words = Array.from({ length: 20000 }, (_, i) => `w${(i * 7919) % 20000}`)
    const ids = words.map((word) => small.id(word))
    for (const word of words.reverse()) big.id(word)
    expect(small.size).toBe(20000)
    ids.forEach((id, i) => {
      expect(small.text(id)).toBe(words[words.length - 1 - i])
      expect(big.hashOf(big.id(small.text(id)))).toBe(small.hashOf(id))
    })
  })
})
