/**
 * What saving a run must write, given the rows the customer has: the persons and links that are new or differ
 * (to upsert) and the ones the run no longer has (to delete). Rows equal to the run's stay as they are, ids and all.
 */
import type { PersonRun, RecordAssignment } from "@finch-connections/core/PersonStore"
import type { PreviousPerson } from "@finch-connections/core/reconciliation/Reconciliation"

/** A `persons` row as saving compares it. */
export interface StoredPerson {
  readonly personId: string
  readonly since: number
}

/** The writes that turn the stored rows into `run`. */
export interface PersonRunChanges {
  readonly upsertPersons: ReadonlyArray<PreviousPerson>
  readonly deletePersons: ReadonlyArray<string>
  readonly upsertLinks: ReadonlyArray<RecordAssignment>
  readonly deleteLinks: ReadonlyArray<string>
}

const sameLink = (stored: RecordAssignment, next: RecordAssignment) =>
  stored.personId === next.personId &&
  stored.score === next.score &&
  stored.matchedBy.length === next.matchedBy.length &&
  stored.matchedBy.every((field, k) => field === next.matchedBy[k])

/** The changes from `stored` (the customer's rows now) to `run`. */
export const personRunChanges = (
  stored: { readonly persons: ReadonlyArray<StoredPerson>; readonly links: ReadonlyArray<RecordAssignment> },
  run: PersonRun,
): PersonRunChanges => {
  const storedSince = new Map(stored.persons.map((p) => [p.personId, p.since]))
  const storedLinks = new Map(stored.links.map((l) => [l.recordId, l]))
  const runPersons = new Set(run.persons.map((p) => p.personId))
  const runRecords = new Set(run.assignments.map((a) => a.recordId))
  return {
    upsertPersons: run.persons.filter((p) => storedSince.get(p.personId) !== p.since),
    deletePersons: stored.persons.filter((p) => !runPersons.has(p.personId)).map((p) => p.personId),
    upsertLinks: run.assignments.filter((a) => {
      const link = storedLinks.get(a.recordId)
      return link === undefined || !sameLink(link, a)
    }),
    deleteLinks: stored.links.filter((l) => !runRecords.has(l.recordId)).map((l) => l.recordId),
  }
}
