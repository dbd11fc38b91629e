/**
 * Stable person ids: a cluster keeps the id of the oldest previous person it holds (a merge; the younger ids become
 * aliases), a previous person whose records now sit in several clusters keeps its id in the cluster holding most
 * of them (a split; the other parts get their own ids), and a cluster with no history gets a new id derived from
 * its first record id, so the same input always yields the same ids.
 */
import { Arena } from "./internal/Arena.ts"
import { hashString } from "./internal/Hashing.ts"
import { radixSortUint32 } from "./internal/RadixSort.ts"

/** A person as a previous run left it. */
export interface PreviousPerson {
  readonly personId: string
  readonly recordIds: ReadonlyArray<string>
  /** when the person was first seen (any increasing number: run sequence, epoch ms); older ids win merges */
  readonly since: number
}

/** `alias` was merged into `personId` in this run. */
export interface Alias {
  readonly alias: string
  readonly personId: string
}

/** `personId` lost records to the new persons `into` in this run. */
export interface Split {
  readonly personId: string
  readonly into: ReadonlyArray<string>
}

export interface Identities {
  /** cluster index → person id */
  readonly personIds: Array<string>
  readonly since: Float64Array
  readonly aliases: Array<Alias>
  readonly splits: Array<Split>
}

/** the character code of hex digit `shift / 4` (from the right) of `value` */
const hexCode = (value: number, shift: number): number => {
  const digit = (value >>> shift) & 15
  return digit < 10 ? 48 + digit : 87 + digit
}

/** `p_` and two 32-bit hashes in hex, made as one flat string (a million of them are made per run) */
const personIdOf = (high: number, low: number): string =>
  String.fromCharCode(
    112,
    95,
    hexCode(high, 28),
    hexCode(high, 24),
    hexCode(high, 20),
    hexCode(high, 16),
    hexCode(high, 12),
    hexCode(high, 8),
    hexCode(high, 4),
    hexCode(high, 0),
    hexCode(low, 28),
    hexCode(low, 24),
    hexCode(low, 20),
    hexCode(low, 16),
    hexCode(low, 12),
    hexCode(low, 8),
    hexCode(low, 4),
    hexCode(low, 0),
  )

/** The two hashes of a record id that a new person's id is made of (the high one is also the id's sort hash). */
export const personIdHigh = (recordId: string, attempt: number) => hashString(recordId, 0x811c9dc5 ^ attempt)
export const personIdLow = (recordId: string, attempt: number) => hashString(recordId, 0x01000193 + attempt)

/** A fresh id for a cluster whose first (canonical) record is `recordId`. */
export const newPersonId = (recordId: string, attempt: number): string =>
  personIdOf(personIdHigh(recordId, attempt), personIdLow(recordId, attempt))

/**
 * Names clusters. `clusterOf[k]` is the cluster (0..clusters-1) of canonical record k; `firstRecord[c]` the id of
 * cluster c's first canonical record, and `firstRecordHashes` (when the caller has them) its `personIdHigh` and
 * `personIdLow` for attempt 0, so a million new ids need not read a million record ids again.
 */
