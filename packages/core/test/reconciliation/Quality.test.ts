import { describe, expect, it } from "vitest"
import { fake1000, febrl, type LabelledSet } from "../../bench/Datasets.ts"
import { generateEmployees, random } from "../../bench/EmployeeGenerator.ts"
import { constraintViolations, pairwiseQuality } from "../../bench/Metrics.ts"
import { persons, type Reconciliation, reconcileSync } from "../../src/reconciliation/Reconciliation.ts"

const run = (set: Pick<LabelledSet, "records">): Reconciliation => {
  const result = reconcileSync(set.records)
  if (!("personIds" in result)) throw new Error(result.message)
  return result
}

// Floors sit a little below what the engine reaches today (see src/reconciliation/README.md), so a regression fails.
const floors: ReadonlyArray<readonly [() => LabelledSet, { precision: number; f1: number }]> = [
  [() => febrl("febrl1.csv", { withSsn: true }), { precision: 0.99, f1: 0.993 }],
  [() => febrl("febrl1.csv", { withSsn: false }), { precision: 0.99, f1: 0.98 }],
  [() => febrl("febrl2.csv", { withSsn: true }), { precision: 0.99, f1: 0.995 }],
  [() => febrl("febrl2.csv", { withSsn: false }), { precision: 0.99, f1: 0.98 }],
  // names and birth dates only (and the id): what a mapping without the address leaves
  [() => febrl("febrl1.csv", { withSsn: true, withAddress: false }), { precision: 0.99, f1: 0.975 }],
  [() => febrl("febrl1.csv", { withSsn: false, withAddress: false }), { precision: 0.99, f1: 0.94 }],
  [() => febrl("febrl2.csv", { withSsn: true, withAddress: false }), { precision: 0.99, f1: 0.98 }],
  [() => febrl("febrl2.csv", { withSsn: false, withAddress: false }), { precision: 0.99, f1: 0.91 }],
  [() => fake1000(), { precision: 0.99, f1: 0.86 }],
]

describe("reconciliation quality on public sets with truth", () => {
  for (const [load, floor] of floors) {
    const set = load()
    it(`${set.name}: precision ≥ ${floor.precision}, F1 ≥ ${floor.f1}, no constraint violated`, () => {
      const result = run(set)
      const quality = pairwiseQuality(result.personOfRecord, set.truth)
      expect(quality.precision).toBeGreaterThanOrEqual(floor.precision)
      expect(quality.f1).toBeGreaterThanOrEqual(floor.f1)
      expect(constraintViolations(set.records, result.personOfRecord)).toBe(0)
    })
  }

  it("employee-shaped generated data: precision ≥ 0.998, recall ≥ 0.94, no violations, order-independent", () => {
    const set = generateEmployees({ records: 20000, seed: 11 })
    const result = run(set)
    const quality = pairwiseQuality(result.personOfRecord, set.truth)
    expect(quality.precision).toBeGreaterThanOrEqual(0.998)
    expect(quality.recall).toBeGreaterThanOrEqual(0.94)
    expect(constraintViolations(set.records, result.personOfRecord)).toBe(0)
    const next = random(3)
    const shuffled = [...set.records].sort(() => next() - 0.5)
    expect(persons(run({ records: shuffled }), shuffled)).toEqual(persons(result, set.records))
    // two runs over 20,000 records: seconds when CI runs every package's tests at once on two cores
  }, 60_000)
})
