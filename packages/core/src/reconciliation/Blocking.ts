/**
 * Blocking: each record gets a handful of 32-bit keys (SSN, each email, each phone, each
 * name's sound with the birth date, employee number with surname initial). Records sharing a key form a block;
 * only pairs inside a block are compared, each pair once, so the cost grows with the number of records, not its
 * square: blocks larger than `fullBlockOf` their kind (common names) are compared by sorted neighbourhood only, and a block
 * larger than `maxBlockSize` is too unspecific to say anything (a shared `hr@` mailbox) and is skipped; the other
 * keys still find the true pairs in it.
 */
import type { Arena } from "./Arena.ts"
import { hashInts } from "./Hashing.ts"
import { swapProofDate } from "./Normalize.ts"
import type { Prepared } from "./Prepare.ts"
import { radixSortBy, radixSortPairs } from "./RadixSort.ts"

const NAMES = 1
const DOB_INITIAL = 2
const NAME_SOUND = 7
const SSN = 3
const EMAIL = 4
const PHONE = 5
const NUMBER = 6
const HOME = 8

/** Keys in compressed rows: record k owns keys[start[k] .. start[k+1]). */
interface Keys {
  readonly start: Int32Array
  readonly keys: Int32Array
  /** per key: which name made a birth-date key (`BY_FIRST`, `BY_LAST`, `BY_DATE`), a name key (`NAME`), else `OTHER` */
  readonly kinds: Uint8Array
}

/** keys a record can have at most (1 SSN, 8 emails, 8 phones, 3 names, 2 birth dates, 1 number, 3 homes): one bit each */
const MAX_KEYS = 31

const OTHER = 0
const BY_FIRST = 1
const BY_LAST = 2
const BY_DATE = 3
/** both names, or one name and the other's sound: blocks that also grow with the workforce (common names) */
const NAME = 4

/** A name's first two letters as one number (0 when the name is absent). */
const namePrefix = (names: ReadonlyArray<string>, id: number): number => {
  if (id < 0) return 0
  const name = names[id] as string
  return name.charCodeAt(0) * 256 + (name.length > 1 ? name.charCodeAt(1) : 0)
}

