/**
 * Turns source records into columns of integer codes (struct of arrays), in a canonical order that does not
 * depend on the input order: everything downstream compares ints and indexes typed arrays.
 */

import { canonicalOrder, DuplicateRecordId } from "./CanonicalOrder.ts"
import { IntList, type Memory, memoryFor } from "./internal/Arena.ts"
import { addLetter, EmailScan, isLetter, LETTERS_BASE } from "./internal/EmailScan.ts"
import { NameTokenizer } from "./internal/NameTokenizer.ts"
import {
  dateToInt,
  isAllZeros,
  isWellFormedSsn,
  normalizePhone,
  normalizePostalCode,
  normalizeSsn,
  normalizeText,
  streetLine,
} from "./internal/Normalize.ts"
import { countDistinctPairs } from "./internal/RadixSort.ts"
import * as Layout from "./internal/RecordLayout.ts"
import { SortedInterner } from "./internal/SortedInterner.ts"
import { editDistanceOfRanges, isOneKeystroke, isOneKeystrokeNumber } from "./internal/StringDistance.ts"
import { hashRange, StringTable } from "./internal/StringTable.ts"
import type { SourceRecord } from "./SourceRecord.ts"

/** The prepared columns; index `k` is the k-th record in canonical order. -1 / 0 mean "absent". */
export interface Prepared {
  readonly size: number
  readonly recordIds: ReadonlyArray<string>
  /** canonical index → index in the caller's input */
  readonly inputIndex: Int32Array
  /** canonical index → rank by (hash of record id, record id): new persons are named after their lowest-ranked record */
  readonly hashRank: Int32Array
  /** canonical index → the two hashes of its record id that a new person's id is made of (see `canonicalOrder`) */
  readonly idHashHigh: Uint32Array
  readonly idHashLow: Uint32Array
  /** name tokens (first, middle, last, preferred share one table) */
  readonly names: ReadonlyArray<string>
  readonly first: Int32Array
  readonly firstFull: Int32Array
  readonly preferred: Int32Array
  readonly middle: Int32Array
  readonly last: Int32Array
  readonly lastA: Int32Array
  readonly lastB: Int32Array
  readonly firstPhonetic: Int32Array
  readonly lastPhonetic: Int32Array
  readonly dob: Int32Array
  /** whether SSNs a and b are one substituted digit or one swap of adjacent digits apart (no strings made) */
  readonly ssnOneKeystroke: (a: number, b: number) => boolean
  readonly ssn: Int32Array
  readonly ssnWellFormed: Uint8Array
  /** the edit distance of emails a and b, or `limit + 1` beyond it (see `editDistance`; no strings made) */
  readonly emailEditDistance: (a: number, b: number, limit: number) => number
  readonly emailStart: Int32Array
  readonly emailIds: Int32Array
  /**
   * per email entry (`emailStart` ranges), what comparing reads, `EMAIL_ENTRY` ints an entry (offsets `E_*`), so a
   * record's emails are one cache line: the email id, its local part's id when that holds a digit (else -1), its
   * domain's id, its shape (length above the low byte, first character in it), its `characterMask`, and flags
   * (`E_PERSONAL`, `E_LOCAL_DIGIT`; see RecordLayout.ts)
   */
  readonly emailEntries: Int32Array
  /**
   * what comparing two records reads most, one 64-byte row a record (`ROW` ints at k × ROW, offsets `R_*`): a
   * pair's other record then costs one cache miss, not one per column
   */
  readonly rows: Int32Array
  readonly phoneStart: Int32Array
  readonly phoneIds: Int32Array
  readonly connection: Int32Array
  readonly group: Int32Array
  readonly employeeNumber: Int32Array
  readonly startDate: Int32Array
  readonly postal: Int32Array
  readonly city: Int32Array
  /** residence street words, house number, line 2 and state (ids into `addressText`; -1 absent) */
  readonly street: Int32Array
  readonly houseNumber: Int32Array
  readonly unit: Int32Array
  readonly state: Int32Array
  /** the text behind postal, city, street, houseNumber, unit and state ids, each after a two-character tag */
  readonly addressText: (id: number) => string
  /**
   * content hashes of the values behind the ids of `names`, `ssns`, `emails`, `phones` and `addressText`: ids follow
   * the input order, so blocking keys and sort keys use these instead and never depend on that order
   */
  readonly nameHash: Int32Array
  readonly ssnHash: Int32Array
  readonly emailHash: Int32Array
  readonly phoneHash: Int32Array
  readonly addressHash: Int32Array
  /** about how many different people the records hold */
  readonly people: number
  /** how many people carry each name token as first name / as last name, each dob; how many records each email, phone, ssn */
  readonly firstCount: Int32Array
  readonly lastCount: Int32Array
  readonly emailCount: Int32Array
  readonly phoneCount: Int32Array
  readonly ssnCount: Int32Array
  readonly dobCount: Map<number, number>
}

