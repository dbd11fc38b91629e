/**
 * The scoring model: Fellegi–Sunter agreement weights in bits, weight = log2(m / u), where m = P(level | same
 * person) and u = P(level | different people). See README.md ("Weights") for how each figure was set.
 *
 * The figures here are priors. Each run re-estimates them from its own data (Estimation.ts): u from a sample of
 * random pairs, m by expectation–maximisation over the candidate pairs, both smoothed towards these priors — so a
 * noisy source (many typos, replaced names) is judged by its own noise, and a clean one by its own.
 *
 * Exact agreement on names, birth dates, emails, phones and ids is frequency-adjusted: its u is the share of this
 * run's *other* records carrying that very value (never below the field's floor), so "Smith" counts for less than
 * "Quilliam", and a shared mailbox (`hr@…`) for almost nothing.
 */
import type { ComparedField } from "./Comparison.ts"

/** The prior m and u of one agreement level. */
export interface LevelPrior {
  readonly m: number
  readonly u: number
}

export interface ScoringModel {
  /** per field, per level (index = level; level 0, "missing", carries no evidence) */
  readonly levels: { readonly [F in ComparedField]: ReadonlyArray<LevelPrior> }
  /** lowest u of an exact value, per frequency-adjusted field (how rare a value can be taken to be) */
  readonly frequencyFloor: {
    readonly first_name: number
    readonly last_name: number
    readonly dob: number
    readonly ssn: number
    readonly email: number
    readonly phone: number
  }
  readonly swappedNamesPenalty: number
  /** re-estimate m and u from each run's data (default true) */
  readonly estimate: boolean
  /** how much belief the priors carry against the data: m in pairs, u in occurrences of the level */
  readonly priorStrength: { readonly m: number; readonly u: number }
  /** a pair links when its posterior log2-odds reach this */
  readonly matchThreshold: number
  /** a merge needs the average posterior log2-odds of its cross pairs to reach this (no chaining) */
  readonly cohesionThreshold: number
}

const level = (m: number, u: number): LevelPrior => ({ m, u })
const none = level(1, 1)

/** The default model. */
export const defaultModel: ScoringModel = {
  levels: {
    // missing, exact, nickname, typo, initial, similar, disagree
    first_name: [
      none,
      level(0.86, 0.004),
      level(0.04, 0.002),
      level(0.03, 0.001),
      level(0.01, 0.03),
      level(0.01, 0.02),
      level(0.05, 0.94),
    ],
    // missing, exact, part, typo, similar, disagree
    last_name: [
      none,
      level(0.86, 0.002),
      level(0.02, 0.0002),
      level(0.05, 0.0005),
      level(0.01, 0.01),
      level(0.06, 0.99),
    ],
    // missing, exact, day/month swap, typo, near (within a year, or the same day within ten years), disagree
    dob: [none, level(0.9, 0.00005), level(0.01, 0.00005), level(0.03, 0.0005), level(0.02, 0.03), level(0.04, 0.97)],
    // missing, exact, typo, disagree
    ssn: [none, level(0.9, 0.000001), level(0.05, 0.00001), level(0.05, 1)],
    // missing, exact, same local part, typo, disagree (work), disagree (both personal)
    email: [none, level(0.6, 0.000001), level(0.05, 0.0002), level(0.05, 0.00005), level(0.25, 0.9), level(0.05, 0.1)],
    // missing, exact, disagree
    phone: [none, level(0.7, 0.000001), level(0.3, 1)],
    // missing, exact, initial, disagree
    middle_name: [none, level(0.7, 0.01), level(0.2, 0.05), level(0.1, 0.94)],
    // missing, exact, disagree
    employee_number: [none, level(0.3, 0.01), level(0.7, 0.99)],
    start_date: [none, level(0.5, 0.002), level(0.5, 0.998)],
    // missing, address, street, locality, partial, disagree
    residence: [none, level(0.45, 0.00001), level(0.1, 0.0002), level(0.2, 0.01), level(0.1, 0.1), level(0.15, 0.9)],
  },
  frequencyFloor: {
    first_name: 1 / 2000,
    last_name: 1 / 5000,
    dob: 1 / 20000,
    ssn: 1e-7,
    email: 1e-7,
    phone: 1e-7,
  },
  swappedNamesPenalty: -1,
  estimate: true,
  priorStrength: { m: 40, u: 3 },
  matchThreshold: 2,
  cohesionThreshold: -3,
}

/** The information in an exact agreement on a value held by `count` of `total` records: −log2 u (u leave-one-out). */
export const frequencyBits = (count: number, total: number, floor: number): number =>
  -Math.log2(Math.max((count - 1) / Math.max(total - 1, 1), floor))
