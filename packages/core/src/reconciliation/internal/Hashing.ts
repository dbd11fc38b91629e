/**
 * Stable hashes: the same value hashes the same on every run and platform, so record order, blocking keys and new
 * person ids depend on content alone.
 */

/** 32-bit FNV-1a hash of a string (stable across runs and platforms). */
export const hashString = (text: string, seed = 0x811c9dc5): number => {
  let hash = seed
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Mixes integers into a 32-bit hash (murmur3 finaliser per step). */
export const hashInts = (a: number, b: number, c: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f)
  h ^= h >>> 15
  return h >>> 0
}