const countInto = (counts: Int32Array, ids: Int32Array) => {
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k] as number
    if (id >= 0) counts[id] = (counts[id] as number) + 1
  }
}

/**
 * How many different people carry each value of `values` (ids, -1 absent): records agreeing on `other` too (a
 * birth date for a name, a surname for a birth date) are taken as one person, so a person seen by five connections
 * does not make their own name look common. Records missing `other` count one each.
 */
const peopleCounts = (values: Int32Array, other: Int32Array, size: number, memory: Memory): Int32Array => {
  const counts = memory.run.int32(size)
  const firsts = memory.scratch.int32(values.length)
  const seconds = memory.scratch.int32(values.length)
  let pairs = 0
  for (let k = 0; k < values.length; k++) {
    const value = values[k] as number
    if (value < 0) continue
    const with_ = other[k] as number
    if (with_ <= 0) counts[value] = (counts[value] as number) + 1
    else {
      firsts[pairs] = value
      seconds[pairs++] = with_
    }
  }
  countDistinctPairs(firsts, seconds, pairs, memory.scratch, (value, distinct) => {
    counts[value] = (counts[value] as number) + distinct
  })
  return counts
}

/**
 * Read: the columns of the records in input order, as they lie in memory (in canonical order every record would be
 * a cache miss), in scratch memory. Emails, their local parts, SSNs, phones and address parts are interned by
 * sorting once every record is read (see SortedInterner.ts): until `resolveIds`, their columns hold occurrence numbers.
 */
class InputColumns {
  readonly tokenizer = new NameTokenizer()
  readonly ssnOccurrences: SortedInterner
  readonly emailOccurrences: SortedInterner
  readonly localOccurrences: SortedInterner
  readonly phoneOccurrences: SortedInterner
  readonly otherOccurrences: SortedInterner
  /** domains are few: a lookup table that stays in the cache, holding copies (a lookup then compares with a short string in cache, not with the first address that brought the domain, somewhere in the caller's records) */
  readonly domains: StringTable
  private readonly email = new EmailScan()
  readonly recordIds: Array<string>
  readonly first: Int32Array
  readonly firstFull: Int32Array
  readonly preferred: Int32Array
  readonly middle: Int32Array
  readonly last: Int32Array
  readonly lastA: Int32Array
  readonly lastB: Int32Array
  readonly firstPhonetic: Int32Array
  readonly lastPhonetic: Int32Array
  readonly dob: Int32Array
  readonly ssn: Int32Array
  readonly ssnWellFormed: Uint8Array
  readonly emailStart: Int32Array
  /** email entries in input order, laid out as in `emailEntries`, E_ID and E_LOCAL as occurrence numbers */
  readonly emailEntries: IntList
  readonly phoneStart: Int32Array
  readonly phoneIds: IntList
  private readonly recordPhones: Array<string> = []
  /** the letters hashes of the current record's name shapes (see `nameShapes`) */
  private readonly shapes = new Int32Array(8)
  private readonly nameLetters = new NameLetters(this.tokenizer.table)
  readonly connection: Int32Array
  readonly group: Int32Array
  readonly employeeNumber: Int32Array
  readonly startDate: Int32Array
  readonly postal: Int32Array
  readonly city: Int32Array
  readonly street: Int32Array
  readonly houseNumber: Int32Array
  readonly unit: Int32Array
  readonly state: Int32Array
  private readonly groups = new ConnectionGroups()

