/**
 * How many candidate pairs show each level pattern, counted in an open-addressing table of ints (a Map costs a
 * lookup and a boxed update per pair); `toMap` lists the patterns in first-seen order, as a Map would.
 */
export class PatternCounts {
  private slots = new Int32Array(1024).fill(-1)
  private keys = new Int32Array(512)
  private counts = new Float64Array(512)
  private size = 0

  add(packed: number) {
    const mask = this.slots.length - 1
    let slot = Math.imul(packed, 0x9e3779b1) >>> 0
    for (;;) {
      slot &= mask
      const index = this.slots[slot] as number
      if (index === -1) break
      if (this.keys[index] === packed) {
        this.counts[index] = (this.counts[index] as number) + 1
        return
      }
      slot++
    }
    if (this.size === this.keys.length) {
      const keys = new Int32Array(this.size * 2)
      keys.set(this.keys)
      this.keys = keys
      const counts = new Float64Array(this.size * 2)
      counts.set(this.counts)
      this.counts = counts
    }
    this.keys[this.size] = packed
    this.counts[this.size] = 1
    this.slots[slot] = this.size
    this.size++
    if (this.size * 2 > this.slots.length) this.rehash()
  }

  private rehash() {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1)
    const mask = this.slots.length - 1
    for (let index = 0; index < this.size; index++) {
      let slot = (Math.imul(this.keys[index] as number, 0x9e3779b1) >>> 0) & mask
      while (this.slots[slot] !== -1) slot = (slot + 1) & mask
      this.slots[slot] = index
    }
  }

  toMap(): Map<number, number> {
    const map = new Map<number, number>()
    for (let index = 0; index < this.size; index++) map.set(this.keys[index] as number, this.counts[index] as number)
    return map
  }
}
