/**
 * Compares two prepared records field by field: each field gets an agreement level (`Levels.ts`: exact, nickname,
 * typo, day/month swap, …), each level a weight from the scoring model (`Weights.ts`), exact values their rarity in
 * this run, and a few rules veto a link outright (two different well-formed SSNs; clearly different first names or
 * birth dates without an identifier to vouch; disagreeing names or dates with nothing else comparable agreeing).
 */
import type { Arena } from "./internal/Arena.ts"
import { areNicknames, nicknameGroups } from "./internal/Nicknames.ts"
import { PairLevelCache } from "./internal/PairLevelCache.ts"
import * as Layout from "./internal/RecordLayout.ts"
import {
  bitCount,
  characterMask,
  editDistance,
  isOneKeystroke,
  isOneKeystrokeNumber,
  jaroWinkler,
  jaroWinklerBound,
  mayBeWithinEdits,
} from "./internal/StringDistance.ts"
import { comparedFields, EXACT, Level, Shift, SWAPPED_NAMES, Veto } from "./Levels.ts"
import type { Prepared } from "./Prepare.ts"
import { frequencyBits, type ScoringModel } from "./Weights.ts"

const First = Level.first_name
const Last = Level.last_name
const Dob = Level.dob
const Ssn = Level.ssn
const Email = Level.email
const Phone = Level.phone
const Middle = Level.middle_name
const Residence = Level.residence
const { ROW } = Layout

/** One or two edits apart (two only when both have six characters or more); never for names under three. */
const isTypo = (a: string, b: string): boolean => {
  const shortest = Math.min(a.length, b.length)
  if (shortest < 3) return false
  const distance = editDistance(a, b, 2)
  return distance <= 1 || (distance === 2 && shortest >= 6)
}

const digitsOf = (text: string): string => text.replace(/\D+/g, "")

/** E_FLAGS of an address built from the name with a number (`john.smith63@`) */
const NAME_AND_NUMBER = Layout.E_NAME_SHAPED | Layout.E_LOCAL_DIGIT

/** A crosswise name level that counts as agreeing: exact or a typo. */
const good = (level: number) => level === First.exact || level === First.typo

/** A surname that agrees at most by a typo: exact, one part of a double name, or a typo. */
const surnameAgrees = (level: number) => level >= Last.exact && level <= Last.typo

/** Fields whose exact level is frequency-adjusted (its u is the value's rarity, added per comparison). */
const frequencyAdjusted: ReadonlyArray<string> = ["first_name", "last_name", "dob", "ssn", "email", "phone"]

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

/** The dob level of two YYYYMMDD dates, both present and different. */
const differentDobLevel = (bi: number, bj: number): number => {
  const yi = Math.floor(bi / 10000)
  const yj = Math.floor(bj / 10000)
  const mi = Math.floor(bi / 100) % 100
  const mj = Math.floor(bj / 100) % 100
  const di = bi % 100
  const dj = bj % 100
  if (yi === yj && mi === dj && di === mj) return Dob.day_month_swap
  if (isOneKeystrokeNumber(bi, bj, 8)) return Dob.typo
  // near: within about a year, or the same day of the year within ten years (a mistyped year)
  const dayOfYearI = mi * 31 + di
  const dayOfYearJ = mj * 31 + dj
  const apart = Math.abs(yi * 372 + dayOfYearI - (yj * 372 + dayOfYearJ))
  const near = apart <= 372 || (Math.abs(dayOfYearI - dayOfYearJ) <= 3 && Math.abs(yi - yj) <= 10)
  return near ? Dob.near : Dob.disagree
}