  constructor(n: number, memory: Memory) {
    const scratch = memory.scratch
    this.ssnOccurrences = new SortedInterner(scratch, n >> 1)
    this.emailOccurrences = new SortedInterner(scratch, n + (n >> 1))
    this.localOccurrences = new SortedInterner(scratch, n >> 1)
    this.phoneOccurrences = new SortedInterner(scratch, n >> 1)
    this.otherOccurrences = new SortedInterner(scratch, n >> 2)
    this.domains = new StringTable({ arena: memory.run, slotsArena: scratch })
    const column = () => scratch.int32(n).fill(-1)
    this.recordIds = new Array(n)
    this.first = column()
    this.firstFull = column()
    this.preferred = column()
    this.middle = column()
    this.last = column()
    this.lastA = column()
    this.lastB = column()
    this.firstPhonetic = scratch.int32(n)
    this.lastPhonetic = scratch.int32(n)
    this.dob = scratch.int32(n)
    this.ssn = column()
    this.ssnWellFormed = scratch.uint8(n)
    this.emailStart = scratch.int32(n + 1)
    this.emailEntries = new IntList(scratch, (n + (n >> 1)) * Layout.EMAIL_ENTRY)
    this.phoneStart = scratch.int32(n + 1)
    this.phoneIds = new IntList(scratch, n)
    this.connection = scratch.int32(n)
    this.group = scratch.int32(n)
    this.employeeNumber = column()
    this.startDate = scratch.int32(n)
    this.postal = column()
    this.city = column()
    this.street = column()
    this.houseNumber = column()
    this.unit = column()
    this.state = column()
  }

  /** Reads record `k` (input order). */
  read(k: number, record: SourceRecord): void {
    this.recordIds[k] = record.record_id
    const person = record.individual
    this.readNames(k, person)
    this.dob[k] = dateToInt(person.dob)
    this.readSsn(k, person.ssn)
    this.readEmails(k, person.emails)
    this.readPhones(k, person.phone_numbers)
    this.connection[k] = this.groups.connectionOf(record)
    this.group[k] = this.groups.last
    const employment = record.employment
    if (employment !== null && employment !== undefined) {
      const number = employment.source_id?.trim().toLowerCase() ?? ""
      if (number !== "") this.employeeNumber[k] = this.other(`n\u0000${number}`)
      this.startDate[k] = dateToInt(employment.start_date)
    }
    this.readResidence(k, person.residence)
  }

  /** The final record's row ends: call once every record is read. */
  finish(n: number): void {
    this.emailStart[n] = this.emailEntries.length / Layout.EMAIL_ENTRY
    this.phoneStart[n] = this.phoneIds.length
  }

  private other(value: string): number {
    return this.otherOccurrences.add(value, 0, value.length, false, hashRange(value, 0, value.length, false))
  }

  private readNames(k: number, person: SourceRecord["individual"]): void {
    const tokenizer = this.tokenizer
    const names = tokenizer.table.values
    const tokens = tokenizer.out
    let middleId = -1
    let middleCount = tokenizer.tokens(person.middle_name)
    if (middleCount > 0) middleId = tokens[0] as number
    const firstCount = tokenizer.tokens(person.first_name)
    if (firstCount > 0) {
      const head = tokens[0] as number
      this.first[k] = head
      this.firstPhonetic[k] = tokenizer.phoneticOf(head)
      // "John A" written into first_name: the trailing initial is a middle initial
      if (middleCount === 0 && firstCount === 2 && (names[tokens[1] as number] as string).length === 1) {
        middleId = tokens[1] as number
        middleCount = 1
        this.firstFull[k] = head
      } else {
        this.firstFull[k] = tokenizer.joined(firstCount)
      }
    }
    this.middle[k] = middleId
    if (tokenizer.tokens(person.preferred_name) > 0) this.preferred[k] = tokens[0] as number
    const lastCount = tokenizer.tokens(person.last_name)
    if (lastCount > 0) {
      const joined = tokenizer.joined(lastCount)
      this.last[k] = joined
      this.lastPhonetic[k] = tokenizer.phoneticOf(joined)
      if (lastCount > 1) {
        // a double or hyphenated surname keeps its parts (particles and single letters aside)
        let a = -1
        let b = -1
        for (let t = 0; t < lastCount; t++) {
          const id = tokens[t] as number
          if (tokenizer.isParticle(id) || (names[id] as string).length < 2) continue
          if (a < 0) a = id
          else b = id
        }
        this.lastA[k] = a
        this.lastB[k] = b
      }
    }
  }

