/**
 * Compares two prepared records field by field: each field gets an agreement level (exact, nickname, typo,
 * day/month swap, …), each level a weight from the scoring model, and a few rules veto a link outright (two
 * different well-formed SSNs; clearly different first names or birth dates without an SSN to vouch).
 */
import type { Arena } from "./Arena.ts"
import { areNicknames, nicknameGroups } from "./Nicknames.ts"
import type { Prepared } from "./Prepare.ts"
import {
  E_DOMAIN,
  E_FLAGS,
  E_ID,
  E_LOCAL,
  E_LOCAL_DIGIT,
  E_LOCAL_MASK,
  E_MASK,
  E_PERSONAL,
  E_SHAPE,
  EMAIL_ENTRY,
  R_DOB,
  R_EMAILS,
  R_EMAILS_END,
  R_FIRST,
  R_FIRST_FULL,
  R_LAST,
  R_LAST_A,
  R_LAST_B,
  R_MIDDLE,
  R_NUMBER,
  R_PHONES,
  R_PHONES_END,
  R_PREFERRED,
  R_RESIDENCE,
  R_SSN,
  R_START_DATE,
  ROW,
} from "./RecordLayout.ts"
import {
  bitCount,
  characterMask,
  editDistance,
  isOneKeystrokeNumber,
  jaroWinkler,
  jaroWinklerBound,
  mayBeWithinEdits,
} from "./StringDistance.ts"
import { frequencyBits, type ScoringModel } from "./Weights.ts"

/** The compared fields, in the order of their 3-bit slots in a packed comparison. */
export const comparedFields = [
  "first_name",
  "last_name",
  "dob",
  "ssn",
  "email",
  "phone",
  "middle_name",
  "employee_number",
  "start_date",
  "residence",
] as const
export type ComparedField = (typeof comparedFields)[number]

/** The agreement levels of each field; level 0 is always "missing" (absent on either side: no evidence). */
export const levelNames: { readonly [F in ComparedField]: ReadonlyArray<string> } = {
  first_name: ["missing", "exact", "nickname", "typo", "initial", "similar", "disagree"],
  last_name: ["missing", "exact", "part", "typo", "similar", "disagree"],
  dob: ["missing", "exact", "day_month_swap", "typo", "near", "disagree"],
  ssn: ["missing", "exact", "typo", "disagree"],
  email: ["missing", "exact", "same_local_part", "typo", "disagree", "disagree_personal"],
  phone: ["missing", "exact", "disagree"],
  middle_name: ["missing", "exact", "initial", "disagree"],
  employee_number: ["missing", "exact", "disagree"],
  start_date: ["missing", "exact", "disagree"],
  residence: ["missing", "address", "street", "locality", "partial", "disagree"],
}

const FIRST = 0
const LAST = 3
const DOB = 6
const SSN = 9
const EMAIL = 12
const PHONE = 15
const MIDDLE = 18
const NUMBER = 21
const START = 24
const RESIDENCE = 27
/** bit set when first and last name matched crosswise */
export const SWAPPED_NAMES = 1 << 30

/** Why a pair may never link, whatever its score. */
export const vetoNames = [
  "none",
  "different_ssn",
  "different_first_name",
  "different_birth_date",
  "uncorroborated",
] as const
export type Veto = (typeof vetoNames)[number]

/** The level of `field` in a packed comparison. */
export const levelOf = (packed: number, field: ComparedField): string => {
  const slot = comparedFields.indexOf(field)
  return levelNames[field][(packed >>> (slot * 3)) & 7] ?? "missing"
}

const isTypo = (a: string, b: string): boolean => {
  const shortest = Math.min(a.length, b.length)
  if (shortest < 3) return false
  const distance = editDistance(a, b, 2)
  return distance <= 1 || (distance === 2 && shortest >= 6)
}

const digitsOf = (text: string): string => text.replace(/\D+/g, "")

/** Same length, one substituted character or two adjacent ones swapped. */
const isOneKeystroke = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let first = -1
  let count = 0
  for (let i = 0; i < a.length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      if (count === 0) first = i
      count++
      if (count > 2) return false
    }
  }
  if (count === 1) return true
  return count === 2 && a[first] === b[first + 1] && a[first + 1] === b[first]
}

