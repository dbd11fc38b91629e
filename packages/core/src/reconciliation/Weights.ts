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
import { type ComparedField, Level, type LevelName } from "./Levels.ts"

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

/** A field's priors by level name, as the array `ScoringModel.levels` holds (level 0, `missing`, carries none). */
const priorsOf = <F extends ComparedField>(
  field: F,
  priors: { readonly [L in Exclude<LevelName<F>, "missing">]: LevelPrior },
): ReadonlyArray<LevelPrior> => {
  const byLevel: Array<LevelPrior> = [level(1, 1)]
  for (const [name, prior] of Object.entries(priors) as Array<[LevelName<F>, LevelPrior]>)
    byLevel[Level[field][name] as number] = prior
  return byLevel
}

/** The default model. */
export const defaultModel: ScoringModel = {
  levels: {
    first_name: priorsOf("first_name", {
      exact: level(0.86, 0.004),
      nickname: level(0.04, 0.002),
      typo: level(0.03, 0.001),
      initial: level(0.01, 0.03),
      similar: level(0.01, 0.02),
      disagree: level(0.05, 0.94),
    }),
    last_name: priorsOf("last_name", {
      exact: level(0.86, 0.002),
      part: level(0.02, 0.0002),
      typo: level(0.05, 0.0005),
      similar: level(0.01, 0.01),
      disagree: level(0.06, 0.99),
    }),
    dob: priorsOf("dob", {
      exact: level(0.9, 0.00005),
      day_month_swap: level(0.01, 0.00005),
      typo: level(0.03, 0.0005),
      near: level(0.02, 0.03),
      disagree: level(0.04, 0.97),
    }),
    ssn: priorsOf("ssn", { exact: level(0.9, 0.000001), typo: level(0.05, 0.00001), disagree: level(0.05, 1) }),
    email: priorsOf("email", {
      exact: level(0.6, 0.000001),
      same_local_part: level(0.05, 0.0002),
      typo: level(0.05, 0.00005),
      disagree: level(0.25, 0.9),
      disagree_personal: level(0.05, 0.1),
    }),
    phone: priorsOf("phone", { exact: level(0.7, 0.000001), disagree: level(0.3, 1) }),
    middle_name: priorsOf("middle_name", {
      exact: level(0.7, 0.01),
      initial: level(0.2, 0.05),
      disagree: level(0.1, 0.94),
    }),
    employee_number: priorsOf("employee_number", { exact: level(0.3, 0.01), disagree: level(0.7, 0.99) }),
    start_date: priorsOf("start_date", { exact: level(0.5, 0.002), disagree: level(0.5, 0.998) }),
    residence: priorsOf("residence", {
      address: level(0.45, 0.00001),
      street: level(0.1, 0.0002),
      locality: level(0.2, 0.01),
      partial: level(0.1, 0.1),
      disagree: level(0.15, 0.9),
    }),
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

/**
 * The model for noisy records (`ReconcileOptions.dataQuality: "noisy"`): historical registers and hand-copied lists,
 * where names go missing and dates are often mistyped. A pair links at even odds (posterior log2-odds ≥ 0, where
 * payroll asks 4:1), and a merge needs its cross pairs to average −10 bits (payroll −3): a person's records there
 * disagree with each other too often for a tight group. Chosen on fake_1000 without e-mails (F1 0.78 → 0.85,
 * precision 1.0) with FEBRL checked alongside.
 */
export const noisyRecordsModel: ScoringModel = { ...defaultModel, matchThreshold: 0, cohesionThreshold: -10 }
