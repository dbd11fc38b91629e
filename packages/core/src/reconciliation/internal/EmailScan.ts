/**
 * Reads an email address in one pass over its characters: where it lies (a range of the caller's string, read
 * lower-cased), its hash, its local part's and its domain's hashes, which characters it holds, whether its local
 * part holds a digit, and hashes of its local part's digits and of its letters alone — everything interning and
 * comparing need, without making a string (but for plus-addressing).
 */
import { normalizeEmail } from "./Normalize.ts"
import { FNV_OFFSET, FNV_PRIME } from "./StringTable.ts"

/** A letter of a (lower-cased) name or local part: a–z or anything beyond ASCII. */
export const isLetter = (code: number): boolean => (code >= 97 ? code <= 122 : code >= 128)

/**
 * The base of the letters hash: h(s) = Σ s[i]·B^(|s|−1−i) over s's letters (mod 2^32), so h(a + b) = h(a)·B^|b| + h(b)
 * and a name's shapes (`first.last`, `flast`, …) are hashed from its tokens' hashes without reading them again.
 */
export const LETTERS_BASE = 0x01000193

/** The letters hash continued with one more letter. */
export const addLetter = (hash: number, code: number): number => (Math.imul(hash, LETTERS_BASE) + code) | 0

export class EmailScan {
  /** the address is `text.slice(start, end)`, lower-cased (ASCII) when `lower` */
  text = ""
  start = 0
  end = 0
  lower = false
  /** where its last `@` is */
  at = 0
  /** FNV-1a of the address, of its local part (before `at`) and of its domain (after `at`), as read */
  hash = 0
  localHash = 0
  domainHash = 0
  /** `characterMask` of the address and of its local part alone */
  mask = 0
  localMask = 0
  /** the first character, as read */
  firstCode = 0
  localHasDigit = false
  /** FNV-1a of the local part's digits in order (`first.last63` → of `63`; 0 when it has none) */
  localDigits = 0
  /** the letters hash (`LETTERS_BASE`) of the local part's letters alone (`first.last63` → of `firstlast`; 0: none) */
  localLetters = 0

  /** Reads `raw`; false when it is not an address (no `@` with text on both sides). */
  read(raw: string | null | undefined): boolean {
    if (raw === null || raw === undefined) return false
    let start = 0
    let end = raw.length
    while (start < end && raw.charCodeAt(start) <= 32) start++
    while (end > start && raw.charCodeAt(end - 1) <= 32) end--
    const at = raw.lastIndexOf("@", end - 1)
    if (at <= start || at >= end - 1) return false
    const plus = raw.indexOf("+", start)
    if (plus >= 0 && plus < at) {
      // `jane+payroll@x.com` is `jane@x.com`: the rare case that makes a string
      const email = normalizeEmail(raw)
      if (email === "") return false
      this.scan(email, 0, email.length, email.lastIndexOf("@"), false)
      return true
    }
    this.scan(raw, start, end, at, true)
    return true
  }

  private scan(text: string, start: number, end: number, at: number, lower: boolean) {
    let hash = FNV_OFFSET
    let localMask = 0
    let digit = false
    let digits = FNV_OFFSET
    let letters = 0
    // the local part: what the whole address needs, and its digits and letters apart
    for (let i = start; i < at; i++) {
      let code = text.charCodeAt(i)
      if (lower && code >= 65 && code <= 90) code += 32
      hash = Math.imul(hash ^ code, FNV_PRIME)
      localMask |= 1 << (code & 31)
      if (code >= 48 && code <= 57) {
        digit = true
        digits = Math.imul(digits ^ code, FNV_PRIME)
      } else if (isLetter(code)) letters = addLetter(letters, code)
    }
    const localHash = hash
    // the `@`, then the domain
    hash = Math.imul(hash ^ 64, FNV_PRIME)
    let mask = localMask | (1 << (64 & 31))
    let domainHash = FNV_OFFSET
    for (let i = at + 1; i < end; i++) {
      let code = text.charCodeAt(i)
      if (lower && code >= 65 && code <= 90) code += 32
      hash = Math.imul(hash ^ code, FNV_PRIME)
      mask |= 1 << (code & 31)
      domainHash = Math.imul(domainHash ^ code, FNV_PRIME)
    }
    const first = text.charCodeAt(start)
    this.text = text
    this.start = start
    this.end = end
    this.lower = lower
    this.at = at
    this.hash = hash
    this.localHash = localHash
    this.domainHash = domainHash
    this.mask = mask
    this.localMask = localMask
    this.firstCode = lower && first >= 65 && first <= 90 ? first + 32 : first
    this.localHasDigit = digit
    this.localDigits = digit ? digits : 0
    this.localLetters = letters
  }
}