/** A crosswise name level that counts as agreeing: exact or a typo. */
const good = (level: number) => level === 1 || level === 3

/** Fields whose exact level is frequency-adjusted (slot indices). */
const FREQUENCY_ADJUSTED = [0, 1, 2, 3, 4, 5]

/** A YYYYMMDD date (1800–2100) as a small array index. */
const dayIndex = (date: number): number =>
  (((date / 10000) | 0) - 1800) * 372 + (((date / 100) | 0) % 100) * 31 + (date % 100)

/**
 * How many different people carry each SSN: records that share it and the birth date are one person (each record
 * without a birth date counts alone), so an SSN seen by a person's two connections is not "common" on their account.
 */
const ssnPeople = (d: Prepared): Int32Array => {
  const counts = new Int32Array(d.ssnHash.length)
  const keys: Array<number> = []
  for (let k = 0; k < d.size; k++) {
    const id = d.ssn[k] as number
    if (id < 0) continue
    const date = d.dob[k] as number
    if (date === 0) counts[id] = (counts[id] as number) + 1
    else keys.push(id * 33554432 + date)
  }
  const sorted = Float64Array.from(keys).sort()
  for (let k = 0; k < sorted.length; k++) {
    if (k > 0 && sorted[k] === sorted[k - 1]) continue
    const id = Math.floor((sorted[k] as number) / 33554432)
    counts[id] = (counts[id] as number) + 1
  }
  return counts
}

/**
 * A direct-mapped cache of levels for pairs of name ids, sized to the run (2^16 to 2^20 slots: big runs meet many
 * name pairs). A slot is 16 bytes — a, b, level and a spare int — so four share a cache line; a pair that lands on
 * a taken slot replaces its pair.
 */
class PairLevelCache {
  private readonly slots: Int32Array
  private readonly shift: number
  private slot = 0

  constructor(bits: number, arena: Arena | undefined) {
    this.slots = (arena === undefined ? new Int32Array(4 << bits) : arena.int32(4 << bits)).fill(-1)
    this.shift = 32 - bits
  }

  /** The cached level of (a, b), or -1; `store` then fills the same slot. */
  lookup(a: number, b: number): number {
    this.slot = ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> this.shift) << 2
    return this.slots[this.slot] === a && this.slots[this.slot + 1] === b ? (this.slots[this.slot + 2] as number) : -1
  }

  /** Caches the level of the pair last looked up and returns it. */
  store(a: number, b: number, level: number): number {
    this.slots[this.slot] = a
    this.slots[this.slot + 1] = b
    this.slots[this.slot + 2] = level
    return level
  }
}

/** Compares records pairwise; reuse one per run (it caches per-value information). */
export class Comparator {
  /** posterior log2-odds of the last comparison */
  score = 0
  /** levels of the last comparison, 3 bits per field (see `comparedFields`), plus SWAPPED_NAMES */
  packed = 0
  /** index into `vetoNames` of the last comparison (0: none) */
  veto = 0
  /** frequency information of the last comparison's exact agreements (bits) */
  rarity = 0

  readonly data: Prepared
  readonly model: ScoringModel
  /** weight per (field slot × 8 + level); exact levels of frequency-adjusted fields hold log2(m) only */
  readonly table = new Float64Array(comparedFields.length * 8)
  /** prior log-odds of a pair being one person */
  prior = 0

  private readonly firstBits: Float32Array
  private readonly lastBits: Float32Array
  private readonly emailBits: Float32Array
  private readonly phoneBits: Float32Array
  private readonly ssnBits: Float32Array
  /** rarity of each birth date, by `dayIndex` */
  private readonly dobBits = new Float32Array(dayIndex(21001231) + 1)

