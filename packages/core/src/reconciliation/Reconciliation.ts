/**
 * Employee reconciliation: one person across every connection of a customer, explainable, stable and fast.
 *
 * prepare (normalise, integer-code) → block (hash keys) → compare (Fellegi–Sunter weights) → cluster (union–find
 * under constraints) → name (stable person ids). The result is columnar so a million records stay cheap; use
 * `assignments`, `persons` and `explain` for readable views.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { candidatePairs as blockCandidatePairs, type CandidatePairs } from "./Blocking.ts"
import { DuplicateRecordId } from "./CanonicalOrder.ts"
import { cluster, type Links, type RefusedMerges } from "./Clustering.ts"
import { Comparator } from "./Comparison.ts"
import { estimateM, estimateU } from "./Estimation.ts"
import { type Memory, memoryFor } from "./internal/Arena.ts"
import { PatternCounts } from "./internal/PatternCounts.ts"
import { EMAIL_ENTRY, R_EMAILS, ROW } from "./internal/RecordLayout.ts"
import { agreedFieldsOf, type FieldEvidence, fieldsOf, SWAPPED_NAMES, Veto } from "./Levels.ts"
import { type Alias, assignIdentities, type Identities, type PreviousPerson, type Split } from "./PersonIdentity.ts"
import { type Prepared, prepare } from "./Prepare.ts"
import type { SourceRecord } from "./SourceRecord.ts"
import { defaultModel, noisyRecordsModel, type ScoringModel } from "./Weights.ts"

export { DuplicateRecordId } from "./CanonicalOrder.ts"
export { type ComparedField, comparedFields, type FieldEvidence, Level, levelNames, Veto, vetoNames } from "./Levels.ts"
export type { Alias, PreviousPerson, Split } from "./PersonIdentity.ts"

/** A person's decision about two records; it always wins over the scores. */
export interface ManualDecision {
  readonly kind: "same_person" | "never_same_person"
  readonly recordA: string
  readonly recordB: string
}

export interface ReconcileOptions {
  /** the previous run's persons, so their ids survive */
  readonly previous?: ReadonlyArray<PreviousPerson> | undefined
  readonly decisions?: ReadonlyArray<ManualDecision> | undefined
  /** allow two records of one connection+entity in one person (default false: they are two people) */
  readonly allowSameConnection?: boolean | undefined
  /** the scoring model (default `defaultModel`, or `noisyRecordsModel` for `dataQuality: "noisy"`) */
  readonly model?: ScoringModel | undefined
  /**
   * what kind of records these are — the trade-off between precision and recall:
   * - `"reliable"` (default; payroll data, precision first): two complete birth dates that are neither equal nor a
   *   one-keystroke typo or day/month swap of each other are two people, however alike their names and name-built
   *   e-mail addresses; only the first name with an SSN, a phone, an address not made of the name or the same home
   *   vouches for such a pair, and no person ever holds two such dates unless that very pair is vouched for.
   * - `"noisy"` (historical registers, hand-copied records, recall first): a conflicting birth date is weighed
   *   against the names (both names agreeing outweigh it) and never stops a merge on its own, and the default model
   *   is `noisyRecordsModel` (links at even odds, looser cohesion).
   */
  readonly dataQuality?: "reliable" | "noisy" | undefined
  /** blocks with more records than this say nothing and are skipped (default 1000) */
  readonly maxBlockSize?: number | undefined
  /** the `since` stamped on persons first seen in this run (default 0) */
  readonly runAt?: number | undefined
  /** called as each phase ends ("prepare", "block and compare", …), so a caller can time them; the engine keeps no clock */
  readonly onPhaseEnd?: ((phase: ReconcilePhase) => void) | undefined
  /**
   * the run's working memory, to keep between runs (`memoryFor(records)`, then the same object for every run): a
   * process that reconciles one customer after another then allocates it once. New memory costs a full collection
   * of the caller's heap per large buffer and, on our VMs, a page fault per page first touched (together ~2–3 s at a
   * million records); kept memory costs neither. The result never points into it. Default: new memory every run.
   */
  readonly memory?: Memory | undefined
}

/** The phases of a run, in order. */
export type ReconcilePhase = "prepare" | "block and compare" | "estimate" | "links" | "cluster" | "identities"

