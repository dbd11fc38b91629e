/** A small seeded pseudo-random generator: the same seed and key always give the same data. */
export interface Random {
  /** A float in [0, 1). */
  readonly next: () => number
  /** An integer in [min, max]. */
  readonly int: (min: number, max: number) => number
  /** One element of a non-empty array. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  /** True with the given probability. */
  readonly chance: (probability: number) => boolean
  /** A version-4 shaped UUID drawn from this stream. */
  readonly uuid: () => string
  /** A string of decimal digits. */
  readonly digits: (length: number) => string
}

/** FNV-1a over a string, used to derive independent streams from (seed, key). */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A stream for `key` under `seed`; streams for different keys do not depend on each other's use. */
export const make = (seed: number, key = ""): Random => {
  // mulberry32
  let state = hash(`${seed}:${key}`) || 1
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const hex = (n: number) => {
    let out = ""
    for (let i = 0; i < n; i++) out += "0123456789abcdef"[int(0, 15)]
    return out
  }
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number],
    chance: (probability) => next() < probability,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[int(0, 3)]}${hex(3)}-${hex(12)}`,
    digits: (length) => {
      let out = ""
      for (let i = 0; i < length; i++) out += String(int(0, 9))
      return out
    },
  }
}