const blockingKeys = (d: Prepared, scratch: Arena): Keys => {
  const n = d.size
  const start = scratch.int32(n + 1)
  // about seven keys per record: sized once so the array rarely grows (and copies)
  let keys = scratch.int32(n * 8 + 16)
  let kinds = scratch.uint8(keys.length)
  let length = 0
  const push = (key: number, kind = OTHER) => {
    if (length === keys.length) {
      const grown = new Int32Array(keys.length * 2)
      grown.set(keys)
      keys = grown
      const grownKinds = new Uint8Array(keys.length)
      grownKinds.set(kinds)
      kinds = grownKinds
    }
    kinds[length] = kind
    keys[length++] = key | 0
  }
  for (let k = 0; k < n; k++) {
    start[k] = length
    const firstSound = d.firstPhonetic[k] as number
    const lastSound = d.lastPhonetic[k] as number
    const ssn = d.ssn[k] as number
    // values enter keys by their content hash, not their id: ids follow the input order
    if (ssn >= 0) push(hashInts(SSN, d.ssnHash[ssn] as number, 0))
    // at most eight emails and eight phones a record make keys, so a record never holds more than MAX_KEYS
    const emailsEnd = Math.min(d.emailStart[k + 1] as number, (d.emailStart[k] as number) + 8)
    for (let e = d.emailStart[k] as number; e < emailsEnd; e++) {
      push(hashInts(EMAIL, d.emailHash[d.emailIds[e] as number] as number, 0))
    }
    const phonesEnd = Math.min(d.phoneStart[k + 1] as number, (d.phoneStart[k] as number) + 8)
    for (let p = d.phoneStart[k] as number; p < phonesEnd; p++) {
      push(hashInts(PHONE, d.phoneHash[d.phoneIds[p] as number] as number, 0))
    }
    const firstName = d.first[k] as number
    const lastName = d.last[k] as number
    if (firstName >= 0 && lastName >= 0) {
      // both names exactly, in either order; one name exactly with the other's sound (a typo in one name)
      const firstHash = d.nameHash[firstName] as number
      const lastHash = d.nameHash[lastName] as number
      push(hashInts(NAMES, Math.min(firstHash, lastHash), Math.max(firstHash, lastHash)), NAME)
      push(hashInts(NAME_SOUND, firstHash, lastSound), NAME)
      push(hashInts(NAME_SOUND, lastHash, firstSound), NAME)
    }
    const dob = d.dob[k] as number
    if (dob !== 0) {
      // the birth date (day/month order-free) with either name's initial
      const date = swapProofDate(dob)
      const firstInitial = namePrefix(d.names, firstName)
      const lastInitial = namePrefix(d.names, lastName)
      if (firstInitial !== 0) push(hashInts(DOB_INITIAL, date, firstInitial), BY_FIRST)
      if (lastInitial !== 0 && lastInitial !== firstInitial) push(hashInts(DOB_INITIAL, date, lastInitial), BY_LAST)
      // records missing a name meet each other on the birth date alone
      if (firstInitial === 0 || lastInitial === 0) push(hashInts(DOB_INITIAL, date, 0), BY_DATE)
    }
    const number = d.employeeNumber[k] as number
    if (number >= 0) {
      const last = d.last[k] as number
      const initial = last >= 0 ? (d.names[last] as string).charCodeAt(0) : 0
      push(hashInts(NUMBER, d.addressHash[number] as number, initial))
    }
    // the same home: street with house number, house number with postal code (a typo in the other), or street with
    // postal code (the number missing or changed)
    const house = d.houseNumber[k] as number
    const street = d.street[k] as number
    const postal = d.postal[k] as number
    const houseHash = house >= 0 ? (d.addressHash[house] as number) : 0
    const streetHash = street >= 0 ? (d.addressHash[street] as number) : 0
    const postalHash = postal >= 0 ? (d.addressHash[postal] as number) : 0
    if (house >= 0) {
      if (street >= 0) push(hashInts(HOME, streetHash, houseHash))
      if (postal >= 0) push(hashInts(HOME, ~postalHash, houseHash))
    }
    if (street >= 0 && postal >= 0) push(hashInts(HOME, streetHash, ~postalHash))
  }
  start[n] = length
  return { start, keys: keys.subarray(0, length), kinds }
}

/** What blocking did, for the bench and the run summary. */
export interface BlockingStats {
  readonly keys: number
  readonly blocks: number
  readonly skippedBlocks: number
  readonly candidatePairs: number
}

/**
 * How blocks are compared. Every pair in a block of up to `fullBlockOf(kind)` records; in a larger one each record
 * with the next `windowOf(kind)` after sorting. Birth-date and name blocks are the ones that fill up as a workforce
 * grows, so they are compared whole only while small and then with the next neighbour alone; identifier blocks
 * (SSN, email, phone, employee number, home) stay small unless shared, and keep a wider window.
 */
const FULL_BLOCK = 8
const WINDOW = 4
const FULL_DATE_BLOCK = 4
const DATE_WINDOW = 1
const FULL_NAME_BLOCK = 8
const NAME_WINDOW = 1
/** the sorted-neighbourhood pass over every record by birth date: each record with the next two */
const NEIGHBOURHOOD = 2

const fullBlockOf = (kind: number): number =>
  kind === OTHER ? FULL_BLOCK : kind === NAME ? FULL_NAME_BLOCK : FULL_DATE_BLOCK

const windowOf = (kind: number): number => (kind === OTHER ? WINDOW : kind === NAME ? NAME_WINDOW : DATE_WINDOW)

/**
 * Calls `visit(i, j)` (canonical indices, i < j) once for every pair of records that share a usable block.
 */