/** One merge and its evidence: the link between two records that joined their groups. */
export interface Link {
  readonly recordA: string
  readonly recordB: string
  readonly score: number
  /** field levels, 3 bits per field in `comparedFields` order (see `explain`) */
  readonly packed: number
  readonly manual: boolean
}

/** Counts for the run summary and the bench. */
export interface ReconcileStats {
  readonly records: number
  readonly persons: number
  readonly blockingKeys: number
  readonly blocks: number
  readonly skippedBlocks: number
  readonly candidatePairs: number
  readonly linksAboveThreshold: number
  readonly merges: number
  readonly refused: RefusedMerges
}

/** The outcome of a run, columnar: arrays indexed by the caller's input order or by person index. */
export interface Reconciliation {
  /** person index → stable id */
  readonly personIds: ReadonlyArray<string>
  /** person index → when first seen */
  readonly personSince: Float64Array
  /** input index → person index */
  readonly personOfRecord: Int32Array
  /** input index → index in `links` of the strongest merge touching the record (-1 if it stands alone) */
  readonly linkOfRecord: Int32Array
  readonly links: ReadonlyArray<Link>
  readonly aliases: ReadonlyArray<Alias>
  readonly splits: ReadonlyArray<Split>
  /** manual decisions that contradict each other ("never" inside a "same" group); "same" was applied */
  readonly manualConflicts: ReadonlyArray<ManualDecision>
  readonly stats: ReconcileStats
}

/** More records than one run handles (`maxRecordsPerRun`): split the customer's records by connection group. */
export class TooManyRecords extends Schema.TaggedError<TooManyRecords>()("TooManyRecords", {
  records: Schema.Number,
  limit: Schema.Number,
}) {
  override get message() {
    return `A reconciliation run handles at most ${this.limit} records; this one has ${this.records}`
  }
}

/** The most records one run handles: blocking packs a record index into 23 bits (and 8M records need ~14 GiB). */
export const maxRecordsPerRun = (1 << 23) - 1

/** Runs reconciliation synchronously; the Effect wrapper is `reconcile`. */
export const reconcileSync = (
  records: ReadonlyArray<SourceRecord>,
  options: ReconcileOptions = {},
): Reconciliation | DuplicateRecordId | TooManyRecords => {
  if (records.length > maxRecordsPerRun) return new TooManyRecords({ records: records.length, limit: maxRecordsPerRun })
  const noisy = options.dataQuality === "noisy"
  const model = options.model ?? (noisy ? noisyRecordsModel : defaultModel)
  const phaseEnd = options.onPhaseEnd ?? (() => {})
  // the run's working memory comes from two arenas (see internal/Arena.ts); only the result is allocated on its own
  const memory = options.memory ?? memoryFor(records.length)
  // kept memory starts empty (what a previous run left is zeroed as it is handed out again)
  memory.run.release(0)
  memory.scratch.release(0)
  const data = prepare(records, memory)
  if (data instanceof DuplicateRecordId) return data
  memory.scratch.release(0)
  phaseEnd("prepare")

  const comparator = new Comparator(data, model, memory.run, !noisy)
  // two records of one connection+entity can never be one person: blocking leaves those pairs out
  const separateConnections = options.allowSameConnection !== true
  const candidates = blockCandidatePairs(
    data,
    options.maxBlockSize ?? 1000,
    separateConnections,
    memory.run,
    memory.scratch,
  )
  memory.scratch.release(0)
  const compared = compareCandidates(comparator, candidates, memory)
  phaseEnd("block and compare")
  if (model.estimate) estimateWeights(comparator, compared)
  phaseEnd("estimate")
  const links = selectLinks(comparator, candidates, compared, memory)
  phaseEnd("links")
  const decisions = decisionsByIndex(data, options.decisions ?? [])
  const clusters = cluster({
    data,
    comparator,
    links,
    sameDecisions: decisions.same,
    neverDecisions: decisions.never,
    separateConnections,
    cohesionThreshold: model.cohesionThreshold,
    arena: memory.run,
  })
  phaseEnd("cluster")
  const persons = namePersons(data, clusters.root, options, memory)
  const evidence = collectEvidence(comparator, decisions.same, links, clusters.accepted, memory)
  const personOfRecord = new Int32Array(data.size)
  const linkOfRecord = new Int32Array(data.size)
  for (let k = 0; k < data.size; k++) {
    const input = data.inputIndex[k] as number
    personOfRecord[input] = persons.clusterOf[k] as number
    linkOfRecord[input] = evidence.linkOf[k] as number
  }
  phaseEnd("identities")
  return {
    personIds: persons.identities.personIds,
    personSince: persons.identities.since,
    personOfRecord,
    linkOfRecord,
    links: evidence.links,
    aliases: persons.identities.aliases,
    splits: persons.identities.splits,
    manualConflicts: clusters.manualConflicts.map(([a, b]) => ({
      kind: "never_same_person" as const,
      recordA: data.recordIds[a] as string,
      recordB: data.recordIds[b] as string,
    })),
    stats: {
      records: data.size,
      persons: persons.count,
      blockingKeys: candidates.stats.keys,
      blocks: candidates.stats.blocks,
      skippedBlocks: candidates.stats.skippedBlocks,
      candidatePairs: candidates.stats.candidatePairs,
      linksAboveThreshold: links.count,
      merges: evidence.links.length,
      refused: clusters.refused,
    },
  }
}

