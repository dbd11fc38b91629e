/**
 * Edit distances for the "typo" comparison levels.
 */

const scratchSize = 128
const rows = [new Int32Array(scratchSize), new Int32Array(scratchSize), new Int32Array(scratchSize)] as const
const BIG = 1 << 20

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), or `limit + 1` as soon as it is
 * certain to exceed `limit`. Only the diagonal band of width `limit` is computed, with reused buffers.
 */
export const editDistance = (a: string, b: string, limit: number): number =>
  editDistanceOfRanges(a, 0, a.length, false, b, 0, b.length, false, limit)

/**
 * `editDistance` of `a.slice(aStart, aStart + n)` and `b.slice(bStart, bStart + m)`, each ASCII-lower-cased first
 * when its `fold` says so — read in place, so no string is made.
 */
export const editDistanceOfRanges = (
  a: string,
  aStart: number,
  n: number,
  aFold: boolean,
  b: string,
  bStart: number,
  m: number,
  bFold: boolean,
  limit: number,
): number => {
  if (Math.abs(n - m) > limit) return limit + 1
  // what both share at the start and at the end costs nothing (two addresses at one domain share the whole domain):
  // only the middle is aligned
  while (n > 0 && m > 0 && charAt(a, aStart, aFold) === charAt(b, bStart, bFold)) {
    aStart++
    bStart++
    n--
    m--
  }
  while (n > 0 && m > 0 && charAt(a, aStart + n - 1, aFold) === charAt(b, bStart + m - 1, bFold)) {
    n--
    m--
  }
  if (n === 0 || m === 0) return Math.max(n, m) > limit ? limit + 1 : Math.max(n, m)
  const big = m + 1 >= scratchSize
  let previous2 = big ? new Int32Array(m + 1) : rows[0]
  let previous = big ? new Int32Array(m + 1) : rows[1]
  let current = big ? new Int32Array(m + 1) : rows[2]
  for (let j = 0; j <= m; j++) {
    previous[j] = j <= limit ? j : BIG
    previous2[j] = BIG
  }
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - limit)
    const hi = Math.min(m, i + limit)
    current[0] = i <= limit ? i : BIG
    if (lo > 1) current[lo - 1] = BIG
    let rowMin = BIG
    const ai = charAt(a, aStart + i - 1, aFold)
    for (let j = lo; j <= hi; j++) {
      const bj = charAt(b, bStart + j - 1, bFold)
      let cost = (previous[j - 1] as number) + (ai === bj ? 0 : 1)
      const del = (previous[j] as number) + 1
      const ins = (current[j - 1] as number) + 1
      if (del < cost) cost = del
      if (ins < cost) cost = ins
      if (i > 1 && j > 1 && ai === charAt(b, bStart + j - 2, bFold) && charAt(a, aStart + i - 2, aFold) === bj) {
        const swap = (previous2[j - 2] as number) + 1
        if (swap < cost) cost = swap
      }
      current[j] = cost
      if (cost < rowMin) rowMin = cost
    }
    if (hi < m) current[hi + 1] = BIG
    if (rowMin > limit) return limit + 1
    const recycled = previous2
    previous2 = previous
    previous = current
    current = recycled
  }
  const result = previous[m] as number
  return result > limit ? limit + 1 : result
}

/** The character code at `index`, ASCII-lower-cased when `fold`. */
const charAt = (text: string, index: number, fold: boolean): number => {
  const code = text.charCodeAt(index)
  return fold && code >= 65 && code <= 90 ? code + 32 : code
}

const matchScratchA = new Uint8Array(scratchSize)
const matchScratchB = new Uint8Array(scratchSize)

