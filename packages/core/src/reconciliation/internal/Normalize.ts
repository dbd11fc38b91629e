/**
 * Normalisation of the identifying fields: names folded to lower-case ASCII tokens, dates to YYYYMMDD integers,
 * emails and phone numbers to comparable strings, SSNs to digits with a validity check. Pure and allocation-light:
 * it runs once per record on every reconciliation.
 */

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false
  return true
}
const combiningMarks = /[\u0300-\u036f]/g
const specialLetters: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
}
const specialPattern = /[ßæœøłđðþı]/g

/** Lower-case, without diacritics (`José Ñúñez` → `jose nunez`). */
export const foldCase = (raw: string): string => {
  const lower = raw.toLowerCase()
  if (isAscii(lower)) return lower
  return lower
    .normalize("NFD")
    .replace(combiningMarks, "")
    .replace(specialPattern, (letter) => specialLetters[letter] ?? letter)
}

/** Name words that are titles or generational suffixes, not part of the name. */
export const ignoredNameWords = new Set([
  "mr",
  "mrs",
  "ms",
  "miss",
  "dr",
  "prof",
  "jr",
  "sr",
  "ii",
  "iii",
  "iv",
  "esq",
  "phd",
  "md",
])

/** Surname particles: kept in the joined surname, never matched on their own. */
export const surnameParticles = new Set([
  "de",
  "da",
  "di",
  "del",
  "della",
  "der",
  "den",
  "la",
  "le",
  "van",
  "von",
  "st",
  "dos",
  "das",
  "du",
  "mac",
  "bin",
  "al",
  "el",
])

/**
 * The words of a name: letters only; apostrophes vanish (`O'Brien` → `obrien`), every other non-letter separates
 * (`Smith-Jones` → `smith`, `jones`); titles and suffixes are dropped.
 */
export const nameTokens = (raw: string | null | undefined): Array<string> => {
  if (raw === null || raw === undefined || raw.length === 0) return []
  const text = foldCase(raw)
  const tokens: Array<string> = []
  let start = -1
  let current = ""
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 32
    if (code >= 97 && code <= 122) {
      if (start < 0) start = i
      continue
    }
    if (code === 39 || code === 0x2019) {
      // apostrophe: join the two sides
      if (start >= 0) current += text.slice(start, i)
      start = -1
      continue
    }
    if (start >= 0) current += text.slice(start, i)
    start = -1
    if (current.length > 0) {
      if (!ignoredNameWords.has(current)) tokens.push(current)
      current = ""
    }
  }
  return tokens
}

/** A date as the integer YYYYMMDD (0 when absent or unreadable). Accepts YYYY-MM-DD, YYYYMMDD and MM/DD/YYYY. */
export const dateToInt = (raw: string | null | undefined): number => {
  if (raw === null || raw === undefined) return 0
  if (raw.length === 10 && raw.charCodeAt(4) === 45 && raw.charCodeAt(7) === 45) {
    // YYYY-MM-DD, the Finch format: read the digits directly
    let value = 0
    for (let i = 0; i < 10; i++) {
      if (i === 4 || i === 7) continue
      const digit = raw.charCodeAt(i) - 48
      if (digit < 0 || digit > 9) return 0
      value = value * 10 + digit
    }
    return value >= 18000101 && value <= 21001231 ? value : 0
  }
  const text = raw.trim()
  let digits = ""
  let groups: Array<string> = []
  if (/^\d{8}$/.test(text)) digits = text
  else {
    groups = text.split(/[-/.\sT]/).filter((g) => g.length > 0)
    if (groups.length < 3) return 0
    const [a = "", b = "", c = ""] = groups
    if (a.length === 4) digits = a + b.padStart(2, "0") + c.slice(0, 2).padStart(2, "0")
    else if (c.length === 4)
      digits = c + a.padStart(2, "0") + b.padStart(2, "0") // US order, as Finch's old sandbox
    else return 0
  }
  if (!/^\d{8}$/.test(digits)) return 0
  const value = Number(digits)
  return value >= 18000101 && value <= 21001231 ? value : 0
}

/** An email for comparison: trimmed, lower-case, `+tag` removed from the local part; "" when not an address. */
export const normalizeEmail = (raw: string | null | undefined): string => {
  if (raw === null || raw === undefined) return ""
  const text = raw.trim().toLowerCase()
  const at = text.lastIndexOf("@")
  if (at <= 0 || at === text.length - 1) return ""
  const local = text.slice(0, at)
  const plus = local.indexOf("+")
  return plus > 0 ? `${local.slice(0, plus)}${text.slice(at)}` : text
}

/**
 * A phone number as digits with its country code: NANP numbers become 1 + 10 digits whether or not the `+1` was
 * written; extensions are dropped; "" when fewer than 7 digits remain.
 */
export const normalizePhone = (raw: string | null | undefined): string => {
  if (raw === null || raw === undefined) return ""
  // the usual number has no extension marker: collect its digit runs without a regular expression
  let digits = ""
  let runStart = -1
  let plus = false
  let seenNonSpace = false
  for (let i = 0; i <= raw.length; i++) {
    const code = i < raw.length ? raw.charCodeAt(i) : 32
    // a possible extension marker, or anything beyond ASCII (a space `trim` knows): the general path
    if (code === 120 || code === 88 || code === 35 || code === 101 || code === 69 || code > 127)
      return normalizePhoneWithExtension(raw)
    if (!seenNonSpace && code !== 32 && (code < 9 || code > 13)) {
      seenNonSpace = true
      plus = code === 43
    }
    const isDigit = code >= 48 && code <= 57
    if (isDigit && runStart < 0) runStart = i
    else if (!isDigit && runStart >= 0) {
      digits += raw.slice(runStart, i)
      runStart = -1
    }
  }
  return phoneDigits(digits, plus)
}