/** Compares records pairwise; reuse one per run (it caches per-value information). */
export class Comparator {
  /** posterior log2-odds of the last comparison */
  score = 0
  /** levels of the last comparison, 3 bits per field (see `Levels.ts`), plus SWAPPED_NAMES */
  packed = 0
  /** the `Veto` of the last comparison (`Veto.none`: none) */
  veto = 0
  /** frequency information of the last comparison's exact agreements (bits) */
  rarity = 0
  /** whether the last comparison's shared email address (if any) is built from the name alone (`john.smith63@`) */
  private sharedEmailIsName = false
  /**
   * whether the last comparison found, and nothing closer, two personal addresses built from the name with other
   * numbers (`john.smith38@` / `john.smith39@`): each namesake's own address
   */
  private otherNumbers = false
  /** whether the last comparison found the same street address (before a household's shared home is discounted) */
  private sameHome = false

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
  /** levels of first-name pairs and of surname pairs already worked out */
  private readonly levelCache: PairLevelCache
  private readonly surnameCache: PairLevelCache
  /** per name id: its `characterMask` (cheap filters before string distances) */
  private readonly nameMask: Int32Array
  /** per name id: length (top 8 bits, 255 = longer) and its first three characters, a byte each */
  private readonly nameShape: Int32Array
  /** per name id: its nickname groups as bits (group mod 32); no shared bit, not nicknames */
  private readonly nicknameBloom: Int32Array

  /**
   * whether birth dates are taken as reliable (`ReconcileOptions.birthDates`): then two complete dates that are
   * neither equal nor a typo or day/month swap of each other (near ones included) conflict
   */
  readonly reliableBirthDates: boolean

  /** `arena`: where the per-run caches live (by default ordinary arrays) */
  constructor(data: Prepared, model: ScoringModel, arena?: Arena, reliableBirthDates = true) {
    this.data = data
    this.model = model
    this.reliableBirthDates = reliableBirthDates
    this.levelCache = PairLevelCache.forRecords(data.size, arena)
    this.surnameCache = PairLevelCache.forRecords(data.size, arena)
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
    comparedFields.forEach((field, slot) => {
      const ms = m[slot] as ReadonlyArray<number>
      const us = u[slot] as ReadonlyArray<number>
      for (let level = EXACT; level < ms.length; level++) {
        const mi = Math.max(ms[level] as number, 1e-6)
        const ui = Math.max(us[level] as number, 1e-9)
        this.table[slot * 8 + level] =
          level === EXACT && frequencyAdjusted.includes(field) ? Math.log2(mi) : Math.log2(mi / ui)
      }
    })
    this.prior = Math.log2(matchShare / (1 - matchShare))
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
    const rows = this.data.rows
    const ri = i * ROW
    const rj = j * ROW
    // each field's method adds the rarity of an exact agreement, in field order
    this.rarity = 0
    let packed = this.compareNames(i, j)
    const firstLevel = (packed >>> Shift.first_name) & 7
    const lastLevel = (packed >>> Shift.last_name) & 7
    const dobLevel = this.dobLevel(rows[ri + Layout.R_DOB] as number, rows[rj + Layout.R_DOB] as number)
    const ssnLevel = this.ssnLevel(rows[ri + Layout.R_SSN] as number, rows[rj + Layout.R_SSN] as number)
    const emailLevel = this.emailLevel(ri, rj)
    const phoneLevel = this.phoneLevel(ri, rj)
    packed |= (dobLevel << Shift.dob) | (ssnLevel << Shift.ssn) | (emailLevel << Shift.email)
    packed |= (phoneLevel << Shift.phone) | (this.middleLevel(ri, rj) << Shift.middle_name)
    packed |= this.employmentLevels(ri, rj)
    const homeLevel = rows[ri + Layout.R_RESIDENCE] === 0 ? Residence.missing : this.residenceLevel(i, j)
    let residenceLevel = homeLevel
    // a household shares its home and often its surname (a father and son of one name): with the surname agreeing
    // and the birth dates clearly not, the same home is what both a household and one person would show — no evidence
    if (
      (residenceLevel === Residence.address || residenceLevel === Residence.street) &&
      surnameAgrees(lastLevel) &&
      dobLevel === Dob.disagree
    )
      residenceLevel = Residence.locality
    packed |= residenceLevel << Shift.residence
    this.packed = packed
    this.sameHome = homeLevel === Residence.address
    this.veto =
      ssnLevel === Ssn.disagree && this.data.ssnWellFormed[i] === 1 && this.data.ssnWellFormed[j] === 1
        ? Veto.different_ssn
        : vetoOf({
            packed,
            firstLevel,
            lastLevel,
            dobLevel,
            ssnLevel,
            emailLevel,
            ownEmail: emailLevel === Email.exact && !this.sharedEmailIsName,
            otherNumbers: this.otherNumbers,
            phoneLevel,
            residenceLevel,
            sameHome: homeLevel === Residence.address,
            reliableBirthDates: this.reliableBirthDates,
          })
  }