  /** `arena`: where the per-run caches live (by default ordinary arrays) */
  constructor(data: Prepared, model: ScoringModel, arena?: Arena) {
    this.data = data
    this.model = model
    const cacheBits = Math.min(20, Math.max(16, Math.ceil(Math.log2(Math.max(data.size, 1))) + 1))
    this.levelCache = new PairLevelCache(cacheBits, arena)
    this.surnameCache = new PairLevelCache(cacheBits, arena)
    this.nameMask = new Int32Array(data.names.length)
    this.nameShape = new Int32Array(data.names.length)
    this.nicknameBloom = new Int32Array(data.names.length)
    for (let id = 0; id < data.names.length; id++) {
      const name = data.names[id] as string
      this.nameMask[id] = characterMask(name)
      this.nameShape[id] =
        (Math.min(name.length, 255) << 24) |
        ((name.charCodeAt(0) & 0xff) << 16) |
        ((name.length > 1 ? name.charCodeAt(1) & 0xff : 0) << 8) |
        (name.length > 2 ? name.charCodeAt(2) & 0xff : 0)
      let bloom = 0
      for (const group of nicknameGroups(name)) bloom |= 1 << (group & 31)
      this.nicknameBloom[id] = bloom
    }
    const n = data.size
    const bits = (counts: Int32Array, floor: number) => {
      const out = new Float32Array(counts.length)
      for (let id = 0; id < counts.length; id++) out[id] = frequencyBits(counts[id] as number, n, floor)
      return out
    }
    const floors = model.frequencyFloor
    const people = data.people
    const peopleBits = (counts: Int32Array, floor: number) => {
      const out = new Float32Array(counts.length)
      for (let id = 0; id < counts.length; id++) out[id] = frequencyBits(counts[id] as number, people, floor)
      return out
    }
    this.firstBits = peopleBits(data.firstCount, floors.first_name)
    this.lastBits = peopleBits(data.lastCount, floors.last_name)
    this.emailBits = bits(data.emailCount, floors.email)
    this.phoneBits = bits(data.phoneCount, floors.phone)
    this.ssnBits = peopleBits(ssnPeople(data), floors.ssn)
    for (const [date, count] of data.dobCount) this.dobBits[dayIndex(date)] = frequencyBits(count, people, floors.dob)
    this.setWeights(
      comparedFields.map((field) => model.levels[field].map((l) => l.m)),
      comparedFields.map((field) => model.levels[field].map((l) => l.u)),
      // until estimated: one partner record per record
      Math.min(0.5, 1 / Math.max(n, 2)),
    )
  }

  /** Installs m and u per field and level, and the prior share of matches among pairs. */
  setWeights(m: ReadonlyArray<ReadonlyArray<number>>, u: ReadonlyArray<ReadonlyArray<number>>, matchShare: number) {
    this.table.fill(0)
    comparedFields.forEach((_, slot) => {
      const ms = m[slot] as ReadonlyArray<number>
      const us = u[slot] as ReadonlyArray<number>
      for (let level = 1; level < ms.length; level++) {
        const mi = Math.max(ms[level] as number, 1e-6)
        const ui = Math.max(us[level] as number, 1e-9)
        this.table[slot * 8 + level] =
          level === 1 && FREQUENCY_ADJUSTED.includes(slot) ? Math.log2(mi) : Math.log2(mi / ui)
      }
    })
    this.prior = Math.log2(matchShare / (1 - matchShare))
  }

  /** levels of first-name pairs and of surname pairs already worked out (see `PairLevelCache`) */
  private readonly levelCache: PairLevelCache
  private readonly surnameCache: PairLevelCache
  /** per name id: its `characterMask` (cheap filters before string distances) */
  private readonly nameMask: Int32Array
  /** per name id: length (top 8 bits, 255 = longer) and its first three characters, a byte each */
  private readonly nameShape: Int32Array
  /** per name id: its nickname groups as bits (group mod 32); no shared bit, not nicknames */
  private readonly nicknameBloom: Int32Array