/** Every candidate pair's levels, rarity and veto (scores come once the weights are estimated from this run's data). */
interface ComparedPairs {
  readonly packed: Int32Array
  readonly rarity: Float32Array
  readonly veto: Uint8Array
  /** how many candidates show each level pattern, for estimating m */
  readonly patterns: PatternCounts
}

/**
 * Reads the rows and first email entries of records `cj[from..to)` and returns a value made of them (kept, so the
 * reads are not dropped as unused): their cache misses are then waited for side by side, 32 at a time, instead of
 * one pair at a time inside the comparisons that follow (comparing: ~8% faster at 1M).
 */
const readAhead = (rows: Int32Array, entries: Int32Array, cj: Int32Array, from: number, to: number): number => {
  let touched = 0
  for (let c = from; c < to; c++) {
    const row = (cj[c] as number) * ROW
    touched ^= (rows[row] as number) ^ (entries[(rows[row + R_EMAILS] as number) * EMAIL_ENTRY] as number)
  }
  return touched
}
const READ_AHEAD = 32
/** written, never read: only so the compiler keeps `readAhead`'s reads */
let _readAheadSink = 0

/** Compare: the levels of every candidate pair. */
const compareCandidates = (comparator: Comparator, candidates: CandidatePairs, memory: Memory): ComparedPairs => {
  const { i, j, count } = candidates
  const data = comparator.data
  const packed = memory.run.int32(count)
  const rarity = memory.run.float32(count)
  const veto = memory.run.uint8(count)
  const patterns = new PatternCounts()
  // in batches: first the second records' rows are read ahead (see `readAhead`), then the pairs compared
  for (let from = 0; from < count; from += READ_AHEAD) {
    const to = Math.min(count, from + READ_AHEAD)
    _readAheadSink ^= readAhead(data.rows, data.emailEntries, j, from, to)
    for (let c = from; c < to; c++) {
      comparator.compareLevels(i[c] as number, j[c] as number)
      packed[c] = comparator.packed
      rarity[c] = comparator.rarity
      veto[c] = comparator.veto
      patterns.add(comparator.packed)
    }
  }
  return { packed, rarity, veto, patterns }
}

/** Estimate: m and u from this run's data (see Estimation.ts), installed in the comparator. */
const estimateWeights = (comparator: Comparator, compared: ComparedPairs): void => {
  const model = comparator.model
  const n = comparator.data.size
  const candidates = compared.packed.length
  const u = estimateU(comparator, model, 40_000)
  // the share of candidates that are one person, judged by the prior model (posterior odds ≥ 1)
  let likely = 0
  for (let c = 0; c < candidates; c++) {
    if (
      compared.veto[c] === Veto.none &&
      comparator.scoreOf(compared.packed[c] as number, compared.rarity[c] as number) >= 0
    )
      likely++
  }
  const share = Math.min(0.95, Math.max(1, likely) / Math.max(1, candidates))
  const estimate = estimateM(compared.patterns.toMap(), u, model, share)
  // u comes from random pairs, so the prior must be that of a random pair too: the expected matches among the
  // candidates (EM's share) spread over every pair of records
  const allPairs = Math.max(1, (n * (n - 1)) / 2)
  const expectedMatches = Math.max(1, estimate.matchShare * candidates)
  comparator.setWeights(estimate.m, estimate.u, Math.min(0.5, expectedMatches / allPairs))
}

