/**
 * The read side of reconciliation for the API: a customer's persons, page by page, each with its source records
 * (connection, Finch individual id, a display name) and the evidence that linked each record (score and the fields
 * that agreed). Everything runs in the customer's transaction, under row-level security.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import { type CustomerTransaction, withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** One employee record under a person, with why it is there. */
export interface PersonRecordView {
  readonly recordId: string
  readonly connectionId: string
  readonly individualId: string
  readonly entityId: string | null
  readonly firstName: string | null
  readonly lastName: string | null
  /** The link's score; null for the record a person starts from. */
  readonly score: number | null
  readonly matchedBy: ReadonlyArray<string>
}

/** A reconciled person with its records. */
export interface PersonView {
  readonly personId: string
  /** When the person was first seen (milliseconds since the epoch). */
  readonly since: number
  readonly records: ReadonlyArray<PersonRecordView>
}

/** A page of persons, ordered by id; `next` is the id to continue after. */
export interface PersonPage {
  readonly persons: ReadonlyArray<PersonView>
  readonly next: Option.Option<string>
}

/** Reading a customer's reconciled persons. */
export class PersonDirectory extends Context.Tag("@finch-connections/store-postgres/PersonDirectory")<
  PersonDirectory,
  {
    /** Up to `limit` persons whose id comes after `after`, in id order. */
    readonly page: (
      customerId: CustomerId,
      options: { readonly limit: number; readonly after: Option.Option<string> },
    ) => Effect.Effect<PersonPage>
    /** One person, by its id or by an id merged into it (an alias); none when unknown to the customer. */
    readonly get: (customerId: CustomerId, personId: string) => Effect.Effect<Option.Option<PersonView>>
    /** The subset of `recordIds` that are the customer's current employee records. */
    readonly existingRecords: (
      customerId: CustomerId,
      recordIds: ReadonlyArray<string>,
    ) => Effect.Effect<ReadonlyArray<string>>
  }
>() {}

interface RecordRow {
  readonly person_id: string
  readonly record_id: string
  readonly score: number | null
  readonly matched_by: ReadonlyArray<string>
  readonly connection_id: string | null
  readonly individual_id: string | null
  readonly entity_id: string | null
  readonly first_name: string | null
  readonly last_name: string | null
}

const recordsOf = (trx: CustomerTransaction, personIds: ReadonlyArray<string>) =>
  query(() =>
    sql<RecordRow>`
      select l.person_id, l.record_id, l.score, l.matched_by,
        e.connection_id::text as connection_id, e.individual_id, e.entity_id,
        e.individual->>'first_name' as first_name, e.individual->>'last_name' as last_name
      from person_links l
      left join employee_records e
        on e.customer_id = l.customer_id and e.connection_id::text || ':' || e.individual_id = l.record_id
      where l.person_id = any(${personIds}::text[])
      order by l.person_id, l.score desc nulls first, l.record_id`.execute(trx),
  ).pipe(Effect.map((result) => result.rows))

const splitRecordId = (recordId: string) => {
  const at = recordId.indexOf(":")
  return { connectionId: recordId.slice(0, at), individualId: recordId.slice(at + 1) }
}

const toViews = (
  persons: ReadonlyArray<{ readonly person_id: string; readonly since: number }>,
  records: ReadonlyArray<RecordRow>,
): ReadonlyArray<PersonView> => {
  const byPerson = new Map<string, Array<PersonRecordView>>()
  for (const row of records) {
    const fromId = splitRecordId(row.record_id)
    const list = byPerson.get(row.person_id) ?? []
    list.push({
      recordId: row.record_id,
      connectionId: row.connection_id ?? fromId.connectionId,
      individualId: row.individual_id ?? fromId.individualId,
      entityId: row.entity_id,
      firstName: row.first_name,
      lastName: row.last_name,
      score: row.score === null ? null : Number(row.score),
      matchedBy: row.matched_by,
    })
    byPerson.set(row.person_id, list)
  }
  return persons.map((person) => ({
    personId: person.person_id,
    since: Number(person.since),
    records: byPerson.get(person.person_id) ?? [],
  }))
}

/** Builds the directory over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): PersonDirectory["Type"] => {
  const { db } = options
  return PersonDirectory.of({
    page: Effect.fn("PersonDirectory.page")(function* (customerId, { limit, after }) {
      yield* Effect.annotateCurrentSpan({ customerId, limit })
      return yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          const persons = yield* query(() =>
            sql<{ person_id: string; since: number }>`
              select person_id, since from persons
              where ${Option.isSome(after) ? sql`person_id > ${after.value}` : sql`true`}
              order by person_id limit ${limit + 1}`.execute(trx),
          ).pipe(Effect.map((result) => result.rows))
          const shown = persons.slice(0, limit)
          const records = yield* recordsOf(
            trx,
            shown.map((p) => p.person_id),
          )
          const last = shown.at(-1)
          return {
            persons: toViews(shown, records),
            next: persons.length > limit && last !== undefined ? Option.some(last.person_id) : Option.none(),
          }
        }),
      ).pipe(Effect.orDie)
    }),
    get: Effect.fn("PersonDirectory.get")(function* (customerId, personId) {
      yield* Effect.annotateCurrentSpan({ customerId, personId })
      return yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          // One alias hop per merge; a chain is followed to its end (a cycle is cut by the set).
          let current = personId
          const seen = new Set<string>()
          for (;;) {
            if (seen.has(current)) break
            seen.add(current)
            const alias = yield* query(() =>
              sql<{ person_id: string }>`select person_id from person_aliases where alias_id = ${current}`.execute(trx),
            )
            const next = alias.rows[0]
            if (next === undefined) break
            current = next.person_id
          }
          const persons = yield* query(() =>
            sql<{
              person_id: string
              since: number
            }>`select person_id, since from persons where person_id = ${current}`.execute(trx),
          ).pipe(Effect.map((result) => result.rows))
          if (persons.length === 0) return Option.none()
          const records = yield* recordsOf(trx, [current])
          return Option.fromNullable(toViews(persons, records)[0])
        }),
      ).pipe(Effect.orDie)
    }),
    existingRecords: Effect.fn("PersonDirectory.existingRecords")(function* (customerId, recordIds) {
      yield* Effect.annotateCurrentSpan({ customerId })
      return yield* withCustomer(db, customerId, (trx) =>
        query(() =>
          sql<{ record_id: string }>`
            select e.connection_id::text || ':' || e.individual_id as record_id from employee_records e
            where e.removed_at is null
              and e.connection_id::text || ':' || e.individual_id = any(${[...recordIds]}::text[])`.execute(trx),
        ),
      ).pipe(
        Effect.orDie,
        Effect.map((result) => result.rows.map((row) => row.record_id)),
      )
    }),
  })
}

/** The directory over the store's pool. */
export const layer: Layer.Layer<PersonDirectory, never, PgDatabase.PgDatabase> = Layer.effect(
  PersonDirectory,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
