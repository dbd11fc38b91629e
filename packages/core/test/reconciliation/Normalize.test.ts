import { describe, expect, it } from "vitest"
import {
  dateToInt,
  foldCase,
  isWellFormedSsn,
  nameTokens,
  normalizeEmail,
  normalizePhone,
  streetLine,
} from "../../src/reconciliation/Normalize.ts"

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