  /**
   * Disagree (`disagreeLevel`) when names a ≠ b can be told apart from their lengths, first characters and character
   * sets alone — no typo (edits can only change so many characters), no prefix or initial, no nickname, a
   * Jaro–Winkler bound below `similar` — else -1: most pairs of different names are plainly different, and this
   * decides them without reading the strings or a cache (both cache misses at a million records).
   */
  private plainlyDifferent(a: number, b: number, similar: number, disagreeLevel: number): number {
    const shapeA = this.nameShape[a] as number
    const shapeB = this.nameShape[b] as number
    const lengthA = shapeA >>> 24
    const lengthB = shapeB >>> 24
    if (lengthA < 3 || lengthB < 3 || lengthA === 255 || lengthB === 255) return -1
    if ((shapeA & 0xffffff) === (shapeB & 0xffffff)) return -1
    if (((this.nicknameBloom[a] as number) & (this.nicknameBloom[b] as number)) !== 0) return -1
    const maskA = this.nameMask[a] as number
    const maskB = this.nameMask[b] as number
    if (Math.abs(lengthA - lengthB) <= 2 && mayBeWithinEdits(maskA, maskB, 2)) return -1
    // Jaro–Winkler bound: every character whose letter the other name lacks goes unmatched
    const matches = Math.min(lengthA - bitCount(maskA & ~maskB), lengthB - bitCount(maskB & ~maskA))
    if (matches <= 0) return disagreeLevel
    const jaro = (matches / lengthA + matches / lengthB + 1) / 3
    const prefix =
      ((shapeA ^ shapeB) & 0xff0000) !== 0
        ? 0
        : ((shapeA ^ shapeB) & 0xff00) !== 0
          ? 1
          : ((shapeA ^ shapeB) & 0xff) !== 0
            ? 2
            : 4
    return jaro + prefix * 0.1 * (1 - jaro) < similar ? disagreeLevel : -1
  }

  /** Level (see `levelNames.first_name`) of two first-name tokens, through a direct-mapped cache. */
  private firstLevel(a: number, b: number): number {
    if (a < 0 || b < 0) return 0
    if (a === b) return 1
    const plain = this.plainlyDifferent(a, b, 0.85, 6)
    if (plain !== -1) return plain
    const cached = this.levelCache.lookup(a, b)
    return cached !== -1 ? cached : this.levelCache.store(a, b, this.firstLevelUncached(a, b))
  }

  /**
   * Whether first name `a` and surname `b` (crosswise, for names swapped between systems) agree exactly (1) or by a
   * typo (3); otherwise 6 ("not good"), or 0 when either is missing. The same answer `firstLevel` gives for 1 and 3,
   * without the nickname and similarity checks a crosswise pair almost never needs.
   */
  private crossLevel(a: number, b: number): number {
    if (a < 0 || b < 0) return 0
    if (a === b) return 1
    const lengthA = (this.nameShape[a] as number) >>> 24
    const lengthB = (this.nameShape[b] as number) >>> 24
    if (Math.min(lengthA, lengthB) < 3 || Math.abs(lengthA - lengthB) > 2) return 6
    if (!mayBeWithinEdits(this.nameMask[a] as number, this.nameMask[b] as number, 2)) return 6
    return this.firstLevel(a, b) === 3 ? 3 : 6
  }

  private firstLevelUncached(a: number, b: number): number {
    const names = this.data.names
    const x = names[a] as string
    const y = names[b] as string
    if (x.length === 1 || y.length === 1) return x.charCodeAt(0) === y.charCodeAt(0) ? 4 : 6
    if (areNicknames(x, y)) return 2
    if (x.length >= 3 && y.length >= 3 && (x.startsWith(y) || y.startsWith(x))) return 2
    const maskX = this.nameMask[a] as number
    const maskY = this.nameMask[b] as number
    if (mayBeWithinEdits(maskX, maskY, 2) && isTypo(x, y)) return 3
    if (jaroWinklerBound(x, maskX, y, maskY) < 0.85) return 6
    return jaroWinkler(x, y) >= 0.85 ? 5 : 6
  }

