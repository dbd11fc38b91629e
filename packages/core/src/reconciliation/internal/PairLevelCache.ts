/**
 * A direct-mapped cache of comparison levels for pairs of value ids (name tokens), sized to the run: a pair that
 * lands on a taken slot replaces its pair.
 */
import type { Arena } from "./Arena.ts"

/** 2^16 to 2^20 slots of 16 bytes — a, b, level and a spare int — so four share a cache line. */
export class PairLevelCache {
  private readonly slots: Int32Array
  private readonly shift: number
  private slot = 0

  /** `bits`: log2 of the slot count; `arena`: where the slots live (by default an ordinary array) */
  constructor(bits: number, arena: Arena | undefined) {
    this.slots = (arena === undefined ? new Int32Array(4 << bits) : arena.int32(4 << bits)).fill(-1)
    this.shift = 32 - bits
  }

  /** A cache for a run of `records`: big runs meet many name pairs. */
  static forRecords(records: number, arena: Arena | undefined): PairLevelCache {
    return new PairLevelCache(Math.min(20, Math.max(16, Math.ceil(Math.log2(Math.max(records, 1))) + 1)), arena)
  }

  /** The cached level of (a, b), or -1; `store` then fills the same slot. */
  lookup(a: number, b: number): number {
    this.slot = ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> this.shift) << 2
    return this.slots[this.slot] === a && this.slots[this.slot + 1] === b ? (this.slots[this.slot + 2] as number) : -1
  }

  /** Caches the level of the pair last looked up and returns it. */
  store(a: number, b: number, level: number): number {
    this.slots[this.slot] = a
    this.slots[this.slot + 1] = b
    this.slots[this.slot + 2] = level
    return level
  }
}