  /** Whether the last comparison found two complete birth dates in conflict (see `reliableBirthDates`). */
  birthDatesConflict(): boolean {
    return birthDatesConflict((this.packed >>> Shift.dob) & 7, this.reliableBirthDates)
  }

  /**
   * Whether something of the person's own in the last comparison says its two birth dates, even in conflict, are one
   * person's: an SSN that agrees, or the first name with a phone, a shared address not built from the name, or the
   * home. Names and name-built addresses never do (two namesakes share both).
   */
  birthDatesVouched(): boolean {
    const packed = this.packed
    return vouchesForBirthDates({
      ssnLevel: (packed >>> Shift.ssn) & 7,
      firstLevel: (packed >>> Shift.first_name) & 7,
      ownId: this.ownId(packed),
      sameHome: this.sameHome,
    })
  }

  /** A shared phone or a shared address not built from the name, in the last comparison (`packed`). */
  private ownId(packed: number): boolean {
    return (
      ((packed >>> Shift.phone) & 7) === Phone.exact ||
      (((packed >>> Shift.email) & 7) === Email.exact && !this.sharedEmailIsName)
    )
  }

  /** First and last name levels (packed), with a crosswise check for first and last swapped between systems. */
  private compareNames(i: number, j: number): number {
    const rows = this.data.rows
    const ri = i * ROW
    const rj = j * ROW
    let firstLevel: number
    if (
      (rows[ri + Layout.R_FIRST_FULL] as number) >= 0 &&
      rows[ri + Layout.R_FIRST_FULL] === rows[rj + Layout.R_FIRST_FULL]
    )
      firstLevel = First.exact
    else {
      firstLevel = this.firstLevel(rows[ri + Layout.R_FIRST] as number, rows[rj + Layout.R_FIRST] as number)
      if (firstLevel > First.exact) {
        const pi = rows[ri + Layout.R_PREFERRED] as number
        const pj = rows[rj + Layout.R_PREFERRED] as number
        if (
          (pi >= 0 && (pi === rows[rj + Layout.R_FIRST] || pi === pj)) ||
          (pj >= 0 && pj === rows[ri + Layout.R_FIRST])
        )
          firstLevel = First.nickname
      }
    }
    let lastLevel = this.lastLevel(i, j)
    let packed = 0
    let swapped = false
    let firstId = rows[ri + Layout.R_FIRST] as number
    if (
      firstLevel >= First.similar ||
      lastLevel >= Last.similar ||
      (firstLevel === First.missing) !== (lastLevel === Last.missing)
    ) {
      // a surname written into first_name keeps all its words (`van groesen`, `macgo wan`): try them joined too
      let crossFirst = this.crossLevel(firstId, rows[rj + Layout.R_LAST] as number)
      const fullI = rows[ri + Layout.R_FIRST_FULL] as number
      if (!good(crossFirst) && fullI !== firstId && fullI >= 0) {
        const joined = this.crossLevel(fullI, rows[rj + Layout.R_LAST] as number)
        if (good(joined)) {
          crossFirst = joined
          firstId = fullI
        }
      }
      let crossLast = this.crossLevel(rows[ri + Layout.R_LAST] as number, rows[rj + Layout.R_FIRST] as number)
      const fullJ = rows[rj + Layout.R_FIRST_FULL] as number
      if (!good(crossLast) && fullJ !== rows[rj + Layout.R_FIRST] && fullJ >= 0) {
        const joined = this.crossLevel(rows[ri + Layout.R_LAST] as number, fullJ)
        if (good(joined)) crossLast = joined
      }
      // swapped between systems: both cross pairs agree, or one does and the other side is missing
      if (
        (good(crossFirst) && (good(crossLast) || crossLast === First.missing)) ||
        (good(crossLast) && crossFirst === First.missing)
      ) {
        firstLevel = crossFirst
        lastLevel = crossLast
        swapped = true
        packed |= SWAPPED_NAMES
      }
    }
    // crosswise, a name's rarity is the lower of its rarities as a first name and as a surname
    if (firstLevel === First.exact) {
      const id = swapped ? firstId : (rows[ri + Layout.R_FIRST] as number)
      this.rarity += swapped
        ? Math.min(this.firstBits[id] as number, this.lastBits[id] as number)
        : (this.firstBits[id] as number)
    }
    if (lastLevel === Last.exact) {
      const id = rows[ri + Layout.R_LAST] as number
      this.rarity += swapped
        ? Math.min(this.firstBits[id] as number, this.lastBits[id] as number)
        : (this.lastBits[id] as number)
    }
    return packed | (firstLevel << Shift.first_name) | (lastLevel << Shift.last_name)
  }