  private readSsn(k: number, raw: string | null | undefined): void {
    const digits = normalizeSsn(raw)
    if (digits.length < 4 || isAllZeros(digits)) return
    this.ssn[k] = this.ssnOccurrences.add(digits, 0, digits.length, false, hashRange(digits, 0, digits.length, false))
    this.ssnWellFormed[k] = isWellFormedSsn(digits) ? 1 : 0
  }

  /**
   * The letters hashes (as `EmailScan.localLetters`) of the local parts one builds from record k's own name: first
   * and last in either order, each alone, an initial with the other, first + middle initial + last. Returns how many.
   * Composed from each token's hash (`NameLetters`): the names' strings are not read again.
   */
  private nameShapes(k: number): number {
    const firstId = this.first[k] as number
    const lastId = this.last[k] as number
    if (firstId < 0 || lastId < 0) return 0
    const letters = this.nameLetters.upTo(Math.max(firstId, lastId, this.middle[k] as number))
    const { hash, power, initial } = letters
    const first = hash[firstId] as number
    const last = hash[lastId] as number
    const firstPower = power[firstId] as number
    const lastPower = power[lastId] as number
    const firstInitial = initial[firstId] as number
    const shapes = this.shapes
    shapes[0] = then(first, lastPower, last)
    shapes[1] = then(last, firstPower, first)
    shapes[2] = first
    shapes[3] = last
    shapes[4] = then(firstInitial, lastPower, last)
    shapes[5] = withInitial(last, firstInitial)
    shapes[6] = withInitial(first, initial[lastId] as number)
    const middleId = this.middle[k] as number
    if (middleId < 0) return 7
    shapes[7] = then(withInitial(first, initial[middleId] as number), lastPower, last)
    return 8
  }

  private readEmails(k: number, list: SourceRecord["individual"]["emails"]): void {
    const entries = this.emailEntries
    const email = this.email
    this.emailStart[k] = entries.length / Layout.EMAIL_ENTRY
    if (list === null || list === undefined || list.length === 0) return
    const shapes = this.nameShapes(k)
    for (const entry of list) {
      if (entry === null || !email.read(entry.data)) continue
      const occurrence = this.emailOccurrences.add(email.text, email.start, email.end, email.lower, email.hash)
      let seen = false
      for (let e = (this.emailStart[k] as number) * Layout.EMAIL_ENTRY; e < entries.length; e += Layout.EMAIL_ENTRY)
        if (this.emailOccurrences.same(entries.data[e + Layout.E_ID] as number, occurrence)) seen = true
      if (seen) continue
      const at = entries.claim(Layout.EMAIL_ENTRY)
      const data = entries.data
      const length = email.end - email.start
      data[at + Layout.E_ID] = occurrence
      // a shared local part is evidence only when it holds a digit (`jb88`), so only those are interned
      data[at + Layout.E_LOCAL] = email.localHasDigit
        ? this.localOccurrences.add(email.text, email.start, email.at, email.lower, email.localHash)
        : -1
      data[at + Layout.E_DOMAIN] = this.domains.idOfHashedRange(
        email.text,
        email.at + 1,
        email.end,
        email.lower,
        email.domainHash,
      )
      data[at + Layout.E_SHAPE] = (length << 8) | (email.firstCode & 0xff)
      data[at + Layout.E_MASK] = email.mask
      data[at + Layout.E_LOCAL_MASK] = email.localMask
      data[at + Layout.E_DIGITS] = email.localDigits
      let nameShaped = 0
      for (let shape = 0; shape < shapes; shape++)
        if (this.shapes[shape] === email.localLetters && email.localLetters !== 0) nameShaped = Layout.E_NAME_SHAPED
      data[at + Layout.E_FLAGS] =
        (email.localHasDigit ? Layout.E_LOCAL_DIGIT : 0) |
        (entry.type === "personal" ? Layout.E_PERSONAL : 0) |
        nameShaped
    }
  }

