/**
 * Per-run estimation of the Fellegi–Sunter parameters, smoothed towards the model's priors: u (how often a level
 * occurs between different people) from a sample of random record pairs, m (how often it occurs within one
 * person) by expectation–maximisation over the candidates' level patterns, with the share of matches among
 * candidates fixed from the prior model (EM over blocked pairs would overestimate it). Deterministic: the sample is drawn with a fixed seed over the canonical order.
 */
import type { Comparator } from "./Comparison.ts"
import { mulberry32 } from "./internal/Random.ts"
import { comparedFields, MISSING, SWAPPED_NAMES } from "./Levels.ts"
import type { ScoringModel } from "./Weights.ts"

export interface Estimate {
  readonly m: Array<Array<number>>
  readonly u: Array<Array<number>>
  readonly matchShare: number
}

const FIELDS = comparedFields.length

const priors = (model: ScoringModel, key: "m" | "u") =>
  comparedFields.map((field) => model.levels[field].map((level) => level[key]))

/** u per field and level from `samples` random pairs of different records. */
export const estimateU = (comparator: Comparator, model: ScoringModel, samples: number): Array<Array<number>> => {
  const n = comparator.data.size
  const counts = new Float64Array(FIELDS * 8)
  const present = new Float64Array(FIELDS)
  const next = mulberry32(0x5eed)
  const total = n < 2 ? 0 : Math.min(samples, (n * (n - 1)) / 2)
  // records are drawn by their rank in (hash of record id, id) order: the sample depends on the ids alone, not on
  // how records are laid out in memory
  const byRank = new Int32Array(n)
  for (let k = 0; k < n; k++) byRank[comparator.data.hashRank[k] as number] = k
  for (let s = 0; s < total; s++) {
    const x = Math.floor(next() * n)
    let y = Math.floor(next() * (n - 1))
    if (y >= x) y++
    const i = byRank[x] as number
    const j = byRank[y] as number
    comparator.compareLevels(Math.min(i, j), Math.max(i, j))
    const packed = comparator.packed
    for (let f = 0; f < FIELDS; f++) {
      const level = (packed >>> (f * 3)) & 7
      if (level === MISSING) continue
      counts[f * 8 + level] = (counts[f * 8 + level] as number) + 1
      present[f] = (present[f] as number) + 1
    }
  }
  // Beta prior with mean = the model's u, worth `priorStrength.u` occurrences: a level the sample never saw keeps
  // roughly its prior instead of collapsing to zero (and its weight to infinity)
  const occurrences = model.priorStrength.u
  return priors(model, "u").map((levels, f) =>
    levels.map((prior, level) =>
      level === MISSING
        ? 1
        : ((counts[f * 8 + level] as number) + occurrences) / ((present[f] as number) + occurrences / prior),
    ),
  )
}

/** m and the match share by EM over candidate level patterns (`patterns` → how many candidate pairs show it). */
export const estimateM = (
  patterns: Map<number, number>,
  u: ReadonlyArray<ReadonlyArray<number>>,
  model: ScoringModel,
  matchShare: number,
  iterations = 25,
): Estimate => {
  const keys = Int32Array.from(patterns.keys())
  const weights = Float64Array.from(patterns.values())
  const mPrior = priors(model, "m")
  let m = mPrior.map((levels) => [...levels])
  const share = matchShare
  const strength = model.priorStrength
  const logU = u.map((levels) => levels.map((value) => Math.log2(Math.max(value, 1e-12))))
  for (let iteration = 0; iteration < iterations; iteration++) {
    const logM = m.map((levels) => levels.map((value) => Math.log2(Math.max(value, 1e-12))))
    const numerators = new Float64Array(FIELDS * 8)
    const denominators = new Float64Array(FIELDS)
    const priorOdds = Math.log2(share / (1 - share))
    for (let p = 0; p < keys.length; p++) {
      const packed = (keys[p] as number) & ~SWAPPED_NAMES
      let odds = priorOdds
      for (let f = 0; f < FIELDS; f++) {
        const level = (packed >>> (f * 3)) & 7
        if (level === MISSING) continue
        odds += ((logM[f] as Array<number>)[level] as number) - ((logU[f] as Array<number>)[level] as number)
      }
      const probability = odds > 50 ? 1 : odds < -50 ? 0 : 1 / (1 + 2 ** -odds)
      const g = probability * (weights[p] as number)
      for (let f = 0; f < FIELDS; f++) {
        const level = (packed >>> (f * 3)) & 7
        if (level === MISSING) continue
        numerators[f * 8 + level] = (numerators[f * 8 + level] as number) + g
        denominators[f] = (denominators[f] as number) + g
      }
    }
    // the share of matches among candidates stays fixed (EM over blocked pairs would overestimate it)
    // the data may move each m at most fourfold from its prior: EM must not talk itself into a "match" class made
    // of namesakes or shared birthdays (a known failure mode when blocking favours them)
    m = mPrior.map((levels, f) =>
      levels.map((prior, level) =>
        level === MISSING
          ? 1
          : Math.min(
              prior * 4,
              Math.max(
                prior / 4,
                ((numerators[f * 8 + level] as number) + strength.m * prior) /
                  ((denominators[f] as number) + strength.m),
              ),
            ),
      ),
    )
  }
  return { m, u: u.map((levels) => [...levels]), matchShare: share }
}
