/**
 * Pairwise quality of a clustering against the truth, and the constraint check every run must pass.
 */
import { dateToInt, isWellFormedSsn, normalizeSsn } from "../src/reconciliation/internal/Normalize.ts"
import type { SourceRecord } from "../src/reconciliation/SourceRecord.ts"

export interface PairwiseQuality {
  readonly truePairs: number
  readonly predictedPairs: number
  readonly correctPairs: number
  readonly precision: number
  readonly recall: number
  readonly f1: number
}

const pairs = (n: number) => (n * (n - 1)) / 2

/** Precision/recall/F1 over record pairs; `predicted[k]` and `truth[k]` label record k. */
export const pairwiseQuality = (
  predicted: ArrayLike<number | string>,
  truth: ArrayLike<number | string>,
): PairwiseQuality => {
  const byPredicted = new Map<number | string, number>()
  const byTruth = new Map<number | string, number>()
  const byBoth = new Map<string, number>()
  for (let k = 0; k < predicted.length; k++) {
    const p = predicted[k] as number | string
    const t = truth[k] as number | string
    byPredicted.set(p, (byPredicted.get(p) ?? 0) + 1)
    byTruth.set(t, (byTruth.get(t) ?? 0) + 1)
    const both = `${p}\u0000${t}`
    byBoth.set(both, (byBoth.get(both) ?? 0) + 1)
  }
  let predictedPairs = 0
  let truePairs = 0
  let correctPairs = 0
  for (const n of byPredicted.values()) predictedPairs += pairs(n)
  for (const n of byTruth.values()) truePairs += pairs(n)
  for (const n of byBoth.values()) correctPairs += pairs(n)
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { truePairs, predictedPairs, correctPairs, precision, recall, f1 }
}

/** One substituted character, or two characters swapped (written plainly, not as the engine does). */
const oneKeystroke = (x: string, y: string): boolean => {
  let differing = 0
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) differing++
  return (
    x.length === y.length && (differing <= 1 || (differing === 2 && [...x].sort().join("") === [...y].sort().join("")))
  )
}

/** Persons holding two records of one connection+entity, or two well-formed SSNs more than a keystroke apart. */
export const constraintViolations = (
  records: ReadonlyArray<SourceRecord>,
  personOfRecord: ArrayLike<number>,
): number => {
  const groupsSeen = new Set<string>()
  const ssnsOf = new Map<number, Set<string>>()
  let violations = 0
  for (let k = 0; k < records.length; k++) {
    const record = records[k] as SourceRecord
    const person = personOfRecord[k] as number
    const key = `${person}\u0000${record.connection_id}\u0000${record.entity_id ?? ""}`
    if (groupsSeen.has(key)) violations++
    groupsSeen.add(key)
    const ssn = normalizeSsn(record.individual.ssn)
    if (isWellFormedSsn(ssn)) ssnsOf.set(person, (ssnsOf.get(person) ?? new Set()).add(ssn))
  }
  for (const ssns of ssnsOf.values()) {
    const list = [...ssns]
    for (let a = 0; a < list.length; a++)
      for (let b = a + 1; b < list.length; b++) if (!oneKeystroke(list[a] as string, list[b] as string)) violations++
  }
  return violations
}

/** Two YYYYMMDD dates that are neither equal, nor a one-keystroke typo, nor a day/month swap of each other. */
export const datesConflict = (x: string, y: string): boolean =>
  x !== y &&
  !(x.slice(0, 4) === y.slice(0, 4) && x.slice(4, 6) === y.slice(6, 8) && x.slice(6, 8) === y.slice(4, 6)) &&
  !oneKeystroke(x, y)

/**
 * Pairs of records of one predicted person whose complete birth dates conflict (`datesConflict`) and who are two
 * different people in `truth`: a false merge that mixed two people's birth dates, whatever bridged them.
 */
export const mergedBirthDateConflicts = (
  records: ReadonlyArray<SourceRecord>,
  personOfRecord: ArrayLike<number>,
  truth: ArrayLike<number | string>,
): number => {
  const membersOf = new Map<number, Array<number>>()
  for (let k = 0; k < records.length; k++) {
    const person = personOfRecord[k] as number
    membersOf.set(person, [...(membersOf.get(person) ?? []), k])
  }
  let conflicts = 0
  for (const members of membersOf.values()) {
    const dated = members.flatMap((k) => {
      const dob = dateToInt((records[k] as SourceRecord).individual.dob)
      return dob === 0 ? [] : [{ k, dob: String(dob) }]
    })
    for (let a = 0; a < dated.length; a++)
      for (let b = a + 1; b < dated.length; b++) {
        const x = dated[a] as { k: number; dob: string }
        const y = dated[b] as { k: number; dob: string }
        if (truth[x.k] !== truth[y.k] && datesConflict(x.dob, y.dob)) conflicts++
      }
  }
  return conflicts
}