  /** The dob level of two YYYYMMDD dates (0: absent). */
  private dobLevel(bi: number, bj: number): number {
    if (bi === 0 || bj === 0) return Dob.missing
    if (bi !== bj) return differentDobLevel(bi, bj)
    this.rarity += this.dobBits[dayIndex(bi)] as number
    return Dob.exact
  }

  /** The SSN level (or whatever national id the provider sent) of two SSN ids (-1: absent). */
  private ssnLevel(si: number, sj: number): number {
    if (si < 0 || sj < 0) return Ssn.missing
    if (si === sj) {
      this.rarity += this.ssnBits[si] as number
      return Ssn.exact
    }
    return this.data.ssnOneKeystroke(si, sj) ? Ssn.typo : Ssn.disagree
  }

  /**
   * The rarity of the rarest value two runs of ids share (`ids[a * stride]` for a in [a0, a1), likewise b), or -1
   * when they share none: a record's emails and its phones.
   */
  private static sharedBits(
    ids: Int32Array,
    stride: number,
    a0: number,
    a1: number,
    b0: number,
    b1: number,
    bits: Float32Array,
  ): number {
    let shared = false
    let best = 0
    for (let a = a0; a < a1; a++) {
      const id = ids[a * stride] as number
      for (let b = b0; b < b1; b++) {
        if (id === ids[b * stride]) {
          shared = true
          best = Math.max(best, bits[id] as number)
        }
      }
    }
    return shared ? best : -1
  }

  /** The email level: any shared address; work addresses differ between employers, so only personal ones disagree. */
  private emailLevel(ri: number, rj: number): number {
    const d = this.data
    const rows = d.rows
    const ei0 = rows[ri + Layout.R_EMAILS] as number
    const ei1 = rows[ri + Layout.R_EMAILS_END] as number
    const ej0 = rows[rj + Layout.R_EMAILS] as number
    const ej1 = rows[rj + Layout.R_EMAILS_END] as number
    if (ei1 <= ei0 || ej1 <= ej0) return Email.missing
    const entries = d.emailEntries
    this.sharedEmailIsName = false
    this.otherNumbers = false
    const shared = Comparator.sharedBits(entries, Layout.EMAIL_ENTRY, ei0, ei1, ej0, ej1, this.emailBits)
    if (shared >= 0) {
      this.rarity += shared
      this.sharedEmailIsName = this.sharesOnlyNameShaped(ei0, ei1, ej0, ej1)
      return Email.exact
    }
    let level: number = Email.disagree
    let personalBoth = false
    for (let a = ei0 * Layout.EMAIL_ENTRY; a < ei1 * Layout.EMAIL_ENTRY; a += Layout.EMAIL_ENTRY) {
      const flagsA = entries[a + Layout.E_FLAGS] as number
      for (let b = ej0 * Layout.EMAIL_ENTRY; b < ej1 * Layout.EMAIL_ENTRY; b += Layout.EMAIL_ENTRY) {
        if (
          level > Email.same_local_part &&
          (entries[a + Layout.E_LOCAL] as number) >= 0 &&
          entries[a + Layout.E_LOCAL] === entries[b + Layout.E_LOCAL]
        ) {
          // a shared local part says something only when it is not just the name (`t.m39`, `jb88`): only those
          // have an id
          level = Email.same_local_part
        } else if (level > Email.typo && this.emailsAreTypo(a, b, flagsA)) level = Email.typo
        const flagsB = entries[b + Layout.E_FLAGS] as number
        if ((flagsA & Layout.E_PERSONAL) !== 0 && (flagsB & Layout.E_PERSONAL) !== 0) {
          personalBoth = true
          if (
            (flagsA & flagsB & NAME_AND_NUMBER) === NAME_AND_NUMBER &&
            entries[a + Layout.E_DIGITS] !== entries[b + Layout.E_DIGITS]
          )
            this.otherNumbers = true
        }
      }
    }
    if (level !== Email.disagree) this.otherNumbers = false
    return level === Email.disagree && personalBoth ? Email.disagree_personal : level
  }

