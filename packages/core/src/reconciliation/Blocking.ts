/**
 * Blocking: each record gets a handful of 32-bit keys (SSN, each email, each phone, each
 * name's sound with the birth date, employee number with surname initial). Records sharing a key form a block;
 * only pairs inside a block are compared, each pair once, so the cost grows with the number of records, not its
 * square: blocks larger than `fullBlockOf` their kind (common names) are compared by sorted neighbourhood only, and a block
 * larger than `maxBlockSize` is too unspecific to say anything (a shared `hr@` mailbox) and is skipped; the other
 * keys still find the true pairs in it.
 */
import { type Arena, IntList } from "./internal/Arena.ts"
import { hashInts } from "./internal/Hashing.ts"
import { swapProofDate } from "./internal/Normalize.ts"
import { radixSortBy, radixSortPairs } from "./internal/RadixSort.ts"
import type { Prepared } from "./Prepare.ts"

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

const OTHER = 0
const BY_FIRST = 1
const BY_LAST = 2
const BY_DATE = 3
/** both names, or one name and the other's sound: blocks that also grow with the workforce (common names) */
const NAME = 4

/** Every name token's first two letters as one number (index: the token's id), worked out once a run. */
const namePrefixes = (names: ReadonlyArray<string>, scratch: Arena): Int32Array => {
  const prefixes = scratch.int32(names.length)
  for (let id = 0; id < names.length; id++) {
    const name = names[id] as string
    prefixes[id] = name.length === 0 ? 0 : name.charCodeAt(0) * 256 + (name.length > 1 ? name.charCodeAt(1) : 0)
  }
  return prefixes
}