/** Select links: the candidates not vetoed and scoring at least the threshold (about a tenth of them). */
const selectLinks = (
  comparator: Comparator,
  candidates: CandidatePairs,
  compared: ComparedPairs,
  memory: Memory,
): Links => {
  const threshold = comparator.model.matchThreshold
  const passes = (c: number): boolean =>
    compared.veto[c] === Veto.none &&
    comparator.scoreOf(compared.packed[c] as number, compared.rarity[c] as number) >= threshold
  // counted first so the arrays hold only the links
  let passing = 0
  for (let c = 0; c < candidates.count; c++) if (passes(c)) passing++
  const i = memory.run.int32(passing)
  const j = memory.run.int32(passing)
  const score = memory.run.float64(passing)
  const packed = memory.run.int32(passing)
  let count = 0
  for (let c = 0; c < candidates.count; c++) {
    if (compared.veto[c] !== Veto.none) continue
    const value = comparator.scoreOf(compared.packed[c] as number, compared.rarity[c] as number)
    if (value < threshold) continue
    i[count] = candidates.i[c] as number
    j[count] = candidates.j[c] as number
    score[count] = value
    packed[count] = compared.packed[c] as number
    count++
  }
  return { i, j, score, packed, count }
}

/** Apply decisions: the manual decisions between records of this run, by canonical index, in a fixed order. */
const decisionsByIndex = (
  data: Prepared,
  decisions: ReadonlyArray<ManualDecision>,
): {
  readonly same: ReadonlyArray<readonly [number, number]>
  readonly never: ReadonlyArray<readonly [number, number]>
} => {
  const same: Array<readonly [number, number]> = []
  const never: Array<readonly [number, number]> = []
  if (decisions.length === 0) return { same, never }
  const indexOf = new Map<string, number>()
  data.recordIds.forEach((id, k) => {
    indexOf.set(id, k)
  })
  const sorted = [...decisions].sort((x, y) =>
    `${x.kind}\u0000${x.recordA}\u0000${x.recordB}` < `${y.kind}\u0000${y.recordA}\u0000${y.recordB}` ? -1 : 1,
  )
  for (const decision of sorted) {
    const a = indexOf.get(decision.recordA)
    const b = indexOf.get(decision.recordB)
    if (a === undefined || b === undefined || a === b) continue
    ;(decision.kind === "same_person" ? same : never).push([a, b])
  }
  return { same, never }
}

/**
 * Name persons: clusters numbered in canonical order, each named after its first record in (hash, id) order, or
 * after the previous person it continues (PersonIdentity.ts).
 */
const namePersons = (
  data: Prepared,
  root: Int32Array,
  options: ReconcileOptions,
  memory: Memory,
): { readonly clusterOf: Int32Array; readonly count: number; readonly identities: Identities } => {
  const n = data.size
  const clusterOfRoot = memory.run.int32(n).fill(-1)
  const clusterOf = memory.run.int32(n)
  const firstMember = memory.run.int32(n)
  let count = 0
  for (let k = 0; k < n; k++) {
    const r = root[k] as number
    let c = clusterOfRoot[r] as number
    if (c === -1) {
      c = count++
      clusterOfRoot[r] = c
      firstMember[c] = k
    } else if ((data.hashRank[k] as number) < (data.hashRank[firstMember[c] as number] as number)) firstMember[c] = k
    clusterOf[k] = c
  }
  const firstRecord: Array<string> = new Array(count)
  const firstHigh = memory.run.uint32(count)
  const firstLow = memory.run.uint32(count)
  for (let c = 0; c < count; c++) {
    const k = firstMember[c] as number
    firstRecord[c] = data.recordIds[k] as string
    firstHigh[c] = data.idHashHigh[k] as number
    firstLow[c] = data.idHashLow[k] as number
  }
  const identities = assignIdentities(
    data.recordIds,
    clusterOf,
    firstRecord,
    options.previous ?? [],
    options.runAt ?? 0,
    { high: firstHigh, low: firstLow },
  )
  return { clusterOf, count, identities }
}

/**
 * Explain: the evidence of every merge, manual links first, then the accepted automatic ones, and each record's
 * strongest link (by canonical index; -1 for a record that stands alone).
 */