export const assignIdentities = (
  recordIds: ReadonlyArray<string>,
  clusterOf: Int32Array,
  firstRecord: ReadonlyArray<string>,
  previous: ReadonlyArray<PreviousPerson>,
  runAt: number,
  firstRecordHashes?: { readonly high: ArrayLike<number>; readonly low: ArrayLike<number> },
): Identities => {
  const clusters = firstRecord.length
  const indexOfRecord = new Map<string, number>()
  if (previous.length > 0) {
    recordIds.forEach((id, k) => {
      indexOfRecord.set(id, k)
    })
  }

  // overlap of every previous person with every cluster
  const sorted = [...previous].sort((a, b) =>
    a.since !== b.since ? a.since - b.since : a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0,
  )
  const overlaps: Array<{ person: number; cluster: number; count: number; firstRecord: string }> = []
  sorted.forEach((person, p) => {
    const counts = new Map<number, { count: number; firstRecord: string }>()
    for (const recordId of person.recordIds) {
      const k = indexOfRecord.get(recordId)
      if (k === undefined) continue
      const c = clusterOf[k] as number
      const entry = counts.get(c)
      if (entry === undefined) counts.set(c, { count: 1, firstRecord: recordId })
      else {
        entry.count++
        if (recordId < entry.firstRecord) entry.firstRecord = recordId
      }
    }
    for (const [cluster, { count, firstRecord }] of counts) overlaps.push({ person: p, cluster, count, firstRecord })
  })
  // oldest person first; it stays with the part holding most of its records, ties to the part with the smallest id
  overlaps.sort(
    (a, b) =>
      a.person - b.person ||
      b.count - a.count ||
      (a.firstRecord < b.firstRecord ? -1 : a.firstRecord > b.firstRecord ? 1 : a.cluster - b.cluster),
  )

  const personIds: Array<string> = new Array(clusters)
  const since = new Float64Array(clusters).fill(runAt)
  const takenBy = new Int32Array(sorted.length).fill(-1)
  for (const { person, cluster } of overlaps) {
    if (takenBy[person] !== -1 || personIds[cluster] !== undefined) continue
    const chosen = sorted[person] as PreviousPerson
    personIds[cluster] = chosen.personId
    since[cluster] = chosen.since
    takenBy[person] = cluster
  }

  // new ids are 64-bit hashes of distinct record ids: a clash is astronomically rare, but checked all the same
  const used = new Set<string>(previous.map((p) => p.personId))
  // the clusters given a new id, with the two hashes it is made of (typed: a million of them in a large run)
  const freshAll = new Int32Array(clusters)
  const freshHigh = new Uint32Array(clusters)
  const freshLow = new Uint32Array(clusters)
  let count = 0
  for (let c = 0; c < clusters; c++) {
    if (personIds[c] !== undefined) continue
    const high =
      firstRecordHashes === undefined
        ? personIdHigh(firstRecord[c] as string, 0)
        : (firstRecordHashes.high[c] as number)
    const low =
      firstRecordHashes === undefined ? personIdLow(firstRecord[c] as string, 0) : (firstRecordHashes.low[c] as number)
    personIds[c] = personIdOf(high, low)
    freshAll[count] = c
    freshHigh[count] = high
    freshLow[count] = low
    count++
  }
  const fresh = freshAll.subarray(0, count)
  let clash = false
  if (used.size > 0) for (const c of fresh) if (used.has(personIds[c] as string)) clash = true
  // duplicates among the fresh ids are equal hash pairs: sort by the high hash, then compare every pair within a run
  // of equal high hashes (a few dozen short runs in a million)
  const indices = new Int32Array(count)
  for (let f = 0; f < count; f++) indices[f] = f
  const highs = freshHigh.subarray(0, count)
  const byHigh = radixSortUint32(indices, highs, new Arena(count * 16))
  for (let x = 0; x < count && !clash; ) {
    let end = x + 1
    while (end < count && highs[byHigh[end] as number] === highs[byHigh[x] as number]) end++
    for (let a = x; a < end && !clash; a++) {
      for (let b = a + 1; b < end; b++) {
        if (freshLow[byHigh[a] as number] === freshLow[byHigh[b] as number]) clash = true
      }
    }
    x = end
  }
  if (clash) {
    // rare path: redo the fresh ids one by one, in cluster order, skipping every id already taken
    const taken = new Set<string>(used)
    const isFresh = new Uint8Array(clusters)
    for (const c of fresh) isFresh[c] = 1
    for (let c = 0; c < clusters; c++) if (isFresh[c] === 0) taken.add(personIds[c] as string)
    for (const c of fresh) {
      let attempt = 0
      let id = newPersonId(firstRecord[c] as string, attempt)
      while (taken.has(id)) id = newPersonId(firstRecord[c] as string, ++attempt)
      taken.add(id)
      personIds[c] = id
    }
  }

  const aliases: Array<Alias> = []
  const splitInto = new Map<number, Array<string>>()
  for (const { person, cluster } of overlaps) {
    if (takenBy[person] === cluster) continue
    const personId = (sorted[person] as PreviousPerson).personId
    if (takenBy[person] === -1) {
      aliases.push({ alias: personId, personId: personIds[cluster] as string })
      takenBy[person] = -2
    } else if (takenBy[person] === -2) {
      // already an alias of another cluster: its records went two ways
      aliases.push({ alias: personId, personId: personIds[cluster] as string })
    } else {
      splitInto.set(person, [...(splitInto.get(person) ?? []), personIds[cluster] as string])
    }
  }
  const splits = [...splitInto.entries()].map(([person, into]) => ({
    personId: (sorted[person] as PreviousPerson).personId,
    into: into.sort(),
  }))
  aliases.sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : a.personId < b.personId ? -1 : 1))
  splits.sort((a, b) => (a.personId < b.personId ? -1 : 1))
  return { personIds, since, aliases, splits }
}