const blockingKeys = (d: Prepared, scratch: Arena): Keys => {
  const n = d.size
  const prefixes = namePrefixes(d.names, scratch)
  /** a name's first two letters as one number (0 when the name is absent) */
  const namePrefix = (id: number): number => (id < 0 ? 0 : (prefixes[id] as number))
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
    // at most eight emails and eight phones a record make keys: a record with hundreds makes no more work
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
      const firstInitial = namePrefix(firstName)
      const lastInitial = namePrefix(lastName)
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

/** Sorts `values[from..to)` in place: by insertion while short (a record's partners are a handful), natively beyond. */
const sortRange = (values: Int32Array, from: number, to: number): void => {
  if (to - from > 32) {
    values.subarray(from, to).sort()
    return
  }
  for (let p = from + 1; p < to; p++) {
    const value = values[p] as number
    let q = p - 1
    while (q >= from && (values[q] as number) > value) {
      values[q + 1] = values[q] as number
      q--
    }
    values[q + 1] = value
  }
}

/** Candidate pairs (canonical indices, i < j), each once, sorted by i then j: `count` of them in `i` and `j`. */
export interface CandidatePairs {
  readonly i: Int32Array
  readonly j: Int32Array
  readonly count: number
  readonly stats: BlockingStats
}

/** Pairs as found (either order, repeats allowed), minus those inside one connection group when asked. */
class FoundPairs {
  readonly first: IntList
  readonly second: IntList
  private readonly group: Int32Array
  private readonly separateGroups: boolean

  constructor(d: Prepared, separateGroups: boolean, scratch: Arena) {
    // about five pairs a record before duplicates go: sized once, so the list rarely grows
    this.first = new IntList(scratch, d.size * 6)
    this.second = new IntList(scratch, d.size * 6)
    this.group = d.group
    this.separateGroups = separateGroups
  }

  add(x: number, y: number): void {
    if (this.separateGroups && this.group[x] === this.group[y]) return
    this.first.push(Math.min(x, y))
    this.second.push(Math.max(x, y))
  }
}

/**
 * Every key with its record and its kind (record × 256 + kind × 32), sorted by key: a block is a run of equal keys,
 * its records in canonical order. Sorting streams through memory, where a hash table of ten million keys would miss
 * the cache on every probe. (Runs past 2^23 - 1 records are refused with TooManyRecords before they get here.)
 */
const sortedBlockingKeys = (d: Prepared, scratch: Arena): { readonly keys: Int32Array; readonly slots: Int32Array } => {
  const { keys, start, kinds } = blockingKeys(d, scratch)
  const slots = scratch.int32(keys.length)
  for (let k = 0; k < d.size; k++) {
    for (let e = start[k] as number; e < (start[k + 1] as number); e++)
      slots[e] = (k << 8) | ((kinds[e] as number) << 5)
  }
  // in place: nothing reads the keys in record order afterwards
  radixSortPairs(keys, slots, scratch)
  return { keys, slots }
}

/** Each record's sort key for sorted neighbourhoods: birth date (day/month order-free), then surname. */
const dateSurnameKeys = (d: Prepared, scratch: Arena): Float64Array => {
  const sortKey = scratch.float64(d.size)
  for (let k = 0; k < d.size; k++) {
    const dob = d.dob[k] as number
    const last = d.last[k] as number
    sortKey[k] =
      (dob === 0 ? 0 : swapProofDate(dob)) * 2097152 + (last < 0 ? 0 : ((d.nameHash[last] as number) >>> 12) + 1)
  }
  return sortKey
}

/** One sorted-neighbourhood pass over every record with a birth date: near dates with garbled names still meet. */
const neighbourhoodPairs = (d: Prepared, sortKey: Float64Array, pairs: FoundPairs, scratch: Arena): void => {
  let datedCount = 0
  for (let k = 0; k < d.size; k++) if ((d.dob[k] as number) !== 0) datedCount++
  const dated = scratch.int32(datedCount)
  datedCount = 0
  for (let k = 0; k < d.size; k++) if ((d.dob[k] as number) !== 0) dated[datedCount++] = k
  // by birth date and surname, ties in canonical order (the sort is stable)
  const byDate = radixSortBy(dated, sortKey, scratch)
  for (let a = 0; a < byDate.length; a++) {
    for (let b = a + 1; b < byDate.length && b <= a + NEIGHBOURHOOD; b++)
      pairs.add(byDate[a] as number, byDate[b] as number)
  }
}

/**
 * The pairs of every block (a run of equal sorted keys): all of them in a small block, sorted neighbours in a large
 * one, none in one over `maxBlockSize`. Returns how many blocks there were and how many were skipped.
 */
const blockPairs = (
  d: Prepared,
  sorted: { readonly keys: Int32Array; readonly slots: Int32Array },
  sortKey: Float64Array,
  maxBlockSize: number,
  pairs: FoundPairs,
  scratch: Arena,
): { readonly blocks: number; readonly skippedBlocks: number } => {
  const { keys, slots } = sorted
  const entries = keys.length
  /** a record's order in a birth-date block: the hash of the name that put it there, then of its other name */
  const nameSortKeys = scratch.float64(d.size)
  const nameHashOf = (id: number): number => (id < 0 ? 0 : (d.nameHash[id] as number) >>> 0)
  const nameSortKey = (record: number, kind: number): number => {
    const firstHash = nameHashOf(d.first[record] as number)
    const lastHash = nameHashOf(d.last[record] as number)
    return kind === BY_LAST ? lastHash * 2097152 + (firstHash >>> 11) : firstHash * 2097152 + (lastHash >>> 11)
  }
  let blocks = 0
  let skippedBlocks = 0
  const members = new Int32Array(maxBlockSize)
  const memberKinds = new Int32Array(maxBlockSize)
  const order: Array<number> = []
  for (let x = 0; x < entries; ) {
    const key = keys[x] as number
    let end = x + 1
    while (end < entries && keys[end] === key) end++
    blocks++
    if (end - x < 2) {
      x = end
      continue
    }
    // a record with two equal keys (first and last name sounding alike) counts once
    let count = 0
    let tooLarge = false
    for (let y = x; y < end; y++) {
      const slot = slots[y] as number
      const record = slot >>> 8
      if (count > 0 && members[count - 1] === record) continue
      if (count === maxBlockSize) {
        tooLarge = true
        break
      }
      members[count] = record
      memberKinds[count] = (slot >>> 5) & 7
      count++
    }
    x = end
    if (tooLarge) {
      skippedBlocks++
      continue
    }
    const kind = memberKinds[0] as number
    if (count <= fullBlockOf(kind)) {
      for (let a = 0; a < count; a++)
        for (let b = a + 1; b < count; b++) pairs.add(members[a] as number, members[b] as number)
      continue
    }
    order.length = 0
    for (let a = 0; a < count; a++) order.push(a)
    // a birth-date block (everyone born that day whose first or last name starts alike) grows with the workforce:
    // ordered by the name that made the key, then the other name, the same person's records sit side by side (the
    // same first name after a marriage, the same surname beside a nickname), so a narrow window finds them
    const dateBlock = kind !== OTHER && kind !== NAME
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
      for (let b = a + 1; b < count && b <= a + reach; b++)
        pairs.add(members[order[a] as number] as number, members[order[b] as number] as number)
    }
  }
  return { blocks, skippedBlocks }
}