  private readPhones(k: number, list: SourceRecord["individual"]["phone_numbers"]): void {
    this.phoneStart[k] = this.phoneIds.length
    if (list === null || list === undefined || list.length === 0) return
    const recordPhones = this.recordPhones
    recordPhones.length = 0
    for (const entry of list) {
      const phone = normalizePhone(entry?.data)
      if (phone === "" || recordPhones.includes(phone)) continue
      recordPhones.push(phone)
      this.phoneIds.push(
        this.phoneOccurrences.add(phone, 0, phone.length, false, hashRange(phone, 0, phone.length, false)),
      )
    }
  }

  private readResidence(k: number, residence: SourceRecord["individual"]["residence"]): void {
    if (residence === null || residence === undefined) return
    const code = normalizePostalCode(residence.postal_code)
    if (code !== "") this.postal[k] = this.other(`p\u0000${code}`)
    const town = normalizeText(residence.city)
    if (town !== "") this.city[k] = this.other(`t\u0000${town}`)
    const line = streetLine(residence.line1)
    if (line.street !== "") this.street[k] = this.other(`s\u0000${line.street}`)
    if (line.number !== "") this.houseNumber[k] = this.other(`h\u0000${line.number}`)
    const line2 = normalizeText(residence.line2)
    if (line2 !== "") this.unit[k] = this.other(`u\u0000${line2}`)
    const region = normalizeText(residence.state)
    if (region !== "") this.state[k] = this.other(`r\u0000${region}`)
  }

  /** Intern: every value read, the occurrences get their ids; returns the tables behind them. */
  resolveIds(memory: Memory) {
    const { run, scratch } = memory
    const toIds = (column: Int32Array, idOf: Int32Array, length = column.length) => {
      for (let k = 0; k < length; k++) {
        const occurrence = column[k] as number
        if (occurrence >= 0) column[k] = idOf[occurrence] as number
      }
    }
    const ssns = this.ssnOccurrences.resolve(run, scratch)
    toIds(this.ssn, ssns.idOf)
    const phones = this.phoneOccurrences.resolve(run, scratch)
    toIds(this.phoneIds.data, phones.idOf, this.phoneIds.length)
    const others = this.otherOccurrences.resolve(run, scratch)
    for (const column of [
      this.employeeNumber,
      this.postal,
      this.city,
      this.street,
      this.houseNumber,
      this.unit,
      this.state,
    ])
      toIds(column, others.idOf)
    const emails = this.emailOccurrences.resolve(run, scratch)
    const locals = this.localOccurrences.resolve(run, scratch)
    const entries = this.emailEntries.data
    for (let e = 0; e < (this.emailStart[this.emailStart.length - 1] as number); e++) {
      const at = e * Layout.EMAIL_ENTRY
      entries[at + Layout.E_ID] = emails.idOf[entries[at + Layout.E_ID] as number] as number
      const local = entries[at + Layout.E_LOCAL] as number
      if (local >= 0) entries[at + Layout.E_LOCAL] = locals.idOf[local] as number
    }
    return { ssns: ssns.table, phones: phones.table, others: others.table, emails: emails.table }
  }
}

/** Connection and connection+entity numbers; records mostly arrive grouped by connection, so the last answer usually holds. */
class ConnectionGroups {
  private readonly connectionIds = new Map<string, number>()
  private readonly groupIds = new Map<string, Map<string, number>>()
  private groupCount = 0
  private lastConnectionId = ""
  private lastEntity = ""
  private lastConnection = -1
  /** the connection+entity group of the record last asked about */
  last = -1

