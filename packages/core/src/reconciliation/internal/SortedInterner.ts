/**
 * Interning by sorting: occurrences of values (a range of a source string, read lower-cased or not, with its FNV
 * hash) are collected first and given their ids all at once, by radix-sorting their hashes, instead of one
 * hash-table probe each.
 *
 * Why: a million emails (or phones, SSNs) make a lookup table of tens of MiB; every probe of it, and every
 * comparison with the value found there (a string somewhere in the caller's records), misses the cache. Sorting
 * streams through memory, and only occurrences whose hashes are equal are compared.
 */
import type { Arena } from "./Arena.ts"
import { radixSortPairs } from "./RadixSort.ts"
import { StringTable, sameRange } from "./StringTable.ts"

export class SortedInterner {
  private readonly arena: Arena
  private readonly sources: Array<string>
  private starts: Int32Array
  /** per occurrence: length × 2, + 1 when read lower-cased */
  private shapes: Int32Array
  private hashes: Int32Array
  private count = 0

  /** `expected`: about how many occurrences, so the lists rarely grow (a list that grows moves within `arena`) */
  constructor(arena: Arena, expected: number) {
    this.arena = arena
    const capacity = Math.max(16, expected)
    // made at its size: a million pushes would copy the array as it grows, in the collector's heap
    this.sources = new Array(capacity)
    this.starts = arena.int32(capacity)
    this.shapes = arena.int32(capacity)
    this.hashes = arena.int32(capacity)
  }

  /**
   * Notes an occurrence of `text.slice(start, end)` (lower-cased first when `lower`: ASCII letters only), whose FNV-1a
   * hash over those characters, as read, is `hash`; returns its occurrence number (0, 1, 2, …).
   */
  add(text: string, start: number, end: number, lower: boolean, hash: number): number {
    const at = this.count++
    if (at === this.hashes.length) this.grow()
    this.sources[at] = text
    this.starts[at] = start
    this.shapes[at] = (end - start) * 2 + (lower ? 1 : 0)
    this.hashes[at] = hash
    return at
  }

  /** Whether occurrences `a` and `b` hold the same value. */
  same(a: number, b: number): boolean {
    const shape = this.shapes[a] as number
    if ((this.hashes[a] as number) !== (this.hashes[b] as number) || shape >>> 1 !== (this.shapes[b] as number) >>> 1)
      return false
    return sameRange(
      this.sources[a] as string,
      this.starts[a] as number,
      (shape & 1) === 1,
      this.sources[b] as string,
      this.starts[b] as number,
      ((this.shapes[b] as number) & 1) === 1,
      shape >>> 1,
    )
  }

  /**
   * Gives every distinct value an id: returns the table of values (its arrays in `arena`) and each occurrence's id
   * (in `scratch`). Ids follow the order the values first occurred in. Occurrences with equal hashes are compared,
   * so a hash collision never merges two values.
   */
  resolve(arena: Arena, scratch: Arena): { readonly table: StringTable; readonly idOf: Int32Array } {
    const n = this.count
    // each occurrence's first occurrence of the same value (itself for a first one); the sort is stable, so the
    // first of a run of equal hashes is the earliest. Made first: the sort's arrays are given back once it is filled.
    const firstOf = scratch.int32(n)
    const mark = scratch.mark()
    const keys = scratch.int32(n)
    const order = scratch.int32(n)
    keys.set(this.hashes.subarray(0, n))
    for (let a = 0; a < n; a++) order[a] = a
    radixSortPairs(keys, order, scratch)
    // the distinct values of the current run, by their first occurrence: almost always just one
    const values: Array<number> = []
    for (let x = 0; x < n; ) {
      const head = order[x] as number
      let end = x + 1
      while (end < n && keys[end] === keys[x]) end++
      firstOf[head] = head
      if (end - x > 1) {
        values.length = 0
        values.push(head)
        for (let y = x + 1; y < end; y++) {
          const at = order[y] as number
          let first = -1
          for (let v = 0; v < values.length && first < 0; v++)
            if (this.same(at, values[v] as number)) first = values[v] as number
          if (first < 0) {
            first = at
            values.push(at)
          }
          firstOf[at] = first
        }
      }
      x = end
    }
    scratch.release(mark)
    let distinct = 0
    for (let at = 0; at < n; at++) if (firstOf[at] === at) distinct++
    const table = new StringTable({ copies: false, appendOnly: true, expected: distinct, arena })
    // ids in occurrence order: the first occurrences' data is read in sequence
    const idOf = firstOf
    for (let at = 0; at < n; at++) {
      const first = firstOf[at] as number
      if (first === at) {
        const shape = this.shapes[at] as number
        const start = this.starts[at] as number
        idOf[at] = table.appendDistinct(
          this.sources[at] as string,
          start,
          start + (shape >>> 1),
          (shape & 1) === 1,
          this.hashes[at] as number,
        )
      } else idOf[at] = idOf[first] as number
    }
    return { table, idOf }
  }

  private grow() {
    const capacity = this.hashes.length * 2
    const grow = (from: Int32Array) => {
      const to = this.arena.int32(capacity)
      to.set(from)
      return to
    }
    this.starts = grow(this.starts)
    this.shapes = grow(this.shapes)
    this.hashes = grow(this.hashes)
  }
}
