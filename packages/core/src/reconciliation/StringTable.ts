/**
 * An interning table for strings and substrings: every distinct value gets the next integer id. It hashes and
 * compares straight from the source text (optionally lower-casing ASCII on the fly), so looking up a name token or
 * an email allocates nothing unless the value is new — the hot path of preparing a million records.
 */
export class StringTable {
  readonly values: Array<string> = []
  private hashes = new Int32Array(1024)
  private slots = new Int32Array(2048).fill(-1)
  private mask = 2047

  get size(): number {
    return this.values.length
  }

  /** Every value's hash, by id (see `hashOf`). */
  hashArray(): Int32Array {
    return this.hashes.slice(0, this.values.length)
  }

  /** The hash of value `id`'s text: the same for the same text whatever order values arrived in. */
  hashOf(id: number): number {
    return this.hashes[id] as number
  }

  /** The id of `value`. */
  id(value: string): number {
    return this.idOfRange(value, 0, value.length, false)
  }

  /** The id of `text.slice(start, end)`, lower-cased first when `lower` (ASCII letters only). */
  idOfRange(text: string, start: number, end: number, lower: boolean): number {
    let hash = 0x811c9dc5
    for (let i = start; i < end; i++) {
      let code = text.charCodeAt(i)
      if (lower && code >= 65 && code <= 90) code += 32
      hash = Math.imul(hash ^ code, 0x01000193)
    }
    const length = end - start
    let slot = (hash ^ (hash >>> 15)) & this.mask
    for (;;) {
      const id = this.slots[slot] as number
      if (id === -1) break
      if (this.hashes[id] === hash) {
        const candidate = this.values[id] as string
        if (candidate.length === length) {
          let equal = true
          for (let i = 0; i < length; i++) {
            let code = text.charCodeAt(start + i)
            if (lower && code >= 65 && code <= 90) code += 32
            if (candidate.charCodeAt(i) !== code) {
              equal = false
              break
            }
          }
          if (equal) return id
        }
      }
      slot = (slot + 1) & this.mask
    }
    const id = this.values.length
    const raw = text.slice(start, end)
    this.values.push(lower ? raw.toLowerCase() : raw)
    if (id === this.hashes.length) {
      const grown = new Int32Array(id * 2)
      grown.set(this.hashes)
      this.hashes = grown
    }
    this.hashes[id] = hash
    this.slots[slot] = id
    if ((id + 1) * 2 > this.slots.length) this.grow()
    return id
  }

  private grow() {
    const capacity = this.slots.length * 2
    this.slots = new Int32Array(capacity).fill(-1)
    this.mask = capacity - 1
    for (let id = 0; id < this.values.length; id++) {
      const hash = this.hashes[id] as number
      let slot = (hash ^ (hash >>> 15)) & this.mask
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask
      this.slots[slot] = id
    }
  }
}
