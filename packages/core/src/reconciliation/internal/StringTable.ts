/**
 * An interning table for strings and substrings: every distinct value gets the next integer id. It hashes and
 * compares straight from the source text (optionally lower-casing ASCII on the fly), so looking up a name token or
 * an email allocates nothing unless the value is new — the hot path of preparing a million records.
 *
 * A table made with `{ copies: false }` does not even copy a new value: it keeps a reference to the text it came
 * from and the range, and makes the string only when asked (`text`, `values`). A million emails and their local
 * parts then cost no new strings at all — strings the collector would otherwise promote and mark again and again.
 */
import type { Arena } from "./Arena.ts"

/** FNV-1a, 32 bits: what a value's hash is (`hashOf`), here and for callers that hash as they scan */
export const FNV_OFFSET = 0x811c9dc5
export const FNV_PRIME = 0x01000193

/** The FNV-1a hash of `text.slice(start, end)` (lower-cased first when `lower`): the hash a table gives that value. */
export const hashRange = (text: string, start: number, end: number, lower: boolean): number => {
  let hash = FNV_OFFSET
  for (let i = start; i < end; i++) {
    let code = text.charCodeAt(i)
    if (lower && code >= 65 && code <= 90) code += 32
    hash = Math.imul(hash ^ code, FNV_PRIME)
  }
  return hash
}

/** Whether two ranges of `length` characters hold the same text (each lower-cased first, ASCII only, when its `fold` says so). */
export const sameRange = (
  a: string,
  aStart: number,
  aFold: boolean,
  b: string,
  bStart: number,
  bFold: boolean,
  length: number,
): boolean => {
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(aStart + i)
    let y = b.charCodeAt(bStart + i)
    if (aFold && x >= 65 && x <= 90) x += 32
    if (bFold && y >= 65 && y <= 90) y += 32
    if (x !== y) return false
  }
  return true
}

export interface StringTableOptions {
  /** whether a new value's string is made at once (default true; see above) */
  readonly copies?: boolean
  /** about how many values to expect, so the table rarely grows */
  readonly expected?: number
  /** where the table's arrays live (default: ordinary arrays) */
  readonly arena?: Arena
  /**
   * where the lookup slots live (default: with the rest); lookups end before reading the values does, so they can
   * go in memory released sooner
   */
  readonly slotsArena?: Arena
  /** filled by `appendDistinct` alone (a `SortedInterner` decides the ids): no lookup slots are made */
  readonly appendOnly?: boolean
}

export class StringTable {
  private readonly copies: boolean
  private readonly arena: Arena | undefined
  private readonly slotsArena: Arena | undefined
  private readonly sources: Array<string>
  private starts: Int32Array
  /** per id: length × 2, + 1 when the source range is read lower-cased */
  private shapes: Int32Array
  private hashes: Int32Array
  /** open addressing, two ints a slot: the value's hash and its id (-1: empty), so a probe is one cache miss */
  private slots: Int32Array
  private mask: number
  private count = 0
  private made: Array<string> | undefined
  /**
   * a copying table's characters, every value's after the other (value `id` from `poolStarts[id]`): a lookup compares
   * with this small, dense array, not with a string somewhere in the heap (a cache miss each)
   */
  private pool = new Uint16Array(0)
  private poolStarts = new Int32Array(0)
  private poolLength = 0
  private readonly appendOnly: boolean

  constructor(options: StringTableOptions = {}) {
    this.copies = options.copies ?? true
    this.arena = options.arena
    this.slotsArena = options.slotsArena ?? options.arena
    if (this.copies) {
      this.made = []
      this.pool = new Uint16Array(1024)
    }
    let capacity = 1024
    while (capacity < (options.expected ?? 0)) capacity *= 2
    this.starts = this.ints(capacity)
    this.shapes = this.ints(capacity)
    this.hashes = this.ints(capacity)
    this.appendOnly = options.appendOnly === true
    // an appendOnly table knows its size: its sources are made at that size, not grown push by push
    this.sources = this.appendOnly ? new Array(capacity) : []
    this.slots = this.appendOnly ? new Int32Array(0) : this.slotInts(capacity * 4).fill(-1)
    this.mask = capacity * 2 - 1
  }

  private ints(length: number): Int32Array {
    return this.arena === undefined ? new Int32Array(length) : this.arena.int32(length)
  }

  private slotInts(length: number): Int32Array {
    return this.slotsArena === undefined ? new Int32Array(length) : this.slotsArena.int32(length)
  }

  get size(): number {
    return this.count
  }

  /** Every value's text, by id (made once for a non-copying table; ask after the last insertion). */
  get values(): ReadonlyArray<string> {
    if (this.made === undefined || this.made.length !== this.count) {
      const made = this.made ?? []
      for (let id = made.length; id < this.count; id++) made.push(this.text(id))
      this.made = made
    }
    return this.made
  }

  /** Value `id`'s text. */
  text(id: number): string {
    if (this.made !== undefined && id < this.made.length) return this.made[id] as string
    const start = this.starts[id] as number
    const shape = this.shapes[id] as number
    const raw = (this.sources[id] as string).slice(start, start + (shape >>> 1))
    return (shape & 1) === 1 ? raw.toLowerCase() : raw
  }

  /** Value `id`'s length. */
  lengthOf(id: number): number {
    return (this.shapes[id] as number) >>> 1
  }

  /** The character code at `index` of value `id` (lower-cased when the table read it so). */
  charCodeAt(id: number, index: number): number {
    const code = (this.sources[id] as string).charCodeAt((this.starts[id] as number) + index)
    return ((this.shapes[id] as number) & 1) === 1 && code >= 65 && code <= 90 ? code + 32 : code
  }