/**
 * The found pairs sorted by i (a counting sort: i is a record), then each record's partners in order (a handful:
 * sorted where they lie), each pair once; the result lives in `out`.
 */
const distinctSortedPairs = (
  size: number,
  pairs: FoundPairs,
  out: Arena,
  scratch: Arena,
): { readonly i: Int32Array; readonly j: Int32Array; readonly count: number } => {
  const total = pairs.first.length
  const firsts = pairs.first.data
  const seconds = pairs.second.data
  const bucketStart = scratch.int32(size + 1)
  for (let p = 0; p < total; p++)
    bucketStart[(firsts[p] as number) + 1] = (bucketStart[(firsts[p] as number) + 1] as number) + 1
  for (let k = 0; k < size; k++) bucketStart[k + 1] = (bucketStart[k + 1] as number) + (bucketStart[k] as number)
  const partners = scratch.int32(total)
  const cursor = scratch.int32(size)
  cursor.set(bucketStart.subarray(0, size))
  for (let p = 0; p < total; p++) {
    const at = cursor[firsts[p] as number] as number
    partners[at] = seconds[p] as number
    cursor[firsts[p] as number] = at + 1
  }
  let count = 0
  for (let k = 0; k < size; k++) {
    const from = bucketStart[k] as number
    const to = bucketStart[k + 1] as number
    sortRange(partners, from, to)
    for (let p = from; p < to; p++) if (p === from || partners[p] !== partners[p - 1]) count++
  }
  const i = out.int32(count)
  const j = out.int32(count)
  count = 0
  for (let k = 0; k < size; k++) {
    const to = bucketStart[k + 1] as number
    for (let p = bucketStart[k] as number; p < to; p++) {
      if (p > (bucketStart[k] as number) && partners[p] === partners[p - 1]) continue
      i[count] = k
      j[count++] = partners[p] as number
    }
  }
  return { i, j, count }
}

/**
 * Every pair of records that shares a usable block, once, sorted by (i, j): comparing them in that order reads the
 * records' rows nearly in sequence (most pairs share a birth date, and records are ordered by it), and sorting is
 * what makes each pair appear once, however many keys it shares. Pairs inside one connection group are left out
 * when `separateGroups` (they can never be one person). The pairs live in `out`; blocking's temporaries in
 * `scratch`, released by the caller once blocking is done.
 */
export const candidatePairs = (
  d: Prepared,
  maxBlockSize: number,
  separateGroups: boolean,
  out: Arena,
  scratch: Arena,
): CandidatePairs => {
  const sorted = sortedBlockingKeys(d, scratch)
  const sortKey = dateSurnameKeys(d, scratch)
  const pairs = new FoundPairs(d, separateGroups, scratch)
  neighbourhoodPairs(d, sortKey, pairs, scratch)
  const { blocks, skippedBlocks } = blockPairs(d, sorted, sortKey, maxBlockSize, pairs, scratch)
  const { i, j, count } = distinctSortedPairs(d.size, pairs, out, scratch)
  return { i, j, count, stats: { keys: sorted.keys.length, blocks, skippedBlocks, candidatePairs: count } }
}
