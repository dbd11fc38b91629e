/**
 * Blocking: each record gets a handful of 32-bit keys (SSN, each email, each phone, each
 * name's sound with the birth date, employee number with surname initial). Records sharing a key form a block;
 * only pairs inside a block are compared, each pair once, so the cost grows with the number of records, not its
 * square: blocks larger than `fullBlock` (common names) are compared by sorted neighbourhood only, and a block
 * larger than `maxBlockSize` is too unspecific to say anything (a shared `hr@` mailbox) and is skipped; the other
 * keys still find the true pairs in it.
 */
import { hashInts } from "./Interner.ts"
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
}

/** A birth date that is the same under a day/month swap: YYYY, then the smaller and larger of month and day. */
const swapProofDate = (date: number): number => {
  const month = Math.floor(date / 100) % 100
  const day = date % 100
  return Math.floor(date / 10000) * 10000 + Math.min(month, day) * 100 + Math.max(month, day)
}

const blockingKeys = (d: Prepared): Keys => {
  const n = d.size
  const start = new Int32Array(n + 1)
  let keys = new Int32Array(n * 6 + 16)
  let length = 0
  const push = (key: number) => {
    if (length === keys.length) {
      const grown = new Int32Array(keys.length * 2)
      grown.set(keys)
      keys = grown
    }
    keys[length++] = key | 0
  }
  for (let k = 0; k < n; k++) {
    start[k] = length
    const firstSound = d.firstPhonetic[k] as number
    const lastSound = d.lastPhonetic[k] as number
    const ssn = d.ssn[k] as number
    if (ssn >= 0) push(hashInts(SSN, ssn, 0))
    for (let e = d.emailStart[k] as number; e < (d.emailStart[k + 1] as number); e++) {
      push(hashInts(EMAIL, d.emailIds[e] as number, 0))
    }
    for (let p = d.phoneStart[k] as number; p < (d.phoneStart[k + 1] as number); p++) {
      push(hashInts(PHONE, d.phoneIds[p] as number, 0))
    }
    const firstName = d.first[k] as number
    const lastName = d.last[k] as number
    if (firstName >= 0 && lastName >= 0) {
      // both names exactly, in either order; one name exactly with the other's sound (a typo in one name)
      push(hashInts(NAMES, Math.min(firstName, lastName), Math.max(firstName, lastName)))
      push(hashInts(NAME_SOUND, firstName, lastSound))
      push(hashInts(NAME_SOUND, lastName, firstSound))
    }
    const dob = d.dob[k] as number
    if (dob !== 0) {
      // the birth date (day/month order-free) with either name's initial
      const date = swapProofDate(dob)
      const prefix = (id: number) => {
        if (id < 0) return 0
        const name = d.names[id] as string
        return name.charCodeAt(0) * 256 + (name.length > 1 ? name.charCodeAt(1) : 0)
      }
      const firstInitial = prefix(firstName)
      const lastInitial = prefix(lastName)
      if (firstInitial !== 0) push(hashInts(DOB_INITIAL, date, firstInitial))
      if (lastInitial !== 0 && lastInitial !== firstInitial) push(hashInts(DOB_INITIAL, date, lastInitial))
      // records missing a name meet each other on the birth date alone
      if (firstInitial === 0 || lastInitial === 0) push(hashInts(DOB_INITIAL, date, 0))
    }
    const number = d.employeeNumber[k] as number
    if (number >= 0) {
      const last = d.last[k] as number
      const initial = last >= 0 ? (d.names[last] as string).charCodeAt(0) : 0
      push(hashInts(NUMBER, number, initial))
    }
    // the same home: street with house number, or house number with postal code (a typo in the other)
    const house = d.houseNumber[k] as number
    if (house >= 0) {
      const street = d.street[k] as number
      const postal = d.postal[k] as number
      if (street >= 0) push(hashInts(HOME, street, house))
      if (postal >= 0) push(hashInts(HOME, ~postal, house))
    }
  }
  start[n] = length
  return { start, keys: keys.subarray(0, length) }
}

/** What blocking did, for the bench and the run summary. */
export interface BlockingStats {
  readonly keys: number
  readonly blocks: number
  readonly skippedBlocks: number
  readonly candidatePairs: number
}

/**
 * Calls `visit(i, j)` (canonical indices, i < j) once for every pair of records that share a usable block.
 */
