/**
 * Turns source records into columns of integer codes (struct of arrays), in a canonical order that does not
 * depend on the input order: everything downstream compares ints and indexes typed arrays.
 */
import { type Arena, type Memory, memoryFor } from "./Arena.ts"
import { canonicalOrder, DuplicateRecordIdError } from "./CanonicalOrder.ts"
import { NameTokenizer } from "./NameTokenizer.ts"
import {
  dateToInt,
  isAllZeros,
  isWellFormedSsn,
  normalizeEmail,
  normalizePhone,
  normalizePostalCode,
  normalizeSsn,
  normalizeText,
  streetLine,
} from "./Normalize.ts"
import { countDistinctPairs } from "./RadixSort.ts"
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
import type { SourceRecord } from "./SourceRecord.ts"
import { editDistanceOfRanges } from "./StringDistance.ts"
import { StringTable } from "./StringTable.ts"

/** The prepared columns; index `k` is the k-th record in canonical order. -1 / 0 mean "absent". */
export interface Prepared {
  readonly size: number
  readonly recordIds: ReadonlyArray<string>
  /** canonical index → index in the caller's input */
  readonly inputIndex: Int32Array
  /** canonical index → rank by (hash of record id, record id): new persons are named after their lowest-ranked record */
  readonly hashRank: Int32Array
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
   * (`E_PERSONAL`, `E_LOCAL_DIGIT`)
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

/** A growing list of ints in an arena (a list that outgrows its room moves; the old room stays until released). */
class IntList {
  data: Int32Array
  length = 0
  private readonly arena: Arena
  constructor(arena: Arena, capacity: number) {
    this.arena = arena
    this.data = arena.int32(Math.max(16, capacity))
  }
  push(value: number) {
    if (this.length === this.data.length) {
      const grown = this.arena.int32(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length++] = value
  }
}

const countInto = (counts: Int32Array, ids: Int32Array) => {
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k] as number
    if (id >= 0) counts[id] = (counts[id] as number) + 1
  }
}

/** Interns a normalised email (and its local part); -1 when it is not an address. Fast path avoids allocation. */
const internEmail = (raw: string | null | undefined, emails: StringTable, locals: StringTable, out: Int32Array) => {
  if (raw === null || raw === undefined) return false
  let start = 0
  let end = raw.length
  while (start < end && raw.charCodeAt(start) <= 32) start++
  while (end > start && raw.charCodeAt(end - 1) <= 32) end--
  const at = raw.lastIndexOf("@", end - 1)
  if (at <= start || at >= end - 1) return false
  const plus = raw.indexOf("+", start)
  if (plus >= 0 && plus < at) {
    const email = normalizeEmail(raw)
    if (email === "") return false
    out[0] = emails.id(email)
    const local = email.lastIndexOf("@")
    out[1] = hasDigit(email, 0, local) ? locals.idOfRange(email, 0, local, false) : -1
    return true
  }
  out[0] = emails.idOfRange(raw, start, end, true)
  // a shared local part is evidence only when it holds a digit (`jb88`), so only those are interned
  out[1] = hasDigit(raw, start, at) ? locals.idOfRange(raw, start, at, true) : -1
  return true
}

const hasDigit = (text: string, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code >= 48 && code <= 57) return true
  }
  return false
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

export { DuplicateRecordIdError } from "./CanonicalOrder.ts"

/** Same length, one substituted character or two adjacent ones swapped: values a and b of `table`, read in place. */
const oneKeystrokeApart = (table: StringTable, a: number, b: number): boolean => {
  const length = table.lengthOf(a)
  if (table.lengthOf(b) !== length) return false
  let first = -1
  let count = 0
  for (let i = 0; i < length; i++) {
    if (table.charCodeAt(a, i) !== table.charCodeAt(b, i)) {
      if (count === 0) first = i
      count++
      if (count > 2) return false
    }
  }
  if (count === 1) return true
  return (
    count === 2 &&
    table.charCodeAt(a, first) === table.charCodeAt(b, first + 1) &&
    table.charCodeAt(a, first + 1) === table.charCodeAt(b, first)
  )
}