  /** The connection number of `record` (and its group in `last`). */
  connectionOf(record: SourceRecord): number {
    const entity = record.entity_id ?? ""
    if (record.connection_id !== this.lastConnectionId || entity !== this.lastEntity) {
      let entities = this.groupIds.get(record.connection_id)
      if (entities === undefined) {
        entities = new Map()
        this.groupIds.set(record.connection_id, entities)
        this.connectionIds.set(record.connection_id, this.connectionIds.size)
      }
      let groupId = entities.get(entity)
      if (groupId === undefined) {
        groupId = this.groupCount++
        entities.set(entity, groupId)
      }
      this.lastConnectionId = record.connection_id
      this.lastEntity = entity
      this.lastConnection = this.connectionIds.get(record.connection_id) as number
      this.last = groupId
    }
    return this.lastConnection
  }
}

/** The letters hash of `head` followed by `tail` (whose hash is `tail`, with `tailPower` = B^its letters). */
const then = (head: number, tailPower: number, tail: number): number => (Math.imul(head, tailPower) + tail) | 0

/** A letters hash continued with an initial (0: the token starts with no letter, and adds nothing). */
const withInitial = (hash: number, initial: number): number => (initial === 0 ? hash : addLetter(hash, initial))

/**
 * Per name token (by id): the letters hash of its letters (`EmailScan.localLetters`), B^(its letter count), and its
 * first character when a letter (else 0) — worked out once per token, as tokens appear.
 */
class NameLetters {
  hash = new Int32Array(1024)
  power = new Int32Array(1024)
  initial = new Int32Array(1024)
  private known = 0
  private readonly table: StringTable
  constructor(table: StringTable) {
    this.table = table
  }

  /** The figures, known for every token id up to `id`. */
  upTo(id: number): this {
    if (id < this.known) return this
    const names = this.table.values
    if (names.length > this.hash.length) {
      const grown = (from: Int32Array) => {
        const to = new Int32Array(Math.max(names.length, from.length * 2))
        to.set(from)
        return to
      }
      this.hash = grown(this.hash)
      this.power = grown(this.power)
      this.initial = grown(this.initial)
    }
    for (let t = this.known; t < names.length; t++) {
      const name = names[t] as string
      let hash = 0
      let power = 1
      for (let i = 0; i < name.length; i++) {
        const code = name.charCodeAt(i)
        if (!isLetter(code)) continue
        hash = addLetter(hash, code)
        power = Math.imul(power, LETTERS_BASE)
      }
      this.hash[t] = hash
      this.power[t] = power
      this.initial[t] = name.length > 0 && isLetter(name.charCodeAt(0)) ? name.charCodeAt(0) : 0
    }
    this.known = names.length
    return this
  }
}

/** A column in canonical order (`order[k]`: the input index of canonical record k), in run memory. */
const gather = <A extends Int32Array | Uint8Array>(column: A, order: Int32Array, memory: Memory): A => {
  const n = order.length
  const out = (column instanceof Uint8Array ? memory.run.uint8(n) : memory.run.int32(n)) as A
  for (let k = 0; k < n; k++) out[k] = column[order[k] as number] as number
  return out
}

/** A variable-length column (emails, phones) in canonical order: the new row starts and the entries' sources. */
const gatherRows = (
  rowStart: Int32Array,
  order: Int32Array,
  memory: Memory,
): { readonly start: Int32Array; readonly source: Int32Array } => {
  const n = order.length
  const start = memory.run.int32(n + 1)
  const source = memory.scratch.int32(rowStart[n] as number)
  let length = 0
  for (let k = 0; k < n; k++) {
    start[k] = length
    const input = order[k] as number
    for (let e = rowStart[input] as number; e < (rowStart[input + 1] as number); e++) source[length++] = e
  }
  start[n] = length
  return { start, source }
}

/**
 * Birth-date rarity counts: distinct (date, surname) pairs per date (records without a surname count one each), and
 * about how many different people the records hold (distinct (surname, date) among records with both).
 */