  /** Whether every address records i and j share is built from i's name alone. */
  private sharesOnlyNameShaped(ei0: number, ei1: number, ej0: number, ej1: number): boolean {
    const entries = this.data.emailEntries
    for (let a = ei0 * Layout.EMAIL_ENTRY; a < ei1 * Layout.EMAIL_ENTRY; a += Layout.EMAIL_ENTRY) {
      if (((entries[a + Layout.E_FLAGS] as number) & Layout.E_NAME_SHAPED) !== 0) continue
      for (let b = ej0 * Layout.EMAIL_ENTRY; b < ej1 * Layout.EMAIL_ENTRY; b += Layout.EMAIL_ENTRY)
        if (entries[a + Layout.E_ID] === entries[b + Layout.E_ID]) return false
    }
    return true
  }

  /**
   * Whether the email entries at a and b (offsets into `emailEntries`) are a typo apart: a few edits, and the same
   * digits in their local parts (`first.last63` and `first.last83` are two addresses, not a typo).
   */
  private emailsAreTypo(a: number, b: number, flagsA: number): boolean {
    const entries = this.data.emailEntries
    const shapeX = entries[a + Layout.E_SHAPE] as number
    const shapeY = entries[b + Layout.E_SHAPE] as number
    // cheap filter first: a typo keeps the length and the first character; and a near-miss between addresses built
    // from the name at two employers is only the name again (at one domain the edits are all in the local parts, so
    // their characters must be near alike)
    const sameDomain = entries[a + Layout.E_DOMAIN] === entries[b + Layout.E_DOMAIN]
    const mask = sameDomain ? Layout.E_LOCAL_MASK : Layout.E_MASK
    return (
      (sameDomain || (flagsA & Layout.E_LOCAL_DIGIT) !== 0) &&
      entries[a + Layout.E_DIGITS] === entries[b + Layout.E_DIGITS] &&
      shapeX >>> 8 >= 10 &&
      Math.abs((shapeX >>> 8) - (shapeY >>> 8)) <= 2 &&
      (shapeX & 0xff) === (shapeY & 0xff) &&
      mayBeWithinEdits(entries[a + mask] as number, entries[b + mask] as number, 2) &&
      this.data.emailEditDistance(entries[a + Layout.E_ID] as number, entries[b + Layout.E_ID] as number, 2) <= 2
    )
  }

  /** The phone level: any shared number. */
  private phoneLevel(ri: number, rj: number): number {
    const rows = this.data.rows
    const pi0 = rows[ri + Layout.R_PHONES] as number
    const pi1 = rows[ri + Layout.R_PHONES_END] as number
    const pj0 = rows[rj + Layout.R_PHONES] as number
    const pj1 = rows[rj + Layout.R_PHONES_END] as number
    if (pi1 <= pi0 || pj1 <= pj0) return Phone.missing
    const shared = Comparator.sharedBits(this.data.phoneIds, 1, pi0, pi1, pj0, pj1, this.phoneBits)
    if (shared < 0) return Phone.disagree
    this.rarity += shared
    return Phone.exact
  }