  /**
   * Level (see `levelNames.residence`) of two residences. `address`: the same street (at most a typo) and house
   * number (at most a keystroke), or a missing number with line 2 or the locality agreeing; `street`: the same street,
   * another or no number; `locality`: no street to compare (or a different one) and every comparable part of postal
   * code and city agrees; `partial`: one of them does; `disagree`: nothing does.
   */
  private residenceLevel(i: number, j: number): number {
    const d = this.data
    // 1 agree, 0 disagree, -1 not comparable
    const agreement = (column: Int32Array, keystroke: boolean): number => {
      const a = column[i] as number
      const b = column[j] as number
      if (a < 0 || b < 0) return -1
      if (a === b) return 1
      const x = d.addressText(a).slice(2)
      const y = d.addressText(b).slice(2)
      // a typo never changes a digit in a street or line 2 (`5th`/`6th avenue`, `apt 4`/`apt 5` differ)
      return (keystroke ? isOneKeystroke(x, y) : isTypo(x, y) && digitsOf(x) === digitsOf(y)) ? 1 : 0
    }
    const postal = agreement(d.postal, true)
    const city = agreement(d.city, false)
    const street = agreement(d.street, false)
    const locality =
      postal === 1 || city === 1 ? (postal === 0 || city === 0 ? 4 : 3) : postal === 0 || city === 0 ? 5 : 0
    if (street === 1) {
      const number = agreement(d.houseNumber, true)
      if (number === 1) return 1
      if (number === -1 && (agreement(d.unit, false) === 1 || locality === 3)) return 1
      return 2
    }
    if (street === 0 && locality === 0) return 5
    return locality
  }

  /** Level (see `levelNames.last_name`) of the surnames of records i and j. */
  private lastLevel(i: number, j: number): number {
    const rows = this.data.rows
    const ri = i * ROW
    const rj = j * ROW
    const a = rows[ri + R_LAST] as number
    const b = rows[rj + R_LAST] as number
    if (a < 0 || b < 0) return 0
    if (a === b) return 1
    const a1 = rows[ri + R_LAST_A] as number
    const a2 = rows[ri + R_LAST_B] as number
    const b1 = rows[rj + R_LAST_A] as number
    const b2 = rows[rj + R_LAST_B] as number
    if (a1 >= 0 || b1 >= 0) {
      // double or hyphenated surname: one shared part is enough (married names often keep one)
      if (a1 === b || a2 === b || b1 === a || b2 === a) return 2
      if (a1 >= 0 && (a1 === b1 || a1 === b2)) return 2
      if (a2 >= 0 && (a2 === b1 || a2 === b2)) return 2
    }
    const plain = this.plainlyDifferent(a, b, 0.9, 5)
    if (plain !== -1) return plain
    const cached = this.surnameCache.lookup(a, b)
    return cached !== -1 ? cached : this.surnameCache.store(a, b, this.surnameTextLevel(a, b))
  }

  /** Typo or similar (3, 4) or disagree (5) for two different surname tokens. */
  private surnameTextLevel(a: number, b: number): number {
    const x = this.data.names[a] as string
    const y = this.data.names[b] as string
    const maskX = this.nameMask[a] as number
    const maskY = this.nameMask[b] as number
    if (mayBeWithinEdits(maskX, maskY, 2) && isTypo(x, y)) return 3
    // Jaro–Winkler ≥ 0.9 needs the same first letter and similar lengths in practice: skip the costly check otherwise
    if (x.charCodeAt(0) !== y.charCodeAt(0) || Math.abs(x.length - y.length) > 3) return 5
    if (jaroWinklerBound(x, maskX, y, maskY) < 0.9) return 5
    return jaroWinkler(x, y) >= 0.9 ? 4 : 5
  }

  /** The posterior log2-odds of a comparison from its levels and rarity. */
  scoreOf(packed: number, rarity: number): number {
    const t = this.table
    let score = this.prior + rarity
    for (let slot = 0; slot < 10; slot++) score += t[slot * 8 + ((packed >>> (slot * 3)) & 7)] as number
    if ((packed & SWAPPED_NAMES) !== 0) score += this.model.swappedNamesPenalty
    return score
  }

  /** Compares records i and j (canonical indices): sets `packed`, `rarity`, `veto` and `score`; returns the score. */
  compare(i: number, j: number): number {
    this.compareLevels(i, j)
    this.score = this.scoreOf(this.packed, this.rarity)
    return this.score
  }

