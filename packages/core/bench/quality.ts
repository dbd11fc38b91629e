/**
 * Quick quality table over the public sets (also part of `pnpm bench`), each under both data-quality settings:
 * `reliable` (the default, precision first) and `noisy` (registers with mistyped dates, recall first).
 */
import { reconcileSync } from "../src/reconciliation/Reconciliation.ts"
import { fake1000, febrl, type LabelledSet } from "./Datasets.ts"
import { constraintViolations, pairwiseQuality } from "./Metrics.ts"

/** The set without its e-mails: names, birth dates and places only, as noisy historical person records hold. */
export const withoutEmails = (set: LabelledSet): LabelledSet => ({
  ...set,
  name: `${set.name} without e-mails`,
  records: set.records.map((record) => ({ ...record, individual: { ...record.individual, emails: null } })),
})

export const labelledSets = (): Array<LabelledSet> => [
  febrl("febrl1.csv", { withSsn: true }),
  febrl("febrl1.csv", { withSsn: false }),
  febrl("febrl2.csv", { withSsn: true }),
  febrl("febrl2.csv", { withSsn: false }),
  febrl("febrl1.csv", { withSsn: true, withAddress: false }),
  febrl("febrl1.csv", { withSsn: false, withAddress: false }),
  febrl("febrl2.csv", { withSsn: true, withAddress: false }),
  febrl("febrl2.csv", { withSsn: false, withAddress: false }),
  fake1000({ withCity: true }),
  fake1000({ withCity: false }),
  withoutEmails(fake1000({ withCity: true })),
  withoutEmails(fake1000({ withCity: false })),
]

export const qualityRows = () =>
  labelledSets().flatMap((set) =>
    (["reliable", "noisy"] as const).map((dataQuality) => {
      const result = reconcileSync(set.records, { dataQuality })
      if (!("personIds" in result)) throw new Error(result.message)
      const quality = pairwiseQuality(result.personOfRecord, set.truth)
      return {
        set: set.name,
        "data quality": dataQuality,
        records: set.records.length,
        truePairs: quality.truePairs,
        predictedPairs: quality.predictedPairs,
        precision: quality.precision.toFixed(4),
        recall: quality.recall.toFixed(4),
        f1: quality.f1.toFixed(4),
        violations: constraintViolations(set.records, result.personOfRecord),
        candidatePairs: result.stats.candidatePairs,
      }
    }),
  )

if (import.meta.main) console.table(qualityRows())