  /** The middle name or initial level. */
  private middleLevel(ri: number, rj: number): number {
    const names = this.data.names
    const mi = this.data.rows[ri + Layout.R_MIDDLE] as number
    const mj = this.data.rows[rj + Layout.R_MIDDLE] as number
    if (mi < 0 || mj < 0) return Middle.missing
    if (mi === mj) return (names[mi] as string).length === 1 ? Middle.initial : Middle.exact
    return (names[mi] as string).charCodeAt(0) === (names[mj] as string).charCodeAt(0)
      ? Middle.initial
      : Middle.disagree
  }

  /** Employee number and start date levels (packed): they agree across entities of one provider, or after a migration. */
  private employmentLevels(ri: number, rj: number): number {
    const rows = this.data.rows
    let packed = 0
    const ni = rows[ri + Layout.R_NUMBER] as number
    const nj = rows[rj + Layout.R_NUMBER] as number
    if (ni >= 0 && nj >= 0)
      packed |= (ni === nj ? Level.employee_number.exact : Level.employee_number.disagree) << Shift.employee_number
    const ti = rows[ri + Layout.R_START_DATE] as number
    const tj = rows[rj + Layout.R_START_DATE] as number
    if (ti !== 0 && tj !== 0)
      packed |= (ti === tj ? Level.start_date.exact : Level.start_date.disagree) << Shift.start_date
    return packed
  }

  /**
   * `disagreeLevel` when names a ≠ b can be told apart from their lengths, first characters and character sets
   * alone — no typo (edits can only change so many characters), no prefix or initial, no nickname, a Jaro–Winkler
   * bound below `similar` — else -1: most pairs of different names are plainly different, and this decides them
   * without reading the strings or a cache (both cache misses at a million records).
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

  /** The first-name level of two first-name tokens, through a direct-mapped cache. */
  private firstLevel(a: number, b: number): number {
    if (a < 0 || b < 0) return First.missing
    if (a === b) return First.exact
    const plain = this.plainlyDifferent(a, b, 0.85, First.disagree)
    if (plain !== -1) return plain
    const cached = this.levelCache.lookup(a, b)
    return cached !== -1 ? cached : this.levelCache.store(a, b, this.firstLevelUncached(a, b))
  }

  /**
   * Whether first name `a` and surname `b` (crosswise, for names swapped between systems) agree exactly or by a
   * typo; otherwise `disagree` ("not good"), or `missing` when either is missing. The same answer `firstLevel` gives
   * for exact and typo, without the nickname and similarity checks a crosswise pair almost never needs.
   */
  private crossLevel(a: number, b: number): number {
    if (a < 0 || b < 0) return First.missing
    if (a === b) return First.exact
    const lengthA = (this.nameShape[a] as number) >>> 24
    const lengthB = (this.nameShape[b] as number) >>> 24
    if (Math.min(lengthA, lengthB) < 3 || Math.abs(lengthA - lengthB) > 2) return First.disagree
    if (!mayBeWithinEdits(this.nameMask[a] as number, this.nameMask[b] as number, 2)) return First.disagree
    return this.firstLevel(a, b) === First.typo ? First.typo : First.disagree
  }

  private firstLevelUncached(a: number, b: number): number {
    const names = this.data.names
    const x = names[a] as string
    const y = names[b] as string
    if (x.length === 1 || y.length === 1) return x.charCodeAt(0) === y.charCodeAt(0) ? First.initial : First.disagree
    if (areNicknames(x, y)) return First.nickname
    if (x.length >= 3 && y.length >= 3 && (x.startsWith(y) || y.startsWith(x))) return First.nickname
    const maskX = this.nameMask[a] as number
    const maskY = this.nameMask[b] as number
    if (mayBeWithinEdits(maskX, maskY, 2) && isTypo(x, y)) return First.typo
    if (jaroWinklerBound(x, maskX, y, maskY) < 0.85) return First.disagree
    return jaroWinkler(x, y) >= 0.85 ? First.similar : First.disagree
  }