export const forEachCandidatePair = (
  d: Prepared,
  maxBlockSize: number,
  visit: (i: number, j: number) => void,
  fullBlock = 8,
  window = 4,
  neighbourhood = 2,
): BlockingStats => {
  const { keys, start } = blockingKeys(d)
  const entries = keys.length
  const owner = new Int32Array(entries)
  for (let k = 0; k < d.size; k++) owner.fill(k, start[k] as number, start[k + 1] as number)

  // open addressing: one slot per distinct key, entries chained through `next` in canonical record order
  let capacity = 16
  while (capacity < entries * 2) capacity *= 2
  const mask = capacity - 1
  const slotKey = new Int32Array(capacity)
  const slotHead = new Int32Array(capacity).fill(-1)
  const slotTail = new Int32Array(capacity)
  const slotSize = new Int32Array(capacity)
  const next = new Int32Array(entries).fill(-1)
  const slotOf = new Int32Array(entries)
  let blocks = 0
  for (let e = 0; e < entries; e++) {
    const key = keys[e] as number
    let slot = (Math.imul(key, 0x9e3779b1) >>> 0) & mask
    while (slotHead[slot] !== -1 && slotKey[slot] !== key) slot = (slot + 1) & mask
    if (slotHead[slot] === -1) {
      slotKey[slot] = key
      slotHead[slot] = e
      slotSize[slot] = 1
      blocks++
    } else {
      const previous = slotTail[slot] as number
      next[previous] = e
      // one record with two equal keys (first and last name sound alike) counts once
      if (owner[previous] !== owner[e]) slotSize[slot] = (slotSize[slot] as number) + 1
    }
    slotTail[slot] = e
    slotOf[e] = slot
  }
  // a block up to `fullBlock` records compares every pair; a larger one (common names) only neighbours within a
  // window after sorting by birth date and surname (sorted neighbourhood), so its cost stays linear in its size
  const usable = new Uint8Array(entries)
  for (let e = 0; e < entries; e++) {
    const size = slotSize[slotOf[e] as number] as number
    usable[e] = size >= 2 && size <= fullBlock ? 1 : 0
  }
  const sortKey = new Float64Array(d.size)
  for (let k = 0; k < d.size; k++) {
    const dob = d.dob[k] as number
    sortKey[k] = (dob === 0 ? 0 : swapProofDate(dob)) * 2097152 + (((d.last[k] as number) + 1) % 2097152)
  }

  let candidatePairs = 0
  let skippedBlocks = 0
  const members = new Int32Array(maxBlockSize)
  const positions = new Int32Array(maxBlockSize)
  const order: Array<number> = []
  const visitOnce = (i: number, ei: number, j: number) => {
    // score each pair in the first fully compared block it shares, not again in later ones
    const iStart = start[i] as number
    const jStart = start[j] as number
    const jEnd = start[j + 1] as number
    for (let p = iStart; p < ei; p++) {
      if (usable[p] === 0) continue
      const key = keys[p]
      for (let q = jStart; q < jEnd; q++) if (keys[q] === key) return
    }
    candidatePairs++
    visit(i, j)
  }
  // one sorted-neighbourhood pass over every record with a birth date: near dates with garbled names still meet
  if (neighbourhood > 0) {
    const dated: Array<number> = []
    for (let k = 0; k < d.size; k++) if ((d.dob[k] as number) !== 0) dated.push(k)
    const byDate = Float64Array.from(dated, (k) => sortKey[k] as number)
    const indices = Int32Array.from(dated.keys()).sort((x, y) => (byDate[x] as number) - (byDate[y] as number) || x - y)
    for (let a = 0; a < indices.length; a++) {
      for (let b = a + 1; b < indices.length && b <= a + neighbourhood; b++) {
        const x = dated[indices[a] as number] as number
        const y = dated[indices[b] as number] as number
        const [i, j] = x < y ? [x, y] : [y, x]
        // compared in a full block already?
        let shared = false
        for (let p = start[i] as number; p < (start[i + 1] as number) && !shared; p++) {
          if (usable[p] === 0) continue
          for (let q = start[j] as number; q < (start[j + 1] as number); q++) {
            if (keys[q] === keys[p]) {
              shared = true
              break
            }
          }
        }
        if (shared) continue
        candidatePairs++
        visit(i, j)
      }
    }
  }
  for (let slot = 0; slot < capacity; slot++) {
    if (slotHead[slot] === -1) continue
    const size = slotSize[slot] as number
    if (size < 2) continue
    if (size > maxBlockSize) {
      skippedBlocks++
      continue
    }
    let count = 0
    for (let e = slotHead[slot] as number; e !== -1; e = next[e] as number) {
      const record = owner[e] as number
      if (count > 0 && members[count - 1] === record) continue
      members[count] = record
      positions[count] = e
      count++
    }
    if (count <= fullBlock) {
      for (let a = 0; a < count; a++) {
        for (let b = a + 1; b < count; b++)
          visitOnce(members[a] as number, positions[a] as number, members[b] as number)
      }
      continue
    }
    order.length = 0
    for (let a = 0; a < count; a++) order.push(a)
    order.sort((x, y) => {
      const kx = sortKey[members[x] as number] as number
      const ky = sortKey[members[y] as number] as number
      return kx !== ky ? kx - ky : (members[x] as number) - (members[y] as number)
    })
    for (let a = 0; a < count; a++) {
      const x = order[a] as number
      for (let b = a + 1; b < count && b <= a + window; b++) {
        const y = order[b] as number
        const i = members[x] as number
        const j = members[y] as number
        if (i < j) visitOnce(i, positions[x] as number, j)
        else visitOnce(j, positions[y] as number, i)
      }
    }
  }
  return { keys: entries, blocks, skippedBlocks, candidatePairs }
}
