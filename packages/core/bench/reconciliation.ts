/**
 * `pnpm bench`: reconciliation quality on the public sets (with and without SSN) and on generated employee data,
 * then speed at 100k and 1M generated records (engine only, input already in memory). Prints figures; asserts nothing.
 */
import { memoryFor, type ReconcilePhase, reconcileSync } from "../src/reconciliation/Reconciliation.ts"
import { generateEmployees } from "./EmployeeGenerator.ts"
import { constraintViolations, mergedBirthDateConflicts, pairwiseQuality } from "./Metrics.ts"
import { qualityRows } from "./quality.ts"

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`

console.log("Quality (pairwise over record pairs)")
console.table(qualityRows())

// the generated employees, alone and with 500 pairs of namesakes born years apart (hard negatives)
console.table(
  [0, 500].flatMap((namesakes) => {
    const generated = generateEmployees({ records: 50000, seed: 2026, namesakes })
    return (["reliable", "noisy"] as const).map((dataQuality) => {
      const result = reconcileSync(generated.records, { dataQuality })
      if (!("personIds" in result)) throw new Error(result.message)
      const quality = pairwiseQuality(result.personOfRecord, generated.truth)
      return {
        set: `generated employees (50k, seed 2026${namesakes > 0 ? `, ${namesakes} namesake pairs` : ""})`,
        "data quality": dataQuality,
        precision: quality.precision.toFixed(4),
        recall: quality.recall.toFixed(4),
        f1: quality.f1.toFixed(4),
        violations: constraintViolations(generated.records, result.personOfRecord),
        "two people's birth dates in one person": mergedBirthDateConflicts(
          generated.records,
          result.personOfRecord,
          generated.truth,
        ),
      }
    })
  }),
)

console.log(
  "Speed (engine only: reconcileSync on records already in memory, generation not timed; the machine's 2 cores are " +
    "shared, so expect noise in the wall time; CPU time is the process's, all threads). Memory: process RSS before " +
    "the run (the input loaded; for 'memory kept', the kept working memory too), the process's peak RSS (input + " +
    "engine), and the engine's share (peak minus RSS before).",
)
const sizes = (process.env.BENCH_SIZES ?? "100000,1000000")
  .split(",")
  .filter((size) => size !== "")
  .map(Number)
// a small run first, so the sizes compared below all run compiled code (the first run of a process pays for the JIT)
reconcileSync(generateEmployees({ records: 20000, seed: 7 }).records)
const rows: Array<Record<string, string | number>> = []
const phaseRows: Array<Record<string, string | number>> = []
const perRecordAtFirst = new Map<string, number>()
for (const size of sizes) {
  const set = generateEmployees({ records: size, seed: 99 })
  // each size twice: a process's first run, which allocates and first touches its working memory, then a second
  // run that keeps that memory (`ReconcileOptions.memory`, as a worker reconciling customer after customer would)
  const memory = memoryFor(size)
  for (const run of ["first run", "memory kept"]) {
    globalThis.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const rssBefore = process.memoryUsage().rss
    const phases: Record<string, number> = {}
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    let phaseStarted = started
    const result = reconcileSync(set.records, {
      memory,
      onPhaseEnd: (phase: ReconcilePhase) => {
        const now = performance.now()
        phases[phase] = Math.round(now - phaseStarted)
        phaseStarted = now
      },
    })
    const elapsed = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    if (!("personIds" in result)) throw new Error(result.message)
    const heapAfter = process.memoryUsage().heapUsed
    const peakRss = process.resourceUsage().maxRSS * 1024
    const perRecord = (elapsed * 1000) / size
    if (!perRecordAtFirst.has(run)) perRecordAtFirst.set(run, perRecord)
    const quality = pairwiseQuality(result.personOfRecord, set.truth)
    rows.push({
      records: size,
      run,
      "wall ms": Math.round(elapsed),
      // the process's CPU time (all threads): on a shared machine, steadier than the wall time
      "CPU ms": Math.round((cpu.user + cpu.system) / 1000),
      "records/s": Math.round(size / (elapsed / 1000)),
      "µs/record": perRecord.toFixed(2),
      "ratio to first size": (perRecord / (perRecordAtFirst.get(run) as number)).toFixed(2),
      "candidate pairs": result.stats.candidatePairs,
      "candidates/record": (result.stats.candidatePairs / size).toFixed(2),
      links: result.stats.merges,
      persons: result.stats.persons,
      precision: quality.precision.toFixed(4),
      recall: quality.recall.toFixed(4),
      "heap growth": mib(heapAfter - heapBefore),
      "RSS before": mib(rssBefore),
      "peak RSS (process)": mib(peakRss),
      "engine above input": mib(Math.max(0, peakRss - rssBefore)),
    })
    phaseRows.push({ records: size, run, ...phases })
  }
}
console.table(rows)
console.log("Where the time goes (ms per phase)")
console.table(phaseRows)