const birthDateCounts = (
  dob: Int32Array,
  last: Int32Array,
  scratch: Memory["scratch"],
): { readonly dobCount: Map<number, number>; readonly people: number } => {
  const n = dob.length
  const dobCount = new Map<number, number>()
  let withBoth = 0
  const dates = scratch.int32(n)
  const surnames = scratch.int32(n)
  for (let k = 0; k < n; k++) {
    const date = dob[k] as number
    if (date === 0) continue
    const surname = last[k] as number
    if (surname < 0) dobCount.set(date, (dobCount.get(date) ?? 0) + 1)
    else {
      dates[withBoth] = date
      surnames[withBoth++] = surname
    }
  }
  const distinctPairs = countDistinctPairs(dates, surnames, withBoth, scratch, (date, distinct) => {
    dobCount.set(date, (dobCount.get(date) ?? 0) + distinct)
  })
  const people = withBoth === 0 ? n : Math.max(1, Math.round((n * distinctPairs) / withBoth))
  return { dobCount, people }
}

/** Nine-digit SSNs as numbers, so comparing two reads no string (-1: another length). */
const ssnNumbers = (table: StringTable, memory: Memory): Int32Array => {
  const numbers = memory.run.int32(table.size)
  for (let id = 0; id < table.size; id++) {
    let value = table.lengthOf(id) === 9 ? 0 : -1
    for (let c = 0; value >= 0 && c < 9; c++) {
      const digit = table.charCodeAt(id, c) - 48
      value = digit >= 0 && digit <= 9 ? value * 10 + digit : -1
    }
    numbers[id] = value
  }
  return numbers
}

