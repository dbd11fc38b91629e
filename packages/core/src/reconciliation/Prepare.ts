/**
 * Turns source records into columns of integer codes (struct of arrays), in a canonical order that does not
 * depend on the input order: everything downstream compares ints and indexes typed arrays.
 */

import { canonicalOrder, DuplicateRecordId } from "./CanonicalOrder.ts"
import { IntList, type Memory, memoryFor } from "./internal/Arena.ts"
import { EmailScan } from "./internal/EmailScan.ts"
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

/** Prepares records for matching, or fails on a repeated `record_id`. */
export const prepare = (
  records: ReadonlyArray<SourceRecord>,
  memory: Memory = memoryFor(records.length),
): Prepared | DuplicateRecordId => {
  const n = records.length
  // the columns are first filled in input order (scratch), then gathered into canonical order (run)
  const scratch = memory.scratch
  const run = memory.run
  const tokenizer = new NameTokenizer()
  const names = tokenizer.table.values
  const tokens = tokenizer.out
  // emails, their local parts, SSNs, phones and address parts are interned by sorting once every record is read
  // (see SortedInterner.ts): the columns below hold occurrence numbers until then
  const ssnOccurrences = new SortedInterner(scratch, n >> 1)
  const emailOccurrences = new SortedInterner(scratch, n + (n >> 1))
  const localOccurrences = new SortedInterner(scratch, n >> 1)
  const phoneOccurrences = new SortedInterner(scratch, n >> 1)
  const otherOccurrences = new SortedInterner(scratch, n >> 2)
  const other = (value: string): number =>
    otherOccurrences.add(value, 0, value.length, false, hashRange(value, 0, value.length, false))
  // domains are few: a lookup table that stays in the cache, holding copies (a lookup then compares with a short
  // string in cache, not with the first address that brought the domain, somewhere in the caller's records)
  const domains = new StringTable({ arena: run, slotsArena: scratch })
  const email = new EmailScan()
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
  /** email entries in input order, laid out as in `emailEntries`, E_ID and E_LOCAL as occurrence numbers */
  const emailInputList = new IntList(scratch, (n + (n >> 1)) * Layout.EMAIL_ENTRY)
  const phoneStart = scratch.int32(n + 1)
  const phoneIds = new IntList(scratch, n)
  const recordPhones: Array<string> = []
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
      const length = ssnDigits.length
      ssn[k] = ssnOccurrences.add(ssnDigits, 0, length, false, hashRange(ssnDigits, 0, length, false))
      ssnWellFormed[k] = isWellFormedSsn(ssnDigits) ? 1 : 0
    }
    emailStart[k] = emailInputList.length / Layout.EMAIL_ENTRY
    const emailList = person.emails
    if (emailList !== null && emailList !== undefined) {
      for (const entry of emailList) {
        if (entry === null || !email.read(entry.data)) continue
        const occurrence = emailOccurrences.add(email.text, email.start, email.end, email.lower, email.hash)
        let seen = false
        for (let e = (emailStart[k] as number) * Layout.EMAIL_ENTRY; e < emailInputList.length; e += Layout.EMAIL_ENTRY)
          if (emailOccurrences.same(emailInputList.data[e + Layout.E_ID] as number, occurrence)) seen = true
        if (seen) continue
        const at = emailInputList.claim(Layout.EMAIL_ENTRY)
        const emailInput = emailInputList.data
        const length = email.end - email.start
        emailInput[at + Layout.E_ID] = occurrence
        // a shared local part is evidence only when it holds a digit (`jb88`), so only those are interned
        emailInput[at + Layout.E_LOCAL] = email.localHasDigit
          ? localOccurrences.add(email.text, email.start, email.at, email.lower, email.localHash)
          : -1
        emailInput[at + Layout.E_DOMAIN] = domains.idOfHashedRange(
          email.text,
          email.at + 1,
          email.end,
          email.lower,
          email.domainHash,
        )
        emailInput[at + Layout.E_SHAPE] = (length << 8) | (email.firstCode & 0xff)
        emailInput[at + Layout.E_MASK] = email.mask
        emailInput[at + Layout.E_LOCAL_MASK] = email.localMask
        emailInput[at + Layout.E_FLAGS] =
          (email.localHasDigit ? Layout.E_LOCAL_DIGIT : 0) | (entry.type === "personal" ? Layout.E_PERSONAL : 0)
      }
    }
    phoneStart[k] = phoneIds.length
    const phoneList = person.phone_numbers
    if (phoneList !== null && phoneList !== undefined && phoneList.length > 0) {
      recordPhones.length = 0
      for (const entry of phoneList) {
        const phone = normalizePhone(entry?.data)
        if (phone === "" || recordPhones.includes(phone)) continue
        recordPhones.push(phone)
        phoneIds.push(phoneOccurrences.add(phone, 0, phone.length, false, hashRange(phone, 0, phone.length, false)))
      }
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
      if (number !== "") employeeNumber[k] = other(`n\u0000${number}`)
      startDate[k] = dateToInt(employment.start_date)
    }
    const residence = person.residence
    if (residence !== null && residence !== undefined) {
      const code = normalizePostalCode(residence.postal_code)
      if (code !== "") postal[k] = other(`p\u0000${code}`)
      const town = normalizeText(residence.city)
      if (town !== "") city[k] = other(`t\u0000${town}`)
      const line = streetLine(residence.line1)
      if (line.street !== "") street[k] = other(`s\u0000${line.street}`)
      if (line.number !== "") houseNumber[k] = other(`h\u0000${line.number}`)
      const line2 = normalizeText(residence.line2)
      if (line2 !== "") unit[k] = other(`u\u0000${line2}`)
      const region = normalizeText(residence.state)
      if (region !== "") state[k] = other(`r\u0000${region}`)
    }
  }
  emailStart[n] = emailInputList.length / Layout.EMAIL_ENTRY
  const emailInput = emailInputList.data
  phoneStart[n] = phoneIds.length
  // every value read: give the occurrences their ids
  const toIds = (column: Int32Array, idOf: Int32Array, length = column.length) => {
    for (let k = 0; k < length; k++) {
      const occurrence = column[k] as number
      if (occurrence >= 0) column[k] = idOf[occurrence] as number
    }
  }
  const ssns = ssnOccurrences.resolve(run, scratch)
  toIds(ssn, ssns.idOf)
  const phones = phoneOccurrences.resolve(run, scratch)
  toIds(phoneIds.data, phones.idOf, phoneIds.length)
  const others = otherOccurrences.resolve(run, scratch)
  for (const column of [employeeNumber, postal, city, street, houseNumber, unit, state]) toIds(column, others.idOf)
  const emails = emailOccurrences.resolve(run, scratch)
  const emailLocals = localOccurrences.resolve(run, scratch)
  for (let e = 0; e < (emailStart[n] as number); e++) {
    const at = e * Layout.EMAIL_ENTRY
    emailInput[at + Layout.E_ID] = emails.idOf[emailInput[at + Layout.E_ID] as number] as number
    const local = emailInput[at + Layout.E_LOCAL] as number
    if (local >= 0) emailInput[at + Layout.E_LOCAL] = emailLocals.idOf[local] as number
  }

  const canonical = canonicalOrder(records, dob, memory)
  if (canonical instanceof DuplicateRecordId) return canonical
  const { order, hashRank, idHashHigh, idHashLow } = canonical
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
  const emailEntries = run.int32(emailRows.source.length * Layout.EMAIL_ENTRY)
  const emailIdArray = run.int32(emailRows.source.length)
  for (let e = 0; e < emailRows.source.length; e++) {
    const from = (emailRows.source[e] as number) * Layout.EMAIL_ENTRY
    const to = e * Layout.EMAIL_ENTRY
    for (let field = 0; field < Layout.EMAIL_ENTRY; field++)
      emailEntries[to + field] = emailInput[from + field] as number
    emailIdArray[e] = emailInput[from + Layout.E_ID] as number
  }
  const phoneRows = gatherRows(phoneStart)
  const phoneIdArray = run.int32(phoneRows.source.length)
  for (let e = 0; e < phoneRows.source.length; e++)
    phoneIdArray[e] = phoneIds.data[phoneRows.source[e] as number] as number
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
  // nine-digit SSNs as numbers, so comparing two reads no string (-1: another length)
  const ssnNumbers = run.int32(ssns.table.size)
  for (let id = 0; id < ssns.table.size; id++) {
    let value = ssns.table.lengthOf(id) === 9 ? 0 : -1
    for (let c = 0; value >= 0 && c < 9; c++) {
      const digit = ssns.table.charCodeAt(id, c) - 48
      value = digit >= 0 && digit <= 9 ? value * 10 + digit : -1
    }
    ssnNumbers[id] = value
  }
  const emailCount = run.int32(emails.table.size)
  const phoneCount = run.int32(phones.table.size)
  const ssnCount = run.int32(ssns.table.size)
  countInto(emailCount, emailIdArray)
  countInto(phoneCount, phoneIdArray)
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
      const x = ssnNumbers[a] as number
      const y = ssnNumbers[b] as number
      return x >= 0 && y >= 0 ? isOneKeystrokeNumber(x, y, 9) : isOneKeystroke(ssns.table.text(a), ssns.table.text(b))
    },
    ssn,
    ssnWellFormed,
    emailEditDistance: (a: number, b: number, limit: number) =>
      editDistanceOfRanges(
        emails.table.sourceOf(a),
        emails.table.startOf(a),
        emails.table.lengthOf(a),
        emails.table.foldsCase(a),
        emails.table.sourceOf(b),
        emails.table.startOf(b),
        emails.table.lengthOf(b),
        emails.table.foldsCase(b),
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
    addressText: (id: number) => others.table.text(id),
    nameHash: tokenizer.table.hashArray(),
    ssnHash: ssns.table.hashArray(),
    emailHash: emails.table.hashArray(),
    phoneHash: phones.table.hashArray(),
    addressHash: others.table.hashArray(),
    people,
    firstCount,
    lastCount,
    emailCount,
    phoneCount,
    ssnCount,
    dobCount,
  }
}
