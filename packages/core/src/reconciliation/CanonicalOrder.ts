/**
 * The canonical order of a run's records, which never depends on the order they came in: by birth date (day/month
 * order-free; none last), then by a hash of the record id, ties by the id itself — and the check that no two
 * records share an id.
 */
import * as Schema from "effect/Schema"
import type { Memory } from "./internal/Arena.ts"
import { swapProofDate } from "./internal/Normalize.ts"
import { radixSortUint32 } from "./internal/RadixSort.ts"
import { personIdHigh, personIdLow } from "./PersonIdentity.ts"
import type { SourceRecord } from "./SourceRecord.ts"

/** Two input records share a `record_id`. */
export class DuplicateRecordId extends Schema.TaggedError<DuplicateRecordId>()("DuplicateRecordId", {
  recordId: Schema.String,
}) {
  override get message() {
    return `Two records share the record_id "${this.recordId}"`
  }
}

/**
 * The canonical order, which never depends on the input order: by birth date (day/month order-free; records
 * without one last), then by a hash of the record id, ties by the id itself. Records born on one day sit together,
 * so the pairs blocking finds (mostly the same birth date) touch memory that is already in cache. Also returns
 * each canonical record's rank in (hash, id) order, which names new persons as before, and the two hashes of its id
 * that a new person's id is made of (`newPersonId`), taken here while the ids are read in order anyway.
 */
export const canonicalOrder = (
  records: ReadonlyArray<SourceRecord>,
  dob: Int32Array,
  memory: Memory,
):
  | {
      readonly order: Int32Array
      readonly hashRank: Int32Array
      readonly idHashHigh: Uint32Array
      readonly idHashLow: Uint32Array
    }
  | DuplicateRecordId => {
  const n = records.length
  const hashes = memory.scratch.uint32(n)
  const lows = memory.scratch.uint32(n)
  for (let i = 0; i < n; i++) {
    const id = (records[i] as SourceRecord).record_id
    hashes[i] = personIdHigh(id, 0)
    lows[i] = personIdLow(id, 0)
  }
  const highs = memory.scratch.uint32(n)
  highs.set(hashes)
  const identity = memory.scratch.int32(n)
  for (let i = 0; i < n; i++) identity[i] = i
  const byHash = radixSortUint32(identity, hashes, memory.scratch)
  // runs of equal hashes: order by the id itself (and catch repeated ids)
  for (let start = 0; start < n; ) {
    let end = start + 1
    const hash = hashes[byHash[start] as number]
    while (end < n && hashes[byHash[end] as number] === hash) end++
    if (end - start > 1) {
      const run = Array.from(byHash.subarray(start, end)).sort((a, b) => {
        const x = (records[a] as SourceRecord).record_id
        const y = (records[b] as SourceRecord).record_id
        return x < y ? -1 : x > y ? 1 : 0
      })
      for (let k = 1; k < run.length; k++) {
        const id = (records[run[k] as number] as SourceRecord).record_id
        if (id === (records[run[k - 1] as number] as SourceRecord).record_id)
          return new DuplicateRecordId({ recordId: id })
      }
      byHash.set(run, start)
    }
    start = end
  }
  const rankOfInput = memory.scratch.int32(n)
  for (let r = 0; r < n; r++) rankOfInput[byHash[r] as number] = r
  // the birth date as a day number (unsigned, so "none" sorts last)
  const dayKey = hashes
  for (let i = 0; i < n; i++) {
    const date = dob[i] as number
    dayKey[i] = date === 0 ? 0xffffffff : swapProofDate(date)
  }
  const order = memory.run.int32(n)
  order.set(radixSortUint32(byHash, dayKey, memory.scratch))
  const hashRank = memory.run.int32(n)
  const idHashHigh = memory.run.uint32(n)
  const idHashLow = memory.run.uint32(n)
  for (let k = 0; k < n; k++) {
    const input = order[k] as number
    hashRank[k] = rankOfInput[input] as number
    idHashHigh[k] = highs[input] as number
    idHashLow[k] = lows[input] as number
  }
  return { order, hashRank, idHashHigh, idHashLow }
}