  /** Sets `packed`, `rarity` and `veto` for records i and j, without scoring. */
  compareLevels(i: number, j: number): void {
    const d = this.data
    const rows = d.rows
    const ri = i * ROW
    const rj = j * ROW
    let packed = 0
    let rarity = 0

    // names, with a crosswise check for first/last swapped between systems
    let firstLevel = 0
    if ((rows[ri + R_FIRST_FULL] as number) >= 0 && rows[ri + R_FIRST_FULL] === rows[rj + R_FIRST_FULL]) firstLevel = 1
    else {
      firstLevel = this.firstLevel(rows[ri + R_FIRST] as number, rows[rj + R_FIRST] as number)
      if (firstLevel > 1) {
        const pi = rows[ri + R_PREFERRED] as number
        const pj = rows[rj + R_PREFERRED] as number
        if ((pi >= 0 && (pi === rows[rj + R_FIRST] || pi === pj)) || (pj >= 0 && pj === rows[ri + R_FIRST]))
          firstLevel = 2
      }
    }
    let lastLevel = this.lastLevel(i, j)
    let swapped = false
    let firstId = rows[ri + R_FIRST] as number
    if (firstLevel >= 5 || lastLevel >= 4 || (firstLevel === 0) !== (lastLevel === 0)) {
      // a surname written into first_name keeps all its words (`van groesen`, `macgo wan`): try them joined too
      let crossFirst = this.crossLevel(firstId, rows[rj + R_LAST] as number)
      const fullI = rows[ri + R_FIRST_FULL] as number
      if (!good(crossFirst) && fullI !== firstId && fullI >= 0) {
        const joined = this.crossLevel(fullI, rows[rj + R_LAST] as number)
        if (good(joined)) {
          crossFirst = joined
          firstId = fullI
        }
      }
      let crossLast = this.crossLevel(rows[ri + R_LAST] as number, rows[rj + R_FIRST] as number)
      const fullJ = rows[rj + R_FIRST_FULL] as number
      if (!good(crossLast) && fullJ !== rows[rj + R_FIRST] && fullJ >= 0) {
        const joined = this.crossLevel(rows[ri + R_LAST] as number, fullJ)
        if (good(joined)) crossLast = joined
      }
      // swapped between systems: both cross pairs agree, or one does and the other side is missing
      if ((good(crossFirst) && (good(crossLast) || crossLast === 0)) || (good(crossLast) && crossFirst === 0)) {
        firstLevel = crossFirst
        lastLevel = crossLast
        swapped = true
        packed |= SWAPPED_NAMES
      }
    }
    if (firstLevel === 1) {
      const id = swapped ? firstId : (rows[ri + R_FIRST] as number)
      rarity += swapped
        ? Math.min(this.firstBits[id] as number, this.lastBits[id] as number)
        : (this.firstBits[id] as number)
    }
    if (lastLevel === 1) {
      const id = rows[ri + R_LAST] as number
      rarity += swapped
        ? Math.min(this.firstBits[id] as number, this.lastBits[id] as number)
        : (this.lastBits[id] as number)
    }
    packed |= (firstLevel << FIRST) | (lastLevel << LAST)

    // date of birth
    const bi = rows[ri + R_DOB] as number
    const bj = rows[rj + R_DOB] as number
    let dobLevel = 0
    if (bi !== 0 && bj !== 0) {
      if (bi === bj) {
        dobLevel = 1
        rarity += this.dobBits[dayIndex(bi)] as number
      } else {
        const yi = Math.floor(bi / 10000)
        const yj = Math.floor(bj / 10000)
        const mi = Math.floor(bi / 100) % 100
        const mj = Math.floor(bj / 100) % 100
        const di = bi % 100
        const dj = bj % 100
        if (yi === yj && mi === dj && di === mj) dobLevel = 2
        else if (isOneKeystrokeNumber(bi, bj, 8)) dobLevel = 3
        else {
          // near: within about a year, or the same day of the year within ten years (a mistyped year)
          const dayOfYearI = mi * 31 + di
          const dayOfYearJ = mj * 31 + dj
          const apart = Math.abs(yi * 372 + dayOfYearI - (yj * 372 + dayOfYearJ))
          const near = apart <= 372 || (Math.abs(dayOfYearI - dayOfYearJ) <= 3 && Math.abs(yi - yj) <= 10)
          dobLevel = near ? 4 : 5
        }
      }
    }
    packed |= dobLevel << DOB

    // SSN (or whatever national id the provider sent)
    const si = rows[ri + R_SSN] as number
    const sj = rows[rj + R_SSN] as number
    let ssnLevel = 0
    let veto = 0
    if (si >= 0 && sj >= 0) {
      if (si === sj) {
        ssnLevel = 1
        rarity += this.ssnBits[si] as number
      } else if (d.ssnOneKeystroke(si, sj)) ssnLevel = 2
      else {
        ssnLevel = 3
        if (d.ssnWellFormed[i] === 1 && d.ssnWellFormed[j] === 1) veto = 1
      }
    }
    packed |= ssnLevel << SSN

    // emails: any shared address; work addresses differ between employers, so only personal ones disagree
    const ei0 = rows[ri + R_EMAILS] as number
    const ei1 = rows[ri + R_EMAILS_END] as number
    const ej0 = rows[rj + R_EMAILS] as number
    const ej1 = rows[rj + R_EMAILS_END] as number
    let emailLevel = 0
    if (ei1 > ei0 && ej1 > ej0) {
      emailLevel = 4
      let best = 0
      let personalBoth = false
      const entries = d.emailEntries
      for (let a = ei0 * EMAIL_ENTRY; a < ei1 * EMAIL_ENTRY; a += EMAIL_ENTRY) {
        const ea = entries[a + E_ID] as number
        const flagsA = entries[a + E_FLAGS] as number
        for (let b = ej0 * EMAIL_ENTRY; b < ej1 * EMAIL_ENTRY; b += EMAIL_ENTRY) {
          const eb = entries[b + E_ID] as number
          if (ea === eb) {
            emailLevel = 1
            best = Math.max(best, this.emailBits[ea] as number)
          } else if (
            emailLevel > 2 &&
            (entries[a + E_LOCAL] as number) >= 0 &&
            entries[a + E_LOCAL] === entries[b + E_LOCAL]
          ) {
            // a shared local part says something only when it is not just the name (`t.m39`, `jb88`): only those
            // have an id
            emailLevel = 2
          } else if (emailLevel > 3) {
            const shapeX = entries[a + E_SHAPE] as number
            const shapeY = entries[b + E_SHAPE] as number
            // cheap filter first: a typo keeps the length and the first character; and a near-miss between
            // addresses built from the name at two employers is only the name again
            // (at one domain the edits are all in the local parts, so their characters must be near alike)
            const sameDomain = entries[a + E_DOMAIN] === entries[b + E_DOMAIN]
            if (
              (sameDomain || (flagsA & E_LOCAL_DIGIT) !== 0) &&
              shapeX >>> 8 >= 10 &&
              Math.abs((shapeX >>> 8) - (shapeY >>> 8)) <= 2 &&
              (shapeX & 0xff) === (shapeY & 0xff) &&
              mayBeWithinEdits(
                entries[a + (sameDomain ? E_LOCAL_MASK : E_MASK)] as number,
                entries[b + (sameDomain ? E_LOCAL_MASK : E_MASK)] as number,
                2,
              ) &&
              d.emailEditDistance(ea, eb, 2) <= 2
            ) {
              emailLevel = 3
            }
          }
          if ((flagsA & E_PERSONAL) !== 0 && ((entries[b + E_FLAGS] as number) & E_PERSONAL) !== 0) personalBoth = true
        }
      }
      if (emailLevel === 1) rarity += best
      else if (emailLevel === 4 && personalBoth) emailLevel = 5
    }
    packed |= emailLevel << EMAIL

    // phones
    const pi0 = rows[ri + R_PHONES] as number
    const pi1 = rows[ri + R_PHONES_END] as number
    const pj0 = rows[rj + R_PHONES] as number
    const pj1 = rows[rj + R_PHONES_END] as number
    let phoneLevel = 0
    if (pi1 > pi0 && pj1 > pj0) {
      phoneLevel = 2
      let best = 0
      for (let a = pi0; a < pi1; a++) {
        for (let b = pj0; b < pj1; b++) {
          if (d.phoneIds[a] === d.phoneIds[b]) {
            phoneLevel = 1
            best = Math.max(best, this.phoneBits[d.phoneIds[a] as number] as number)
          }
        }
      }
      if (phoneLevel === 1) rarity += best
    }
    packed |= phoneLevel << PHONE

    // middle name or initial
    const mi = rows[ri + R_MIDDLE] as number
    const mj = rows[rj + R_MIDDLE] as number
    if (mi >= 0 && mj >= 0) {
      if (mi === mj) packed |= ((d.names[mi] as string).length === 1 ? 2 : 1) << MIDDLE
      else if ((d.names[mi] as string).charCodeAt(0) === (d.names[mj] as string).charCodeAt(0)) packed |= 2 << MIDDLE
      else packed |= 3 << MIDDLE
    }

    // employment: employee number and start date agree across entities of one provider, or after a migration
    const ni = rows[ri + R_NUMBER] as number
    const nj = rows[rj + R_NUMBER] as number
    if (ni >= 0 && nj >= 0) packed |= (ni === nj ? 1 : 2) << NUMBER
    const ti = rows[ri + R_START_DATE] as number
    const tj = rows[rj + R_START_DATE] as number
    if (ti !== 0 && tj !== 0) packed |= (ti === tj ? 1 : 2) << START

    // residence: street and house number, else postal code and city
    let residenceLevel = rows[ri + R_RESIDENCE] === 0 ? 0 : this.residenceLevel(i, j)
    // a household shares its home and often its surname (a father and son of one name): with the surname agreeing
    // and the birth dates clearly not, the same home is what both a household and one person would show — no evidence
    if (residenceLevel >= 1 && residenceLevel <= 2 && lastLevel >= 1 && lastLevel <= 3 && dobLevel === 5)
      residenceLevel = 3
    packed |= residenceLevel << RESIDENCE

    // vetoes: without an SSN to vouch, clearly different first names or birth dates keep twins, siblings and
    // namesakes apart
    const strongId = ssnLevel === 1 || ssnLevel === 2 || emailLevel === 1 || phoneLevel === 1
    if (veto === 0 && !(ssnLevel === 1 || ssnLevel === 2)) {
      // a different first name needs the surname (at most a typo) and the exact birth date, or a shared email or phone;
      // a different birth date needs both names to agree, or the first name and a shared identifier
      const firstAgrees = firstLevel >= 1 && firstLevel !== 4 && firstLevel !== 6
      // the same street address vouches for a different first name only with the very same birth date (a household
      // shares its address, and a spouse or child often its surname), and for a different birth date only with the
      // first name agreeing
      const sameHome = residenceLevel === 1
      if (
        firstLevel === 6 &&
        !strongId &&
        !(lastLevel >= 1 && lastLevel <= 3 && dobLevel === 1) &&
        !(sameHome && dobLevel === 1)
      )
        veto = 2
      else if (dobLevel === 5 && !(firstAgrees && ((lastLevel >= 1 && lastLevel <= 3) || strongId || sameHome)))
        veto = 3
    }
    // names and a birth date that do not all agree are not enough on their own when the records could say more:
    // if both carry something else comparable (email, phone, middle name, employment, residence, SSN), one of
    // those must agree — namesakes and shared birthdays are common in a large workforce
    if (veto === 0 && (lastLevel === 5 || firstLevel === 6 || dobLevel >= 4)) {
      const comparable = (packed >>> SSN) & 0o7777777
      if (comparable !== 0) {
        const middleLevel = (packed >>> MIDDLE) & 7
        const corroborated =
          ssnLevel === 1 ||
          ssnLevel === 2 ||
          (emailLevel >= 1 && emailLevel <= 3) ||
          phoneLevel === 1 ||
          middleLevel === 1 ||
          middleLevel === 2 ||
          ((packed >>> NUMBER) & 7) === 1 ||
          ((packed >>> START) & 7) === 1 ||
          // the home, the street, or a town whose every comparable part agrees (a postal code alone or a town
          // alone agreeing while the other differs is chance as often as not)
          (residenceLevel >= 1 && residenceLevel <= 3)
        if (!corroborated) veto = 4
      }
    }
    this.packed = packed
    this.rarity = rarity
    this.veto = veto
  }
}