export const forEachCandidatePair = (
  d: Prepared,
  maxBlockSize: number,
  visit: (i: number, j: number) => void,
  /** where blocking's temporaries live: released by the caller once blocking is done */
  scratch: Arena,
): BlockingStats => {
  const { keys, start, kinds } = blockingKeys(d, scratch)
  const entries = keys.length
  // every key with its record, its kind and its place among the record's keys (record × 256 + kind × 32 + place),
  // sorted by key: a block is a run of equal keys, its records in canonical order. Sorting streams through memory,
  // where a hash table of ten million keys would miss the cache on every probe.
  // (reconcile refuses runs past 2^23 - 1 records with TooManyRecords before they get here)
  const sortedKeys = scratch.int32(entries)
  const sortedSlots = scratch.int32(entries)
  sortedKeys.set(keys)
  for (let k = 0; k < d.size; k++) {
    const from = start[k] as number
    for (let e = from; e < (start[k + 1] as number); e++)
      sortedSlots[e] = (k << 8) | ((kinds[e] as number) << 5) | (e - from)
  }
  radixSortPairs(sortedKeys, sortedSlots, scratch)
  // blocks of two or more records: where they start (in the sorted arrays) and how many records they hold. A block
  // up to `fullBlockOf` its kind of records compares every pair: its keys are "usable",
  // one bit per key of a record. A larger one (common names) only compares neighbours within a window after
  // sorting, so its cost stays linear in its size.
  const usableKeys = scratch.int32(d.size)
  let blockList = new Int32Array(1024)
  let blockCount = 0
  let blocks = 0
  for (let x = 0; x < entries; ) {
    const key = sortedKeys[x] as number
    let end = x + 1
    while (end < entries && sortedKeys[end] === key) end++
    blocks++
    if (end - x >= 2) {
      // a record with two equal keys (first and last name sounding alike) counts once
      let size = 0
      let previous = -1
      for (let y = x; y < end; y++) {
        const record = (sortedSlots[y] as number) >>> 8
        if (record !== previous) size++
        previous = record
      }
      if (size >= 2) {
        if (blockCount + 2 > blockList.length) {
          const grown = new Int32Array(blockList.length * 2)
          grown.set(blockList)
          blockList = grown
        }
        blockList[blockCount++] = x
        blockList[blockCount++] = end
        const first = sortedSlots[x] as number
        const kind = (first >>> 5) & 7
        if (size <= fullBlockOf(kind)) {
          for (let y = x; y < end; y++) {
            const slot = sortedSlots[y] as number
            usableKeys[slot >>> 8] = (usableKeys[slot >>> 8] as number) | (1 << (slot & 31))
          }
        }
      }
    }
    x = end
  }
  const sortKey = scratch.float64(d.size)
  for (let k = 0; k < d.size; k++) {
    const dob = d.dob[k] as number
    const last = d.last[k] as number
    sortKey[k] =
      (dob === 0 ? 0 : swapProofDate(dob)) * 2097152 + (last < 0 ? 0 : ((d.nameHash[last] as number) >>> 12) + 1)
  }

  /** a record's order in a birth-date block: the hash of the name that put it there, then of its other name */
  const nameSortKeys = scratch.float64(d.size)
  const nameHashOf = (id: number): number => (id < 0 ? 0 : (d.nameHash[id] as number) >>> 0)
  const nameSortKey = (record: number, kind: number): number => {
    const firstHash = nameHashOf(d.first[record] as number)
    const lastHash = nameHashOf(d.last[record] as number)
    return kind === BY_LAST ? lastHash * 2097152 + (firstHash >>> 11) : firstHash * 2097152 + (lastHash >>> 11)
  }

  let candidatePairs = 0
  let skippedBlocks = 0
  const members = new Int32Array(maxBlockSize)
  const positions = new Int32Array(maxBlockSize)
  const memberKinds = new Int32Array(maxBlockSize)
  const order: Array<number> = []
  /** Whether records i < j share a fully compared block through one of i's keys before its `before`-th. */
  const sharesUsableBlock = (i: number, before: number, j: number): boolean => {
    let usable = (usableKeys[i] as number) & (before >= 32 ? -1 : (1 << before) - 1)
    if (usable === 0) return false
    const iStart = start[i] as number
    const jStart = start[j] as number
    const jEnd = start[j + 1] as number
    while (usable !== 0) {
      const place = 31 - Math.clz32(usable & -usable)
      usable &= usable - 1
      const key = keys[iStart + place]
      for (let q = jStart; q < jEnd; q++) if (keys[q] === key) return true
    }
    return false
  }
  // one sorted-neighbourhood pass over every record with a birth date: near dates with garbled names still meet
  if (NEIGHBOURHOOD > 0) {
    let datedCount = 0
    for (let k = 0; k < d.size; k++) if ((d.dob[k] as number) !== 0) datedCount++
    const dated = scratch.int32(datedCount)
    datedCount = 0
    for (let k = 0; k < d.size; k++) if ((d.dob[k] as number) !== 0) dated[datedCount++] = k
    // by birth date and surname, ties in canonical order (the sort is stable)
    const byDate = radixSortBy(dated, sortKey, scratch)
    for (let a = 0; a < byDate.length; a++) {
      for (let b = a + 1; b < byDate.length && b <= a + NEIGHBOURHOOD; b++) {
        const x = byDate[a] as number
        const y = byDate[b] as number
        const i = Math.min(x, y)
        const j = Math.max(x, y)
        // compared in a full block already?
        if (sharesUsableBlock(i, MAX_KEYS + 1, j)) continue
        candidatePairs++
        visit(i, j)
      }
    }
  }
  for (let b = 0; b < blockCount; b += 2) {
    let count = 0
    let tooLarge = false
    for (let x = blockList[b] as number; x < (blockList[b + 1] as number); x++) {
      const slot = sortedSlots[x] as number
      const record = slot >>> 8
      if (count > 0 && members[count - 1] === record) continue
      if (count === maxBlockSize) {
        tooLarge = true
        break
      }
      members[count] = record
      positions[count] = slot & 31
      memberKinds[count] = (slot >>> 5) & 7
      count++
    }
    if (tooLarge) {
      skippedBlocks++
      continue
    }
    const kind = memberKinds[0] as number
    const dateBlock = kind !== OTHER && kind !== NAME
    if (count <= fullBlockOf(kind)) {
      for (let a = 0; a < count; a++) {
        const i = members[a] as number
        const before = positions[a] as number
        for (let b = a + 1; b < count; b++) {
          const j = members[b] as number
          // score each pair in the first fully compared block it shares, not again in later ones
          if (sharesUsableBlock(i, before, j)) continue
          candidatePairs++
          visit(i, j)
        }
      }
      continue
    }
    order.length = 0
    for (let a = 0; a < count; a++) order.push(a)
    // a birth-date block (everyone born that day whose first or last name starts alike) grows with the workforce:
    // ordered by the name that made the key, then the other name, the same person's records sit side by side (the
    // same first name after a marriage, the same surname beside a nickname), so a narrow window finds them
    const sortOf = dateBlock ? nameSortKeys : sortKey
    if (dateBlock)
      for (let a = 0; a < count; a++)
        nameSortKeys[members[a] as number] = nameSortKey(members[a] as number, memberKinds[a] as number)
    order.sort((x, y) => {
      const kx = sortOf[members[x] as number] as number
      const ky = sortOf[members[y] as number] as number
      return kx !== ky ? kx - ky : (members[x] as number) - (members[y] as number)
    })
    const reach = windowOf(kind)
    for (let a = 0; a < count; a++) {
      const x = order[a] as number
      for (let b = a + 1; b < count && b <= a + reach; b++) {
        const y = order[b] as number
        const mx = members[x] as number
        const my = members[y] as number
        const i = Math.min(mx, my)
        const j = Math.max(mx, my)
        if (sharesUsableBlock(i, (mx < my ? positions[x] : positions[y]) as number, j)) continue
        candidatePairs++
        visit(i, j)
      }
    }
  }
  return { keys: entries, blocks, skippedBlocks, candidatePairs }
}