/** Prepares records for matching, or fails on a repeated `record_id`. */
export const prepare = (
  records: ReadonlyArray<SourceRecord>,
  memory: Memory = memoryFor(records.length),
): Prepared | DuplicateRecordId => {
  const n = records.length
  const run = memory.run
  // the columns are first filled in input order (scratch), then gathered into canonical order (run)
  const input = new InputColumns(n, memory)
  for (let k = 0; k < n; k++) input.read(k, records[k] as SourceRecord)
  input.finish(n)
  const tables = input.resolveIds(memory)

  const canonical = canonicalOrder(records, input.dob, memory)
  if (canonical instanceof DuplicateRecordId) return canonical
  const { order, hashRank, idHashHigh, idHashLow } = canonical
  const column = <A extends Int32Array | Uint8Array>(values: A): A => gather(values, order, memory)
  const recordIds: Array<string> = new Array(n)
  for (let k = 0; k < n; k++) recordIds[k] = input.recordIds[order[k] as number] as string
  const first = column(input.first)
  const firstFull = column(input.firstFull)
  const preferred = column(input.preferred)
  const middle = column(input.middle)
  const last = column(input.last)
  const lastA = column(input.lastA)
  const lastB = column(input.lastB)
  const firstPhonetic = column(input.firstPhonetic)
  const lastPhonetic = column(input.lastPhonetic)
  const dob = column(input.dob)
  const ssn = column(input.ssn)
  const ssnWellFormed = column(input.ssnWellFormed)
  const connection = column(input.connection)
  const group = column(input.group)
  const employeeNumber = column(input.employeeNumber)
  const startDate = column(input.startDate)
  const postal = column(input.postal)
  const city = column(input.city)
  const street = column(input.street)
  const houseNumber = column(input.houseNumber)
  const unit = column(input.unit)
  const state = column(input.state)

  const names = input.tokenizer.table.values
  const firstCount = peopleCounts(first, dob, names.length, memory)
  const lastCount = peopleCounts(last, dob, names.length, memory)
  const { dobCount, people } = birthDateCounts(dob, last, memory.scratch)
  // emails and phones in canonical order
  const emailInput = input.emailEntries.data
  const emailRows = gatherRows(input.emailStart, order, memory)
  const emailEntries = run.int32(emailRows.source.length * Layout.EMAIL_ENTRY)
  const emailIds = run.int32(emailRows.source.length)
  for (let e = 0; e < emailRows.source.length; e++) {
    const from = (emailRows.source[e] as number) * Layout.EMAIL_ENTRY
    const to = e * Layout.EMAIL_ENTRY
    for (let field = 0; field < Layout.EMAIL_ENTRY; field++)
      emailEntries[to + field] = emailInput[from + field] as number
    emailIds[e] = emailInput[from + Layout.E_ID] as number
  }
  const phoneRows = gatherRows(input.phoneStart, order, memory)
  const phoneIds = run.int32(phoneRows.source.length)
  for (let e = 0; e < phoneRows.source.length; e++)
    phoneIds[e] = input.phoneIds.data[phoneRows.source[e] as number] as number
  // what comparing reads most, one row a record
  const rows = run.int32(n * Layout.ROW)
  for (let k = 0; k < n; k++) {
    const at = k * Layout.ROW
    rows[at + Layout.R_FIRST_FULL] = firstFull[k] as number
    rows[at + Layout.R_FIRST] = first[k] as number
    rows[at + Layout.R_PREFERRED] = preferred[k] as number
    rows[at + Layout.R_MIDDLE] = middle[k] as number
    rows[at + Layout.R_LAST] = last[k] as number
    rows[at + Layout.R_LAST_A] = lastA[k] as number
    rows[at + Layout.R_LAST_B] = lastB[k] as number
    rows[at + Layout.R_DOB] = dob[k] as number
    rows[at + Layout.R_SSN] = ssn[k] as number
    rows[at + Layout.R_EMAILS] = emailRows.start[k] as number
    rows[at + Layout.R_EMAILS_END] = emailRows.start[k + 1] as number
    rows[at + Layout.R_PHONES] = phoneRows.start[k] as number
    rows[at + Layout.R_PHONES_END] = phoneRows.start[k + 1] as number
    rows[at + Layout.R_NUMBER] = employeeNumber[k] as number
    rows[at + Layout.R_START_DATE] = startDate[k] as number
    rows[at + Layout.R_RESIDENCE] =
      (postal[k] as number) >= 0 || (city[k] as number) >= 0 || (street[k] as number) >= 0 ? 1 : 0
  }
  const { ssns, phones, others, emails } = tables
  const ssnAsNumber = ssnNumbers(ssns, memory)
  const emailCount = run.int32(emails.size)
  const phoneCount = run.int32(phones.size)
  const ssnCount = run.int32(ssns.size)
  countInto(emailCount, emailIds)
  countInto(phoneCount, phoneIds)
  countInto(ssnCount, ssn)

  return {
    size: n,
    recordIds,
    inputIndex: order,
    hashRank,
    idHashHigh,
    idHashLow,
    names,
    first,
    firstFull,
    preferred,
    middle,
    last,
    lastA,
    lastB,
    firstPhonetic,
    lastPhonetic,
    dob,
    ssnOneKeystroke: (a: number, b: number) => {
      const x = ssnAsNumber[a] as number
      const y = ssnAsNumber[b] as number
      return x >= 0 && y >= 0 ? isOneKeystrokeNumber(x, y, 9) : isOneKeystroke(ssns.text(a), ssns.text(b))
    },
    ssn,
    ssnWellFormed,
    emailEditDistance: (a: number, b: number, limit: number) =>
      editDistanceOfRanges(
        emails.sourceOf(a),
        emails.startOf(a),
        emails.lengthOf(a),
        emails.foldsCase(a),
        emails.sourceOf(b),
        emails.startOf(b),
        emails.lengthOf(b),
        emails.foldsCase(b),
        limit,
      ),
    emailStart: emailRows.start,
    emailIds,
    emailEntries,
    rows,
    phoneStart: phoneRows.start,
    phoneIds,
    connection,
    group,
    employeeNumber,
    startDate,
    postal,
    city,
    street,
    houseNumber,
    unit,
    state,
    addressText: (id: number) => others.text(id),
    nameHash: input.tokenizer.table.hashArray(),
    ssnHash: ssns.hashArray(),
    emailHash: emails.hashArray(),
    phoneHash: phones.hashArray(),
    addressHash: others.hashArray(),
    people,
    firstCount,
    lastCount,
    emailCount,
    phoneCount,
    ssnCount,
    dobCount,
  }
}
