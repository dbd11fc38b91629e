/**
 * Clustering under constraints: links are merged strongest first (union–find), and a merge happens only when the
 * two groups may form one person — no two records of one connection+entity (unless allowed), no manual "never"
 * between them, no two well-formed SSNs more than a keystroke apart, no two complete birth dates that disagree with
 * nothing of the person's own (SSN, phone, an address not made of the name, the home) to vouch for a pair of records
 * with those very dates, and the two groups hold together (average cross-pair score ≥ the cohesion threshold, a vetoed pair counting as
 * −5 bits), so a person is never a chain of weak links: whatever bridges two records, the pair itself is checked.
 * Manual "same person" decisions are merged first and bypass every check.
 */

import type { Comparator } from "./Comparison.ts"
import type { Arena } from "./internal/Arena.ts"
import { Veto } from "./Levels.ts"
import type { Prepared } from "./Prepare.ts"

/** Candidate links, parallel arrays. */
export interface Links {
  readonly i: Int32Array
  readonly j: Int32Array
  readonly score: Float64Array
  readonly packed: Int32Array
  readonly count: number
}

/** Why merges were refused. */
export interface RefusedMerges {
  sameConnection: number
  neverDecision: number
  /** two well-formed SSNs more than a keystroke apart */
  veto: number
  /** two complete birth dates in conflict, the pair vetoed (with `birthDates: "reliable"`) */
  conflictingBirthDate: number
  weakLink: number
}

export interface Clusters {
  /** canonical record → its cluster's root record */
  readonly root: Int32Array
  /** indices of the links that merged two groups, in merge order */
  readonly accepted: Int32Array
  readonly refused: RefusedMerges
}

/** What a vetoed cross pair counts for in a merge's average (bits). */
const vetoedPairScore = -5

/** Union–find over records with member lists, so a merge can check every cross pair. */
class Groups {
  readonly parent: Int32Array
  readonly nextMember: Int32Array
  readonly lastMember: Int32Array
  readonly size: Int32Array
  constructor(n: number, arena: Arena) {
    this.parent = arena.int32(n)
    for (let k = 0; k < n; k++) this.parent[k] = k
    this.nextMember = arena.int32(n).fill(-1)
    this.lastMember = arena.int32(n)
    this.lastMember.set(this.parent)
    this.size = arena.int32(n).fill(1)
  }
  find(k: number): number {
    let root = k
    while (this.parent[root] !== root) root = this.parent[root] as number
    while (this.parent[k] !== root) {
      const up = this.parent[k] as number
      this.parent[k] = root
      k = up
    }
    return root
  }
  /** Joins two roots; the root with the smaller index survives so the result is order-independent. */
  union(a: number, b: number): number {
    const [keep, gone] = a < b ? [a, b] : [b, a]
    this.parent[gone] = keep
    this.nextMember[this.lastMember[keep] as number] = gone
    this.lastMember[keep] = this.lastMember[gone] as number
    this.size[keep] = (this.size[keep] as number) + (this.size[gone] as number)
    return keep
  }
}

export interface ClusterInput {
  readonly data: Prepared
  readonly comparator: Comparator
  readonly links: Links
  readonly sameDecisions: ReadonlyArray<readonly [number, number]>
  readonly neverDecisions: ReadonlyArray<readonly [number, number]>
  readonly separateConnections: boolean
  readonly cohesionThreshold: number
  /** where clustering's working arrays live */
  readonly arena: Arena
}