const collectEvidence = (
  comparator: Comparator,
  same: ReadonlyArray<readonly [number, number]>,
  candidateLinks: Links,
  accepted: Int32Array,
  memory: Memory,
): { readonly links: Array<Link>; readonly linkOf: Int32Array } => {
  const recordIds = comparator.data.recordIds
  const links: Array<Link> = []
  const linkOf = memory.run.int32(comparator.data.size).fill(-1)
  const note = (i: number, j: number, link: Link) => {
    const index = links.length
    links.push(link)
    const currentI = linkOf[i] as number
    if (currentI === -1 || (links[currentI] as Link).score < link.score) linkOf[i] = index
    const currentJ = linkOf[j] as number
    if (currentJ === -1 || (links[currentJ] as Link).score < link.score) linkOf[j] = index
  }
  for (const [a, b] of same) {
    comparator.compare(a, b)
    note(a, b, {
      recordA: recordIds[a] as string,
      recordB: recordIds[b] as string,
      score: comparator.score,
      packed: comparator.packed,
      manual: true,
    })
  }
  for (const e of accepted) {
    const i = candidateLinks.i[e] as number
    const j = candidateLinks.j[e] as number
    note(i, j, {
      recordA: recordIds[i] as string,
      recordB: recordIds[j] as string,
      score: candidateLinks.score[e] as number,
      packed: candidateLinks.packed[e] as number,
      manual: false,
    })
  }
  return { links, linkOf }
}

/** Reconciles a customer's records into persons. */
export const reconcile: (
  records: ReadonlyArray<SourceRecord>,
  options?: ReconcileOptions,
) => Effect.Effect<Reconciliation, DuplicateRecordId | TooManyRecords> = Effect.fn("Reconciliation.reconcile")(
  function* (records: ReadonlyArray<SourceRecord>, options?: ReconcileOptions) {
    const result = reconcileSync(records, options)
    return result instanceof DuplicateRecordId || result instanceof TooManyRecords ? yield* result : result
  },
)

/** The readable evidence of a link: how each present field compared, and the score. */
export interface Evidence {
  readonly recordA: string
  readonly recordB: string
  readonly score: number
  readonly manual: boolean
  readonly swappedNames: boolean
  readonly fields: ReadonlyArray<FieldEvidence>
}

/** Decodes a link's packed levels (fields absent on either side are left out). */
export const explain = (link: Link): Evidence => ({
  recordA: link.recordA,
  recordB: link.recordB,
  score: Math.round(link.score * 100) / 100,
  manual: link.manual,
  swappedNames: (link.packed & SWAPPED_NAMES) !== 0,
  fields: fieldsOf(link.packed),
})

/** The fields that agreed in a link, as `field:level` (e.g. `first_name:nickname`, `dob:exact`). */
export const matchedBy = (link: Link): Array<string> => {
  const agreed = agreedFieldsOf(link.packed)
  if (link.manual) agreed.unshift("manual:same_person")
  return agreed
}

/** One output line of `pnpm reconcile`. */
export interface Assignment {
  readonly record_id: string
  readonly person_id: string
  readonly score?: number
  readonly matched_by?: ReadonlyArray<string>
}

/** The assignment of the input record at `index`. */
export const assignmentOf = (
  result: Reconciliation,
  records: ReadonlyArray<SourceRecord>,
  index: number,
): Assignment => {
  const record = records[index] as SourceRecord
  const personId = result.personIds[result.personOfRecord[index] as number] as string
  const linkIndex = result.linkOfRecord[index] as number
  if (linkIndex < 0) return { record_id: record.record_id, person_id: personId }
  const link = result.links[linkIndex] as Link
  return {
    record_id: record.record_id,
    person_id: personId,
    score: Math.round(link.score * 100) / 100,
    matched_by: matchedBy(link),
  }
}

/** The persons of a run with their record ids (sorted), ordered by person id. */
export const persons = (
  result: Reconciliation,
  records: ReadonlyArray<SourceRecord>,
): Array<{ readonly personId: string; readonly since: number; readonly recordIds: ReadonlyArray<string> }> => {
  const members: Array<Array<string>> = result.personIds.map(() => [])
  result.personOfRecord.forEach((p, index) => {
    members[p]?.push((records[index] as SourceRecord).record_id)
  })
  return result.personIds
    .map((personId, p) => ({
      personId,
      since: result.personSince[p] as number,
      recordIds: (members[p] as Array<string>).sort(),
    }))
    .sort((a, b) => (a.personId < b.personId ? -1 : 1))
}

export { type Memory, memoryFor } from "./internal/Arena.ts"