  /** The residence level of records i and j (see `Level.residence`). */
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
      postal === 1 || city === 1
        ? postal === 0 || city === 0
          ? Residence.partial
          : Residence.locality
        : postal === 0 || city === 0
          ? Residence.disagree
          : Residence.missing
    if (street === 1) {
      const number = agreement(d.houseNumber, true)
      if (number === 1) return Residence.address
      if (number === -1 && (agreement(d.unit, false) === 1 || locality === Residence.locality)) return Residence.address
      return Residence.street
    }
    if (street === 0 && locality === Residence.missing) return Residence.disagree
    return locality
  }

  /** The surname level of records i and j. */
  private lastLevel(i: number, j: number): number {
    const rows = this.data.rows
    const ri = i * ROW
    const rj = j * ROW
    const a = rows[ri + Layout.R_LAST] as number
    const b = rows[rj + Layout.R_LAST] as number
    if (a < 0 || b < 0) return Last.missing
    if (a === b) return Last.exact
    const a1 = rows[ri + Layout.R_LAST_A] as number
    const a2 = rows[ri + Layout.R_LAST_B] as number
    const b1 = rows[rj + Layout.R_LAST_A] as number
    const b2 = rows[rj + Layout.R_LAST_B] as number
    if (a1 >= 0 || b1 >= 0) {
      // double or hyphenated surname: one shared part is enough (married names often keep one)
      if (a1 === b || a2 === b || b1 === a || b2 === a) return Last.part
      if (a1 >= 0 && (a1 === b1 || a1 === b2)) return Last.part
      if (a2 >= 0 && (a2 === b1 || a2 === b2)) return Last.part
    }
    const plain = this.plainlyDifferent(a, b, 0.9, Last.disagree)
    if (plain !== -1) return plain
    const cached = this.surnameCache.lookup(a, b)
    return cached !== -1 ? cached : this.surnameCache.store(a, b, this.surnameTextLevel(a, b))
  }

  /** Typo, similar or disagree for two different surname tokens. */
  private surnameTextLevel(a: number, b: number): number {
    const x = this.data.names[a] as string
    const y = this.data.names[b] as string
    const maskX = this.nameMask[a] as number
    const maskY = this.nameMask[b] as number
    if (mayBeWithinEdits(maskX, maskY, 2) && isTypo(x, y)) return Last.typo
    // Jaro–Winkler ≥ 0.9 needs the same first letter and similar lengths in practice: skip the costly check otherwise
    if (x.charCodeAt(0) !== y.charCodeAt(0) || Math.abs(x.length - y.length) > 3) return Last.disagree
    if (jaroWinklerBound(x, maskX, y, maskY) < 0.9) return Last.disagree
    return jaroWinkler(x, y) >= 0.9 ? Last.similar : Last.disagree
  }
}

/** A first name that agrees: exact, a nickname, a typo or similar (not an initial). */
const firstAgrees = (level: number) => level >= First.exact && level !== First.initial && level !== First.disagree

/**
 * Whether two birth dates, even in conflict, are vouched for as one person's: an SSN that agrees, or the first name
 * with something of the person's own — a phone, a shared address not built from the name (`ownId`), the home.
 */
const vouchesForBirthDates = (input: {
  readonly ssnLevel: number
  readonly firstLevel: number
  readonly ownId: boolean
  readonly sameHome: boolean
}): boolean =>
  input.ssnLevel === Ssn.exact ||
  input.ssnLevel === Ssn.typo ||
  (firstAgrees(input.firstLevel) && (input.ownId || input.sameHome))

/** Whether two complete birth dates at `dobLevel` conflict: disagree, or with reliable dates near too. */
const birthDatesConflict = (dobLevel: number, reliableBirthDates: boolean): boolean =>
  dobLevel === Dob.disagree || (reliableBirthDates && dobLevel === Dob.near)