/** Groups records into persons. */
export const cluster = (
  input: ClusterInput,
): Clusters & { readonly manualConflicts: Array<readonly [number, number]> } => {
  const { data, comparator, links } = input
  const n = data.size
  const groups = new Groups(n, input.arena)
  const refused: RefusedMerges = { sameConnection: 0, neverDecision: 0, veto: 0, conflictingBirthDate: 0, weakLink: 0 }

  for (const [a, b] of input.sameDecisions) {
    const ra = groups.find(a)
    const rb = groups.find(b)
    if (ra !== rb) groups.union(ra, rb)
  }
  const never = new Map<number, Array<number>>()
  const manualConflicts: Array<readonly [number, number]> = []
  for (const [a, b] of input.neverDecisions) {
    if (groups.find(a) === groups.find(b)) {
      manualConflicts.push([a, b])
      continue
    }
    never.set(a, [...(never.get(a) ?? []), b])
    never.set(b, [...(never.get(b) ?? []), a])
  }

  // strongest first; ties by link index, which follows the canonical record order
  const order = input.arena.float64(links.count)
  let maxScore = 0
  for (let e = 0; e < links.count; e++) maxScore = Math.max(maxScore, links.score[e] as number)
  for (let e = 0; e < links.count; e++) {
    order[e] = Math.round((maxScore - (links.score[e] as number)) * 1024) * 67108864 + e
  }
  order.sort()

  const accepted: Array<number> = []
  /**
   * Whether two records of the groups `ra` and `rb` (together), one born `x` and one born `y` (two complete dates
   * in conflict), were compared without a veto: something of the person's own (an SSN, a phone, an address not made
   * of the name, the home) said these two dates are one person's. Then another record with one of those dates
   * brings no new conflict (a third appearance of either date); two people's dates never meet without such a pair.
   */
  const datesVouched = (ra: number, rb: number, x: number, y: number): boolean => {
    const withX: Array<number> = []
    const withY: Array<number> = []
    for (const root of [ra, rb])
      for (let k = root; k !== -1; k = groups.nextMember[k] as number) {
        const date = data.dob[k] as number
        if (date === x) withX.push(k)
        else if (date === y) withY.push(k)
      }
    for (const p of withX)
      for (const q of withY) {
        comparator.compareLevels(p, q)
        if (comparator.birthDatesVouched()) return true
      }
    return false
  }
  const canMerge = (ra: number, rb: number, li: number, lj: number): boolean => {
    if (never.size > 0) {
      for (let a = ra; a !== -1; a = groups.nextMember[a] as number) {
        const partners = never.get(a)
        if (partners?.some((p) => groups.find(p) === rb)) {
          refused.neverDecision++
          return false
        }
      }
    }
    if (input.separateConnections) {
      for (let a = ra; a !== -1; a = groups.nextMember[a] as number) {
        for (let b = rb; b !== -1; b = groups.nextMember[b] as number) {
          if (data.group[a] === data.group[b]) {
            refused.sameConnection++
            return false
          }
        }
      }
    }
    // on average the cross pairs must still agree (average linkage)
    let total = 0
    let pairs = 0
    for (let a = ra; a !== -1; a = groups.nextMember[a] as number) {
      for (let b = rb; b !== -1; b = groups.nextMember[b] as number) {
        if ((a === li && b === lj) || (a === lj && b === li)) continue
        const score = comparator.compare(a, b)
        // two well-formed SSNs never meet, nor two complete birth dates that disagree unless a pair of records with
        // those very dates vouches for them; any other veto weighs heavily against the merge but is not absolute, so
        // one badly garbled record does not keep a person apart from itself
        if (comparator.veto === Veto.different_ssn) {
          refused.veto++
          return false
        }
        if (
          comparator.reliableBirthDates &&
          comparator.birthDatesConflict() &&
          !comparator.birthDatesVouched() &&
          !datesVouched(ra, rb, data.dob[a] as number, data.dob[b] as number)
        ) {
          refused.conflictingBirthDate++
          return false
        }
        total += comparator.veto === Veto.none ? score : Math.min(score, vetoedPairScore)
        pairs++
      }
    }
    if (pairs > 0 && total / pairs < input.cohesionThreshold) {
      refused.weakLink++
      return false
    }
    return true
  }

  for (let k = 0; k < links.count; k++) {
    const e = (order[k] as number) % 67108864
    const i = links.i[e] as number
    const j = links.j[e] as number
    const ri = groups.find(i)
    const rj = groups.find(j)
    if (ri === rj) continue
    if (!canMerge(ri, rj, i, j)) continue
    groups.union(ri, rj)
    accepted.push(e)
  }

  const root = input.arena.int32(n)
  for (let k = 0; k < n; k++) root[k] = groups.find(k)
  return { root, accepted: Int32Array.from(accepted), refused, manualConflicts }
}