/** Jaro–Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 characters). */
export const jaroWinkler = (a: string, b: string): number => {
  if (a === b) return 1
  const n = a.length
  const m = b.length
  if (n === 0 || m === 0) return 0
  const window = Math.max(0, Math.floor(Math.max(n, m) / 2) - 1)
  const big = n > scratchSize || m > scratchSize
  const matchedA = big ? new Uint8Array(n) : matchScratchA.fill(0, 0, n)
  const matchedB = big ? new Uint8Array(m) : matchScratchB.fill(0, 0, m)
  let matches = 0
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - window)
    const hi = Math.min(m - 1, i + window)
    for (let j = lo; j <= hi; j++) {
      if (matchedB[j] === 0 && a.charCodeAt(i) === b.charCodeAt(j)) {
        matchedA[i] = 1
        matchedB[j] = 1
        matches++
        break
      }
    }
  }
  if (matches === 0) return 0
  let transpositions = 0
  let k = 0
  for (let i = 0; i < n; i++) {
    if (matchedA[i] === 0) continue
    while (matchedB[k] === 0) k++
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++
    k++
  }
  const jaro = (matches / n + matches / m + (matches - transpositions / 2) / matches) / 3
  let prefix = 0
  while (prefix < 4 && prefix < n && prefix < m && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++
  return jaro + prefix * 0.1 * (1 - jaro)
}

/** Which characters a string holds, one bit per character code modulo 32 (letters: one bit each). */
export const characterMask = (text: string): number => {
  let mask = 0
  for (let i = 0; i < text.length; i++) mask |= 1 << (text.charCodeAt(i) & 31)
  return mask
}

/** How many bits of a 32-bit integer are set. */
export const bitCount = (value: number): number => {
  let v = value - ((value >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}

/**
 * Whether two strings with these character masks can be within `limit` edits: each edit adds or removes at most two
 * characters from the set difference, so more than 2 × limit differing characters rules it out without computing.
 */
export const mayBeWithinEdits = (maskA: number, maskB: number, limit: number): boolean =>
  bitCount(maskA ^ maskB) <= 2 * limit

/**
 * An upper bound of `jaroWinkler(a, b)` from which characters each holds (`maskA`, `maskB`): a character can only
 * match one the other string holds, so the matches are at most the characters of the shorter count that do.
 */
export const jaroWinklerBound = (a: string, maskA: number, b: string, maskB: number): number => {
  let inB = 0
  for (let i = 0; i < a.length; i++) if ((maskB & (1 << (a.charCodeAt(i) & 31))) !== 0) inB++
  let inA = 0
  for (let j = 0; j < b.length; j++) if ((maskA & (1 << (b.charCodeAt(j) & 31))) !== 0) inA++
  const matches = Math.min(inA, inB)
  if (matches === 0) return 0
  const jaro = (matches / a.length + matches / b.length + 1) / 3
  let prefix = 0
  while (prefix < 4 && prefix < a.length && prefix < b.length && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++
  return Math.min(1, jaro + prefix * 0.1 * (1 - jaro))
}

/** Same length, one substituted character or two adjacent ones swapped (`isOneKeystrokeNumber` for numbers). */
export const isOneKeystroke = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let first = -1
  let count = 0
  for (let i = 0; i < a.length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      if (count === 0) first = i
      count++
      if (count > 2) return false
    }
  }
  if (count === 1) return true
  return count === 2 && a[first] === b[first + 1] && a[first + 1] === b[first]
}

/**
 * Two numbers of `digits` digits (leading zeros counted) one substituted digit or one swap of adjacent digits apart:
 * YYYYMMDD dates, nine-digit SSNs (no strings read).
 */
export const isOneKeystrokeNumber = (a: number, b: number, digits: number): boolean => {
  // digits from the last: the two differing positions and the digits there
  let x = a
  let y = b
  let count = 0
  let position = -1
  let digitA = 0
  let digitB = 0
  let previousA = 0
  let previousB = 0
  for (let p = 0; p < digits; p++) {
    const dx = x % 10
    const dy = y % 10
    if (dx !== dy) {
      count++
      if (count > 2) return false
      if (count === 2 && p !== position + 1) return false
      if (count === 1) {
        previousA = dx
        previousB = dy
      } else {
        digitA = dx
        digitB = dy
      }
      position = p
    }
    x = (x / 10) | 0
    y = (y / 10) | 0
  }
  if (count === 1) return true
  // two adjacent digits swapped
  return count === 2 && digitA === previousB && digitB === previousA
}