  /** The text value `id` was read from, where in it the value starts, and whether it is read lower-cased. */
  sourceOf(id: number): string {
    return this.sources[id] as string
  }

  startOf(id: number): number {
    return this.starts[id] as number
  }

  foldsCase(id: number): boolean {
    return ((this.shapes[id] as number) & 1) === 1
  }

  /** The id of value `id`'s characters `from`..`to` in `table` (no string made). */
  sliceInto(table: StringTable, id: number, from: number, to: number): number {
    const start = this.starts[id] as number
    return table.idOfRange(
      this.sources[id] as string,
      start + from,
      start + to,
      ((this.shapes[id] as number) & 1) === 1,
    )
  }

  /** The hash of value `id`'s text: the same for the same text whatever order values arrived in. */
  hashOf(id: number): number {
    return this.hashes[id] as number
  }

  /** Every value's hash, by id (see `hashOf`): a view, valid until the table grows. */
  hashArray(): Int32Array {
    return this.hashes.subarray(0, this.count)
  }

  /** The id of `value`. */
  id(value: string): number {
    return this.idOfRange(value, 0, value.length, false)
  }

  /** The id of `text.slice(start, end)`, lower-cased first when `lower` (ASCII letters only). */
  idOfRange(text: string, start: number, end: number, lower: boolean): number {
    return this.idOfHashedRange(text, start, end, lower, hashRange(text, start, end, lower))
  }

  /** `idOfRange` for a caller that already hashed the range (FNV-1a over its characters, folded when `lower`). */
  idOfHashedRange(text: string, start: number, end: number, lower: boolean, hash: number): number {
    if (this.appendOnly) throw new Error("an appendOnly table cannot look values up")
    const length = end - start
    let slot = (hash ^ (hash >>> 15)) & this.mask
    for (;;) {
      const id = this.slots[2 * slot + 1] as number
      if (id === -1) break
      if (this.slots[2 * slot] === hash && this.equals(id, text, start, length, lower)) return id
      slot = (slot + 1) & this.mask
    }
    const id = this.count++
    if (id === this.hashes.length) this.growColumns()
    this.hashes[id] = hash
    if (this.copies) {
      // the copy becomes the source: lookups then compare against a small, often-read string, not one somewhere in
      // the caller's records (a cache miss each)
      const raw = text.slice(start, end)
      // lower-cased as lookups read it (ASCII letters only), so the same value is found again whatever else it holds
      const value = lower ? raw.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : raw
      ;(this.made as Array<string>).push(value)
      this.sources.push(value)
      this.starts[id] = 0
      this.shapes[id] = length * 2
      this.addToPool(id, value)
    } else {
      this.sources.push(text)
      this.starts[id] = start
      this.shapes[id] = length * 2 + (lower ? 1 : 0)
    }
    this.slots[2 * slot] = hash
    this.slots[2 * slot + 1] = id
    if ((id + 1) * 2 > this.mask + 1) this.growSlots()
    return id
  }

  /**
   * Adds a value the caller knows is not in the table yet (`SortedInterner` interns by sorting, not by lookup) and
   * returns its id (an `appendOnly` table: it keeps no lookup slots, so looking a value up in it is an error).
   */
  appendDistinct(text: string, start: number, end: number, lower: boolean, hash: number): number {
    if (!this.appendOnly || this.copies) throw new Error("appendDistinct needs { appendOnly: true, copies: false }")
    const id = this.count++
    if (id === this.hashes.length) this.growColumns()
    this.hashes[id] = hash
    this.sources[id] = text
    this.starts[id] = start
    this.shapes[id] = (end - start) * 2 + (lower ? 1 : 0)
    return id
  }

  private equals(id: number, text: string, start: number, length: number, lower: boolean): boolean {
    const shape = this.shapes[id] as number
    if (shape >>> 1 !== length) return false
    if (this.copies) {
      const pool = this.pool
      const from = this.poolStarts[id] as number
      for (let i = 0; i < length; i++) {
        let a = text.charCodeAt(start + i)
        if (lower && a >= 65 && a <= 90) a += 32
        if (a !== pool[from + i]) return false
      }
      return true
    }
    return sameRange(
      text,
      start,
      lower,
      this.sources[id] as string,
      this.starts[id] as number,
      (shape & 1) === 1,
      length,
    )
  }

  private addToPool(id: number, value: string) {
    if (id >= this.poolStarts.length) {
      const grown = new Int32Array(Math.max(1024, this.poolStarts.length * 2))
      grown.set(this.poolStarts)
      this.poolStarts = grown
    }
    if (this.poolLength + value.length > this.pool.length) {
      const grown = new Uint16Array(Math.max(this.pool.length * 2, this.poolLength + value.length))
      grown.set(this.pool)
      this.pool = grown
    }
    this.poolStarts[id] = this.poolLength
    for (let i = 0; i < value.length; i++) this.pool[this.poolLength + i] = value.charCodeAt(i)
    this.poolLength += value.length
  }

  private growColumns() {
    const capacity = this.hashes.length * 2
    const grow = (from: Int32Array) => {
      const to = this.ints(capacity)
      to.set(from)
      return to
    }
    this.hashes = grow(this.hashes)
    this.starts = grow(this.starts)
    this.shapes = grow(this.shapes)
  }

  private growSlots() {
    const capacity = (this.mask + 1) * 2
    this.slots = this.slotInts(capacity * 2).fill(-1)
    this.mask = capacity - 1
    for (let id = 0; id < this.count; id++) {
      const hash = this.hashes[id] as number
      let slot = (hash ^ (hash >>> 15)) & this.mask
      while (this.slots[2 * slot + 1] !== -1) slot = (slot + 1) & this.mask
      this.slots[2 * slot] = hash
      this.slots[2 * slot + 1] = id
    }
  }
}