const phoneDigits = (digits: string, plus: boolean): string => {
  let result = digits
  if (result.startsWith("00")) result = result.slice(2)
  else if (result.length === 10 && !plus) result = `1${result}`
  return result.length >= 7 ? result : ""
}

/** The same, for numbers that may end in an extension (`x12`, `ext. 12`, `#12`), which is dropped. */
const normalizePhoneWithExtension = (raw: string): string => {
  let text = raw
  const extension = text.search(/(x|ext\.?|#)\s*\d+\s*$/i)
  if (extension > 0) text = text.slice(0, extension)
  return phoneDigits(text.replace(/\D/g, ""), text.trim().startsWith("+"))
}

const placeholderSsns = new Set(["123456789", "987654321", "078051120", "219099999"])

/** An SSN (or other national id) as its digits; "" when absent. */
export const normalizeSsn = (raw: string | null | undefined): string => {
  if (raw === null || raw === undefined) return ""
  // the usual shapes, 123456789 and 123-45-6789, without a regular expression
  if (raw.length === 9 && isDigits(raw, 0, 9)) return raw
  if (
    raw.length === 11 &&
    raw.charCodeAt(3) === 45 &&
    raw.charCodeAt(6) === 45 &&
    isDigits(raw, 0, 3) &&
    isDigits(raw, 4, 6) &&
    isDigits(raw, 7, 11)
  )
    return raw.slice(0, 3) + raw.slice(4, 6) + raw.slice(7)
  return raw.replace(/\D/g, "")
}

const isDigits = (text: string, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code < 48 || code > 57) return false
  }
  return true
}

/** Whether digits are all zeros (a placeholder, not an id). */
export const isAllZeros = (digits: string): boolean => {
  for (let i = 0; i < digits.length; i++) if (digits.charCodeAt(i) !== 48) return false
  return digits.length > 0
}

/**
 * Whether digits form a well-formed US SSN (9 digits; area not 000, 666 or 9xx; group not 00; serial not 0000;
 * not a well-known placeholder). Only well-formed SSNs can veto a merge: anything else is soft evidence.
 */
export const isWellFormedSsn = (digits: string): boolean => {
  if (digits.length !== 9 || !isDigits(digits, 0, 9)) return false
  let allSame = true
  for (let i = 1; i < 9 && allSame; i++) if (digits.charCodeAt(i) !== digits.charCodeAt(0)) allSame = false
  if (allSame || placeholderSsns.has(digits)) return false
  const at = (i: number) => digits.charCodeAt(i) - 48
  const area = at(0) * 100 + at(1) * 10 + at(2)
  const group = at(3) * 10 + at(4)
  const serial = at(5) * 1000 + at(6) * 100 + at(7) * 10 + at(8)
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0
}

/** Free text (titles, departments, cities) folded for exact comparison. */
export const normalizeText = (raw: string | null | undefined): string =>
  raw === null || raw === undefined ? "" : nameTokens(raw).join(" ")

/** A postal code for comparison: letters and digits only, upper-case; US ZIP+4 cut to 5. */
export const normalizePostalCode = (raw: string | null | undefined): string => {
  if (raw === null || raw === undefined) return ""
  const code = raw.replace(/[^0-9a-z]/gi, "").toUpperCase()
  return /^\d{9}$/.test(code) ? code.slice(0, 5) : code
}

/** Street-type words written out, so `12 Main St` and `12 main street` agree. */
const streetWords: Readonly<Record<string, string>> = {
  st: "street",
  str: "street",
  rd: "road",
  ave: "avenue",
  av: "avenue",
  blvd: "boulevard",
  dr: "drive",
  ln: "lane",
  ct: "court",
  cir: "circle",
  cres: "crescent",
  pl: "place",
  hwy: "highway",
  pkwy: "parkway",
  ter: "terrace",
  sq: "square",
  n: "north",
  s: "south",
  e: "east",
  w: "west",
}

/**
 * A street line split for comparison: the house number (the first all-digit word) and the street's other words
 * (`5th`, `Highway 101` keep their digits: they name the street).
 */
export const streetLine = (raw: string | null | undefined): { readonly number: string; readonly street: string } => {
  if (raw === null || raw === undefined) return { number: "", street: "" }
  let number = ""
  const words: Array<string> = []
  for (const word of foldCase(raw).match(/[a-z0-9]+/g) ?? []) {
    if (number === "" && /^\d+$/.test(word)) number = word
    else words.push(streetWords[word] ?? word)
  }
  return { number, street: words.join(" ") }
}

/** A birth date that reads the same under a day/month swap: YYYY, then the smaller and larger of month and day. */
export const swapProofDate = (date: number): number => {
  const month = Math.floor(date / 100) % 100
  const day = date % 100
  return Math.floor(date / 10000) * 10000 + Math.min(month, day) * 100 + Math.max(month, day)
}