/** What a veto is decided from: the comparison's levels, and the home before a household's shared home is discounted. */
interface VetoInput {
  readonly packed: number
  readonly firstLevel: number
  readonly lastLevel: number
  readonly dobLevel: number
  readonly ssnLevel: number
  readonly emailLevel: number
  /** a shared address not built from the name alone (`john.smith63@` is, `sailfish.k@` is not) */
  readonly ownEmail: boolean
  /** no shared address, but two personal ones built from the name with other numbers (`john.smith38@` / `39@`) */
  readonly otherNumbers: boolean
  readonly phoneLevel: number
  readonly residenceLevel: number
  /** the same street address (before the household rule turns it into `locality`) */
  readonly sameHome: boolean
  readonly reliableBirthDates: boolean
}

/**
 * The veto of a comparison whose SSNs do not veto it already. Without an SSN to vouch, clearly different first names
 * or birth dates keep twins, siblings and namesakes apart; and names and a birth date that do not all agree are not
 * enough on their own when the records could say more.
 */
const vetoOf = (input: VetoInput): number => {
  const { packed, firstLevel, lastLevel, dobLevel, ssnLevel, emailLevel, phoneLevel, residenceLevel } = input
  const ssnAgrees = ssnLevel === Ssn.exact || ssnLevel === Ssn.typo
  if (!ssnAgrees) {
    const strongId = emailLevel === Email.exact || phoneLevel === Phone.exact
    // the same street address vouches for a different first name only with the very same birth date (a household
    // shares its address, and a spouse or child often its surname)
    const sameHome = residenceLevel === Residence.address
    // a different first name needs the surname (at most a typo) and the exact birth date, or a shared email or phone
    if (
      firstLevel === First.disagree &&
      !strongId &&
      !(surnameAgrees(lastLevel) && dobLevel === Dob.exact) &&
      !(sameHome && dobLevel === Dob.exact)
    )
      return Veto.different_first_name
    if (input.reliableBirthDates) {
      // two complete birth dates in conflict are two people, however alike their names and name-built addresses:
      // only the first name with something of the person's own vouches — an address not made of the name, a phone,
      // the home
      const ownId = input.ownEmail || phoneLevel === Phone.exact
      if (
        birthDatesConflict(dobLevel, true) &&
        !vouchesForBirthDates({ ssnLevel, firstLevel, ownId, sameHome: input.sameHome })
      )
        return Veto.different_birth_date
    } else if (
      dobLevel === Dob.disagree &&
      !(firstAgrees(firstLevel) && (surnameAgrees(lastLevel) || strongId || sameHome))
    )
      // dates often mistyped: both names, or the first name and an identifier or the home, outweigh them
      return Veto.different_birth_date
  }
  // each with a personal address made of the name and a number of their own (`john.smith38@`, `john.smith39@`): two
  // namesakes, unless the exact birth date or something of the person's own agrees
  if (
    input.reliableBirthDates &&
    input.otherNumbers &&
    dobLevel !== Dob.exact &&
    !ssnAgrees &&
    phoneLevel !== Phone.exact &&
    !input.sameHome
  )
    return Veto.different_personal_address
  // if both carry something else comparable (email, phone, middle name, employment, residence, SSN), one of those
  // must agree — namesakes and shared birthdays are common in a large workforce
  if (lastLevel === Last.disagree || firstLevel === First.disagree || dobLevel >= Dob.near) {
    const comparable = (packed >>> Shift.ssn) & 0o7777777
    if (comparable !== 0) {
      const middleLevel = (packed >>> Shift.middle_name) & 7
      const corroborated =
        ssnAgrees ||
        (emailLevel >= Email.exact && emailLevel <= Email.typo) ||
        phoneLevel === Phone.exact ||
        middleLevel === Middle.exact ||
        middleLevel === Middle.initial ||
        ((packed >>> Shift.employee_number) & 7) === Level.employee_number.exact ||
        ((packed >>> Shift.start_date) & 7) === Level.start_date.exact ||
        // the home, the street, or a town whose every comparable part agrees (a postal code alone or a town alone
        // agreeing while the other differs is chance as often as not)
        (residenceLevel >= Residence.address && residenceLevel <= Residence.locality)
      if (!corroborated) return Veto.uncorroborated
    }
  }
  return Veto.none
}
