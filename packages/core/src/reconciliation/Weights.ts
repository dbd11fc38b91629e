/**
 * The scoring model: Fellegi–Sunter agreement weights in bits, weight = log2(m / u), where m = P(level | same
 * person) and u = P(level | different people). See README.md ("Weights") for how each figure was set.
 *
 * Exact agreement on a name, birth date, email, phone or non-SSN id is frequency-adjusted per run: u is the share
 * of this customer's records carrying that very value (never below `floor`), so "Smith" counts for less than
 * "Quilliam", and a shared mailbox (`hr@…`) for almost nothing.
 */

/** An exact-agreement weight adjusted by the value's frequency: log2(m / max(frequency, floor)), clamped. */
export interface FrequencyWeight {
  readonly m: number
  readonly floor: number
  readonly min: number
  readonly max: number
}

export interface ScoringModel {
  readonly firstExact: FrequencyWeight
  readonly firstNickname: number
  readonly firstTypo: number
  readonly firstInitial: number
  readonly firstSimilar: number
  readonly firstDisagree: number
  readonly lastExact: FrequencyWeight
  readonly lastPart: number
  readonly lastTypo: number
  readonly lastSimilar: number
  readonly lastDisagree: number
  readonly swappedNamesPenalty: number
  readonly dobExact: FrequencyWeight
  readonly dobDayMonthSwap: number
  readonly dobTypo: number
  readonly dobSameYear: number
  readonly dobDisagree: number
  readonly ssnExact: number
  readonly otherIdExact: FrequencyWeight
  readonly ssnTypo: number
  readonly ssnDisagree: number
  readonly emailExact: FrequencyWeight
  readonly emailSameLocalPart: number
  readonly emailTypo: number
  readonly emailDisagreePersonal: number
  readonly phoneExact: FrequencyWeight
  readonly phoneDisagree: number
  readonly middleExact: number
  readonly middleInitial: number
  readonly middleDisagree: number
  readonly employeeNumberExact: number
  readonly startDateExact: number
  readonly residenceAgree: number
  readonly residenceDisagree: number
  /**
   * prior log-odds that two records of a run are one person: log2(partners / records), where `partners` is how
   * many other records of the same person a record has on average (1 for a typical multi-connection customer)
   */
  readonly partnersPerRecord: number
  /** a pair links when its posterior log-odds (weights + prior) reach this */
  readonly matchThreshold: number
  /** every pair inside a person must reach this (no chaining through weak links) */
  readonly cohesionThreshold: number
}

/** The default model (bits). */
export const defaultModel: ScoringModel = {
  firstExact: { m: 0.9, floor: 1 / 2000, min: 1, max: 11 },
  firstNickname: 5,
  firstTypo: 4,
  firstInitial: 1.5,
  firstSimilar: 0.5,
  firstDisagree: -4,
  lastExact: { m: 0.88, floor: 1 / 5000, min: 1, max: 12.3 },
  lastPart: 6,
  lastTypo: 4.5,
  lastSimilar: 1,
  lastDisagree: -3.5,
  swappedNamesPenalty: -1,
  dobExact: { m: 0.93, floor: 1 / 20000, min: 3, max: 14 },
  dobDayMonthSwap: 7,
  dobTypo: 6,
  dobSameYear: 0,
  dobDisagree: -4,
  ssnExact: 18,
  otherIdExact: { m: 0.9, floor: 1 / 1000000, min: 2, max: 16 },
  ssnTypo: 9,
  ssnDisagree: -4,
  emailExact: { m: 0.9, floor: 1 / 1000000, min: 0, max: 14 },
  emailSameLocalPart: 2,
  emailTypo: 5,
  emailDisagreePersonal: -1.5,
  phoneExact: { m: 0.9, floor: 1 / 1000000, min: 0, max: 12 },
  phoneDisagree: -1,
  middleExact: 2,
  middleInitial: 1,
  middleDisagree: -2.5,
  employeeNumberExact: 3,
  startDateExact: 2.5,
  residenceAgree: 1.5,
  residenceDisagree: -0.5,
  partnersPerRecord: 1,
  matchThreshold: 3,
  cohesionThreshold: 0,
}

/** The weight of exact agreement on a value held by `count` of `total` records (count ≥ 2 when two records agree). */
export const frequencyWeight = (weight: FrequencyWeight, count: number, total: number): number => {
  // leave-one-out: the chance that *another* record carries the value this one carries
  const u = Math.max((count - 1) / Math.max(total, 1), weight.floor)
  const bits = Math.log2(weight.m / u)
  return Math.min(weight.max, Math.max(weight.min, bits))
}
