/**
 * Residence stress check (`node bench/households.ts [records]`): the generated employees with homes added, to see
 * that a shared home links one person's records without merging a household. Three variants: no residence; homes
 * shared by households (35% of people live with the previous person, 70% of those also take their surname; 70% of a
 * person's appearances give the home, 15% another address, 15% none); every appearance at a random address.
 */
import { reconcileSync } from "../src/reconciliation/Reconciliation.ts"
import type { SourceRecord } from "../src/reconciliation/SourceRecord.ts"
import { generateEmployees, random } from "./EmployeeGenerator.ts"
import { constraintViolations, pairwiseQuality } from "./Metrics.ts"

const size = Number(process.argv[2] ?? 50000)
const set = generateEmployees({ records: size, seed: 7 })

const withHomes = (shareHome: number, atHome: number): Array<SourceRecord> => {
  const next = random(5)
  const streetNames = ["oak", "maple", "pine", "cedar", "elm", "birch", "lake", "hill", "river", "park"]
  const streetTypes = ["street", "avenue", "road", "lane", "drive"]
  const address = () => {
    const k = Math.floor(next() * 3000)
    return {
      line1: `${1 + Math.floor(next() * 400)} ${streetNames[k % 10]}${k} ${streetTypes[k % 5]}`,
      city: `city${Math.floor(next() * 300)}`,
      postal_code: String(10000 + Math.floor(next() * 5000)),
    }
  }
  const people = set.people
  const homes: Array<ReturnType<typeof address>> = []
  const takesSurnameOf = new Int32Array(people).fill(-1)
  for (let p = 0; p < people; p++) {
    if (p > 0 && next() < shareHome) {
      homes.push(homes[p - 1] as ReturnType<typeof address>)
      if (next() < 0.7) takesSurnameOf[p] = p - 1
    } else homes.push(address())
  }
  const surname = new Map<number, string | null | undefined>()
  set.records.forEach((record, k) => {
    const p = set.truth[k] as number
    if (!surname.has(p)) surname.set(p, record.individual.last_name)
  })
  return set.records.map((record, k) => {
    const p = set.truth[k] as number
    const roll = next()
    const residence = roll < atHome ? homes[p] : roll < atHome + (1 - atHome) / 2 ? address() : null
    const from = takesSurnameOf[p] as number
    const last = from >= 0 ? surname.get(from) : record.individual.last_name
    return { ...record, individual: { ...record.individual, last_name: last ?? null, residence: residence ?? null } }
  })
}

const variants: Array<[string, ReadonlyArray<SourceRecord>]> = [
  ["no residence", set.records],
  ["households share homes", withHomes(0.35, 0.7)],
  ["every appearance at a random address", withHomes(0, 0)],
]
console.table(
  variants.map(([name, records]) => {
    const result = reconcileSync(records)
    if (!("personIds" in result)) throw new Error(result.message)
    const quality = pairwiseQuality(result.personOfRecord, set.truth)
    return {
      variant: name,
      precision: quality.precision.toFixed(4),
      recall: quality.recall.toFixed(4),
      f1: quality.f1.toFixed(4),
      "false pairs": quality.predictedPairs - quality.correctPairs,
      violations: constraintViolations(records, result.personOfRecord),
    }
  }),
)