/** Prepares records for matching, or fails on a repeated `record_id`. */
export const prepare = (
  records: ReadonlyArray<SourceRecord>,
  memory: Memory = memoryFor(records.length),
): Prepared | DuplicateRecordIdError => {
  const n = records.length
  // the columns are first filled in input order (scratch), then gathered into canonical order (run)
  const scratch = memory.scratch
  const run = memory.run
  const tokenizer = new NameTokenizer()
  const names = tokenizer.table.values
  const tokens = tokenizer.out
  const ssns = new StringTable({ copies: false, expected: n >> 1, arena: run, slotsArena: scratch })
  const emails = new StringTable({ copies: false, expected: n + (n >> 2), arena: run, slotsArena: scratch })
  const emailLocals = new StringTable({ copies: false, expected: n + (n >> 2), arena: run, slotsArena: scratch })
  const emailScratch = new Int32Array(2)
  const phones = new StringTable({ copies: false, expected: n >> 1, arena: run, slotsArena: scratch })
  const others = new StringTable({ copies: false, expected: n >> 2, arena: run, slotsArena: scratch })
  const column = () => scratch.int32(n).fill(-1)
  let first = column()
  let firstFull = column()
  let preferred = column()
  let middle = column()
  let last = column()
  let lastA = column()
  let lastB = column()
  let firstPhonetic = scratch.int32(n)
  let lastPhonetic = scratch.int32(n)
  let dob = scratch.int32(n)
  let ssn = column()
  let ssnWellFormed = scratch.uint8(n)
  const emailStart = scratch.int32(n + 1)
  const emailIds = new IntList(scratch, n + (n >> 1))
  /** per email entry (input order): its local part's id (or -1) × 2, + 1 when the address is personal */
  const emailLocalAndPersonal = new IntList(scratch, n + (n >> 1))
  const phoneStart = scratch.int32(n + 1)
  const phoneIds = new IntList(scratch, n)
  let connection = scratch.int32(n)
  let group = scratch.int32(n)
  let employeeNumber = column()
  let startDate = scratch.int32(n)
  let postal = column()
  let city = column()
  let street = column()
  let houseNumber = column()
  let unit = column()
  let state = column()
  let recordIds: Array<string> = new Array(n)
  const connectionIds = new Map<string, number>()
  const groupIds = new Map<string, Map<string, number>>()
  let groupCount = 0
  let lastConnectionId = ""
  let lastEntity = ""
  let lastConnection = -1
  let lastGroup = -1

  // read the records in input order, as they lie in memory (in canonical order every record would be a cache miss);
  // the columns are put in canonical order below
  for (let k = 0; k < n; k++) {
    const record = records[k] as SourceRecord
    recordIds[k] = record.record_id
    const person = record.individual
    let middleId = -1
    let middleCount = tokenizer.tokens(person.middle_name)
    if (middleCount > 0) middleId = tokens[0] as number
    const firstCount = tokenizer.tokens(person.first_name)
    if (firstCount > 0) {
      const head = tokens[0] as number
      first[k] = head
      firstPhonetic[k] = tokenizer.phoneticOf(head)
      // "John A" written into first_name: the trailing initial is a middle initial
      if (middleCount === 0 && firstCount === 2 && (names[tokens[1] as number] as string).length === 1) {
        middleId = tokens[1] as number
        middleCount = 1
        firstFull[k] = head
      } else {
        firstFull[k] = tokenizer.joined(firstCount)
      }
    }
    middle[k] = middleId
    if (tokenizer.tokens(person.preferred_name) > 0) preferred[k] = tokens[0] as number
    const lastCount = tokenizer.tokens(person.last_name)
    if (lastCount > 0) {
      const joined = tokenizer.joined(lastCount)
      last[k] = joined
      lastPhonetic[k] = tokenizer.phoneticOf(joined)
      if (lastCount > 1) {
        let a = -1
        let b = -1
        for (let t = 0; t < lastCount; t++) {
          const id = tokens[t] as number
          if (tokenizer.isParticle(id) || (names[id] as string).length < 2) continue
          if (a < 0) a = id
          else b = id
        }
        lastA[k] = a
        lastB[k] = b
      }
    }
    const birth = dateToInt(person.dob)
    dob[k] = birth
    const ssnDigits = normalizeSsn(person.ssn)
    if (ssnDigits.length >= 4 && !isAllZeros(ssnDigits)) {
      ssn[k] = ssns.id(ssnDigits)
      ssnWellFormed[k] = isWellFormedSsn(ssnDigits) ? 1 : 0
    }
    emailStart[k] = emailIds.length
    const emailList = person.emails
    if (emailList !== null && emailList !== undefined) {
      for (const entry of emailList) {
        if (entry === null || !internEmail(entry.data, emails, emailLocals, emailScratch)) continue
        const id = emailScratch[0] as number
        let seen = false
        for (let e = emailStart[k] as number; e < emailIds.length; e++) if (emailIds.data[e] === id) seen = true
        if (seen) continue
        emailIds.push(id)
        emailLocalAndPersonal.push(((emailScratch[1] as number) << 1) | (entry.type === "personal" ? 1 : 0))
      }
    }
    phoneStart[k] = phoneIds.length
    const phoneList = person.phone_numbers
    if (phoneList !== null && phoneList !== undefined && phoneList.length > 0)
      for (const entry of phoneList) {
        const phone = normalizePhone(entry?.data)
        if (phone === "") continue
        const id = phones.id(phone)
        let seen = false
        for (let e = phoneStart[k] as number; e < phoneIds.length; e++) if (phoneIds.data[e] === id) seen = true
        if (!seen) phoneIds.push(id)
      }
    // records mostly arrive grouped by connection: the previous record's answer usually holds
    const entity = record.entity_id ?? ""
    if (record.connection_id !== lastConnectionId || entity !== lastEntity) {
      let entities = groupIds.get(record.connection_id)
      if (entities === undefined) {
        entities = new Map()
        groupIds.set(record.connection_id, entities)
        connectionIds.set(record.connection_id, connectionIds.size)
      }
      let groupId = entities.get(entity)
      if (groupId === undefined) {
        groupId = groupCount++
        entities.set(entity, groupId)
      }
      lastConnectionId = record.connection_id
      lastEntity = entity
      lastConnection = connectionIds.get(record.connection_id) as number
      lastGroup = groupId
    }
    connection[k] = lastConnection
    group[k] = lastGroup
    const employment = record.employment
    if (employment !== null && employment !== undefined) {
      const number = employment.source_id?.trim().toLowerCase() ?? ""
      if (number !== "") employeeNumber[k] = others.id(`n\u0000${number}`)
      startDate[k] = dateToInt(employment.start_date)
    }
    const residence = person.residence
    if (residence !== null && residence !== undefined) {
      const code = normalizePostalCode(residence.postal_code)
      if (code !== "") postal[k] = others.id(`p\u0000${code}`)
      const town = normalizeText(residence.city)
      if (town !== "") city[k] = others.id(`t\u0000${town}`)
      const line = streetLine(residence.line1)
      if (line.street !== "") street[k] = others.id(`s\u0000${line.street}`)
      if (line.number !== "") houseNumber[k] = others.id(`h\u0000${line.number}`)
      const line2 = normalizeText(residence.line2)
      if (line2 !== "") unit[k] = others.id(`u\u0000${line2}`)
      const region = normalizeText(residence.state)
      if (region !== "") state[k] = others.id(`r\u0000${region}`)
    }
  }
  emailStart[n] = emailIds.length
  phoneStart[n] = phoneIds.length

  const canonical = canonicalOrder(records, dob, memory)
  if (canonical instanceof DuplicateRecordIdError) return canonical
  const { order, hashRank } = canonical
  const gather = <A extends Int32Array | Uint8Array>(column: A): A => {
    const out = (column instanceof Uint8Array ? run.uint8(n) : run.int32(n)) as A
    for (let k = 0; k < n; k++) out[k] = column[order[k] as number] as number
    return out
  }
  /** a variable-length column (emails, phones) in canonical order: the new row starts and the entries' sources */
  const gatherRows = (rowStart: Int32Array): { readonly start: Int32Array; readonly source: Int32Array } => {
    const start = run.int32(n + 1)
    const source = scratch.int32(rowStart[n] as number)
    let length = 0
    for (let k = 0; k < n; k++) {
      start[k] = length
      const input = order[k] as number
      for (let e = rowStart[input] as number; e < (rowStart[input + 1] as number); e++) source[length++] = e
    }
    start[n] = length
    return { start, source }
  }
  {
    const ids: Array<string> = new Array(n)
    for (let k = 0; k < n; k++) ids[k] = recordIds[order[k] as number] as string
    recordIds = ids
  }
  first = gather(first)
  firstFull = gather(firstFull)
  preferred = gather(preferred)
  middle = gather(middle)
  last = gather(last)
  lastA = gather(lastA)
  lastB = gather(lastB)
  firstPhonetic = gather(firstPhonetic)
  lastPhonetic = gather(lastPhonetic)
  dob = gather(dob)
  ssn = gather(ssn)
  ssnWellFormed = gather(ssnWellFormed)
  connection = gather(connection)
  group = gather(group)
  employeeNumber = gather(employeeNumber)
  startDate = gather(startDate)
  postal = gather(postal)
  city = gather(city)
  street = gather(street)
  houseNumber = gather(houseNumber)
  unit = gather(unit)
  state = gather(state)

  const firstCount = peopleCounts(first, dob, names.length, memory)
  const lastCount = peopleCounts(last, dob, names.length, memory)
  // birth dates: distinct (date, surname) pairs; the date itself is the id here
  const dobCount = new Map<number, number>()
  let withBoth = 0
  let distinctPairs = 0
  {
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
    distinctPairs = countDistinctPairs(dates, surnames, withBoth, scratch, (date, distinct) => {
      dobCount.set(date, (dobCount.get(date) ?? 0) + distinct)
    })
  }
  // about how many different people the records hold: distinct (surname, birth date) among records with both
  const people = withBoth === 0 ? n : Math.max(1, Math.round((n * distinctPairs) / withBoth))
  // emails and phones in canonical order
  const emailRows = gatherRows(emailStart)
  const emailIdArray = run.int32(emailRows.source.length)
  for (let e = 0; e < emailRows.source.length; e++)
    emailIdArray[e] = emailIds.data[emailRows.source[e] as number] as number
  const phoneRows = gatherRows(phoneStart)
  const phoneIdArray = run.int32(phoneRows.source.length)
  for (let e = 0; e < phoneRows.source.length; e++)
    phoneIdArray[e] = phoneIds.data[phoneRows.source[e] as number] as number
  // per email: its domain, whether its local part holds a digit, its shape and characters, read from the table
  // (no email string is made)
  const domains = new StringTable({ copies: false, arena: run, slotsArena: scratch })
  // laid out as entries (see RecordLayout.ts), so filling the entries below reads one cache line an email
  const emailInfo = scratch.int32(emails.size * EMAIL_ENTRY)
  for (let id = 0; id < emails.size; id++) {
    const length = emails.lengthOf(id)
    let at = -1
    let mask = 0
    for (let c = 0; c < length; c++) {
      const code = emails.charCodeAt(id, c)
      mask |= 1 << (code & 31)
      if (code === 64) at = c
    }
    let digit = 0
    let localMask = 0
    for (let c = 0; c < at; c++) {
      const code = emails.charCodeAt(id, c)
      localMask |= 1 << (code & 31)
      if (code >= 48 && code <= 57) digit = 1
    }
    const info = id * EMAIL_ENTRY
    emailInfo[info + E_DOMAIN] = emails.sliceInto(domains, id, at + 1, length)
    emailInfo[info + E_SHAPE] = (length << 8) | (emails.charCodeAt(id, 0) & 0xff)
    emailInfo[info + E_MASK] = mask
    emailInfo[info + E_LOCAL_MASK] = localMask
    emailInfo[info + E_FLAGS] = digit === 1 ? E_LOCAL_DIGIT : 0
  }
  // per entry, so a record's emails sit together in memory
  const emailEntries = run.int32(emailIdArray.length * EMAIL_ENTRY)
  for (let e = 0; e < emailIdArray.length; e++) {
    const id = emailIdArray[e] as number
    const localAndPersonal = emailLocalAndPersonal.data[emailRows.source[e] as number] as number
    const at = e * EMAIL_ENTRY
    const info = id * EMAIL_ENTRY
    emailEntries[at + E_ID] = id
    emailEntries[at + E_LOCAL] = localAndPersonal >> 1
    emailEntries[at + E_DOMAIN] = emailInfo[info + E_DOMAIN] as number
    emailEntries[at + E_SHAPE] = emailInfo[info + E_SHAPE] as number
    emailEntries[at + E_MASK] = emailInfo[info + E_MASK] as number
    emailEntries[at + E_LOCAL_MASK] = emailInfo[info + E_LOCAL_MASK] as number
    emailEntries[at + E_FLAGS] = (emailInfo[info + E_FLAGS] as number) | ((localAndPersonal & 1) === 1 ? E_PERSONAL : 0)
  }
  const rows = run.int32(n * ROW)
  for (let k = 0; k < n; k++) {
    const at = k * ROW
    rows[at + R_FIRST_FULL] = firstFull[k] as number
    rows[at + R_FIRST] = first[k] as number
    rows[at + R_PREFERRED] = preferred[k] as number
    rows[at + R_MIDDLE] = middle[k] as number
    rows[at + R_LAST] = last[k] as number
    rows[at + R_LAST_A] = lastA[k] as number
    rows[at + R_LAST_B] = lastB[k] as number
    rows[at + R_DOB] = dob[k] as number
    rows[at + R_SSN] = ssn[k] as number
    rows[at + R_EMAILS] = emailRows.start[k] as number
    rows[at + R_EMAILS_END] = emailRows.start[k + 1] as number
    rows[at + R_PHONES] = phoneRows.start[k] as number
    rows[at + R_PHONES_END] = phoneRows.start[k + 1] as number
    rows[at + R_NUMBER] = employeeNumber[k] as number
    rows[at + R_START_DATE] = startDate[k] as number
    rows[at + R_RESIDENCE] =
      (postal[k] as number) >= 0 || (city[k] as number) >= 0 || (street[k] as number) >= 0 ? 1 : 0
  }
  const emailCount = run.int32(emails.size)
  const phoneCount = run.int32(phones.size)
  const ssnCount = run.int32(ssns.size)
  countInto(emailCount, emailIdArray)
  countInto(phoneCount, phoneIdArray)
  countInto(ssnCount, ssn)

  return {
    size: n,
    recordIds,
    inputIndex: order,
    hashRank,
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
    ssnOneKeystroke: (a: number, b: number) => oneKeystrokeApart(ssns, a, b),
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
    emailIds: emailIdArray,
    emailEntries,
    rows,
    phoneStart: phoneRows.start,
    phoneIds: phoneIdArray,
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
    nameHash: tokenizer.table.hashArray(),
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
