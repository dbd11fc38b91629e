import { describe, expect, it } from "vitest"
import {
  dateToInt,
  foldCase,
  isWellFormedSsn,
  nameTokens,
  normalizeEmail,
  normalizePhone,
  normalizeSsn,
  streetLine,
} from "../../src/reconciliation/internal/Normalize.ts"

describe("Normalize", () => {
  it("folds case and diacritics", () => {
    expect(foldCase("José Ñúñez-Łukasz")).toBe("jose nunez-lukasz")
  })
  it("splits names into tokens, joins apostrophes, drops titles and suffixes", () => {
    expect(nameTokens("O'Brien")).toEqual(["obrien"])
    expect(nameTokens("Smith-Jones")).toEqual(["smith", "jones"])
    expect(nameTokens("Dr. John  Smith Jr.")).toEqual(["john", "smith"])
    expect(nameTokens(null)).toEqual([])
  })
  it("reads dates in Finch's and older formats", () => {
    expect(dateToInt("1985-03-07")).toBe(19850307)
    expect(dateToInt("19850307")).toBe(19850307)
    expect(dateToInt("03/07/1985")).toBe(19850307)
    expect(dateToInt("not a date")).toBe(0)
  })
  it("normalises emails and phone numbers", () => {
    expect(normalizeEmail(" Jane.Doe+hr@Example.COM ")).toBe("jane.doe@example.com")
    expect(normalizeEmail("nobody")).toBe("")
    expect(normalizePhone("+1 (415) 555-0100 x12")).toBe("14155550100")
    expect(normalizePhone("415.555.0100")).toBe("14155550100")
    expect(normalizePhone("+44 20 7946 0018")).toBe("442079460018")
  })
  it("splits a street line into house number and street words, street types written out", () => {
    expect(streetLine("12 Main St.")).toEqual({ number: "12", street: "main street" })
    expect(streetLine("Rue de l'Église 4")).toEqual({ number: "4", street: "rue de l eglise" })
    expect(streetLine("maltby circuit")).toEqual({ number: "", street: "maltby circuit" })
    expect(streetLine("350 5th Ave")).toEqual({ number: "350", street: "5th avenue" })
    expect(streetLine("1200 Highway 101")).toEqual({ number: "1200", street: "highway 101" })
    expect(streetLine(null)).toEqual({ number: "", street: "" })
  })

  it("recognises well-formed SSNs only", () => {
    expect(isWellFormedSsn("123456780")).toBe(true)
    expect(isWellFormedSsn("123456789")).toBe(false)
    expect(isWellFormedSsn("000123456")).toBe(false)
    expect(isWellFormedSsn("9004242")).toBe(false)
  })
})

describe("Normalize fast paths", () => {
  // the plain definitions the fast paths must agree with
  const referencePhone = (raw: string): string => {
    let text = raw
    const extension = text.search(/(x|ext\.?|#)\s*\d+\s*$/i)
    if (extension > 0) text = text.slice(0, extension)
    let digits = text.replace(/\D/g, "")
    if (digits.startsWith("00")) digits = digits.slice(2)
    else if (digits.length === 10 && !text.trim().startsWith("+")) digits = `1${digits}`
    return digits.length >= 7 ? digits : ""
  }
  const referenceWellFormed = (digits: string): boolean => {
    if (digits.length !== 9) return false
    if (/^(\d)\1{8}$/.test(digits) || ["123456789", "987654321", "078051120", "219099999"].includes(digits))
      return false
    const area = digits.slice(0, 3)
    return (
      area !== "000" && area !== "666" && area[0] !== "9" && digits.slice(3, 5) !== "00" && digits.slice(5) !== "0000"
    )
  }
  let seed = 42
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed % n
  }
  const pick = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[next(alphabet.length)] as string).join("")

  it("phones agree with the regular-expression definition", () => {
    const shapes = [
      () => `+1 (${pick("0123456789", 3)}) ${pick("0123456789", 3)}-${pick("0123456789", 4)}`,
      () => pick("0123456789 .-()+", 6 + next(12)),
      () => `${pick("0123456789", 10)} ${pick("xX#e", 1)}${pick("xt. ", next(3))}${pick("0123456789", next(4))}`,
      () => `${pick(" \u00a0\t\u0001", 1 + next(2))}${pick("+1", 1)}${pick("0123456789", 10)}`,
      () => `00${pick("0123456789 ", 11)}`,
    ]
    for (let i = 0; i < 5000; i++) {
      const raw = (shapes[next(shapes.length)] as () => string)()
      expect(normalizePhone(raw), raw).toBe(referencePhone(raw))
    }
  })

  it("SSNs agree with the regular-expression definitions", () => {
    for (let i = 0; i < 5000; i++) {
      const raw =
        next(3) === 0
          ? `${pick("0123456789", 3)}-${pick("0123456789", 2)}-${pick("0123456789", 4)}`
          : next(2) === 0
            ? pick("0126699", 9)
            : pick("0123456789- ", 5 + next(8))
      const digits = normalizeSsn(raw)
      expect(digits, raw).toBe(raw.replace(/\D/g, ""))
      expect(isWellFormedSsn(digits), digits).toBe(referenceWellFormed(digits))
    }
    expect(isWellFormedSsn("111111111")).toBe(false)
    expect(isWellFormedSsn("666123456")).toBe(false)
  })
})
