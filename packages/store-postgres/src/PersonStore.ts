/**
 * core's `PersonStore` on PostgreSQL. Saving a run is one customer-scoped transaction: the customer's persons and
 * record links become the run's, writing only those that differ (bulk `unnest` upserts and `any` deletes, so a
 * million records are a few round trips), the run's aliases and splits are appended and its inputs fingerprint
 * kept — a reader sees the previous run or the new one, never a mix. The inputs digest is one statement over ids and
 * timestamps, under the customer's row-level security.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import {
  canonicalDecision,
  type PersonRun,
  PersonStore,
  type RecordAssignment,
} from "@finch-connections/core/PersonStore"
import type { ManualDecision, PreviousPerson, Split } from "@finch-connections/core/reconciliation/Reconciliation"
import { Effect, Layer, Option } from "effect"
import { type Generated, type Kysely, sql } from "kysely"
import { type CustomerTransaction, withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import { personRunChanges } from "./internal/personRunChanges.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** `persons`: the latest run's persons. */
export interface PersonsTable {
  customer_id: string
  person_id: string
  since: number
  /** when the run that last added or changed this row was saved */
  saved_at: Date
}
/** `person_links`: which person each record belongs to, with its link's evidence. */
export interface PersonLinksTable {
  customer_id: string
  record_id: string
  person_id: string
  score: number | null
  matched_by: ReadonlyArray<string>
}
/** `person_aliases`: ids merged into another person. */
export interface PersonAliasesTable {
  customer_id: string
  alias_id: string
  person_id: string
  created_at: Date
}
/** `person_splits`: persons whose records went several ways. */
export interface PersonSplitsTable {
  id: Generated<string>
  customer_id: string
  person_id: string
  into_ids: Array<string>
  created_at: Date
}
/** `person_decisions`: manual decisions, pair ordered (record_a < record_b). */
export interface PersonDecisionsTable {
  customer_id: string
  record_a: string
  record_b: string
  kind: ManualDecision["kind"]
  decided_at: Date
}
/** `person_runs`: the inputs fingerprint of each customer's last saved run. */
export interface PersonRunsTable {
  customer_id: string
  inputs: string
  saved_at: Date
}
/** The tables of this module. */
export type PersonTables = {
  person_runs: PersonRunsTable
  persons: PersonsTable
  person_links: PersonLinksTable
  person_aliases: PersonAliasesTable
  person_splits: PersonSplitsTable
  person_decisions: PersonDecisionsTable
}

const tables = (trx: CustomerTransaction) => trx.withTables<PersonTables>()

/** Rows per bulk statement: keeps each parameter array well under the protocol's limits. */
const batchSize = 50_000

const batches = <A>(items: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < items.length; start += batchSize) out.push(items.slice(start, start + batchSize))
  return out
}

/**
 * The digest of a customer's reconciliation inputs, in one statement that reads only ids and timestamps: its current
 * records as (connection, individual, last change) and its decisions as (pair, kind), each set in key order, hashed.
 * A record's `updated_at` moves exactly when it changes or is removed (and a removed one leaves the set). Rows are
 * written as row literals (`(a,b,c)`, quoted where needed), so no two different sets give the same text.
 */
const inputsDigest = (trx: CustomerTransaction, customerId: string) =>
  query(() =>
    sql<{ records: string; decisions: string }>`
      select
        (select md5(coalesce(string_agg(
            row(connection_id, individual_id, (extract(epoch from updated_at) * 1000000)::bigint)::text, ','
            order by connection_id, individual_id), ''))
          from employee_records where customer_id = ${customerId} and removed_at is null) as records,
        (select md5(coalesce(string_agg(row(record_a, record_b, kind)::text, ',' order by record_a, record_b), ''))
          from person_decisions where customer_id = ${customerId}) as decisions`.execute(trx),
  ).pipe(Effect.map(({ rows }) => `records:${rows[0]?.records}+decisions:${rows[0]?.decisions}`))

/** The customer's persons and links as they are, to compare a run against. */
const storedRun = (trx: CustomerTransaction, customerId: string) =>
  Effect.gen(function* () {
    const t = tables(trx)
    const persons = yield* query(() =>
      t.selectFrom("persons").select(["person_id", "since"]).where("customer_id", "=", customerId).execute(),
    )
    const links = yield* query(() =>
      t
        .selectFrom("person_links")
        .select(["record_id", "person_id", "score", "matched_by"])
        .where("customer_id", "=", customerId)
        .execute(),
    )
    return {
      persons: persons.map((row) => ({ personId: row.person_id, since: Number(row.since) })),
      links: links.map(
        (row): RecordAssignment => ({
          recordId: row.record_id,
          personId: row.person_id,
          score: row.score === null ? null : Number(row.score),
          matchedBy: row.matched_by,
        }),
      ),
    }
  })

/**
 * Saves `run` over the customer's rows, writing only the differences: new and changed persons and links are
 * upserted, the ones the run no longer has deleted, the rest left as they are.
 */
const saveRun = (trx: CustomerTransaction, customerId: string, run: PersonRun, inputs: string, now: Date) =>
  Effect.gen(function* () {
    const t = tables(trx)
    // First, so it locks the customer's row: a concurrent save of the same customer waits here until this one
    // commits, then compares against what this one wrote (each statement reads the latest committed rows).
    yield* query(() =>
      t
        .insertInto("person_runs")
        .values({ customer_id: customerId, inputs, saved_at: now })
        .onConflict((conflict) => conflict.column("customer_id").doUpdateSet({ inputs, saved_at: now }))
        .execute(),
    )
    const changes = personRunChanges(yield* storedRun(trx, customerId), run)
    // persons before the links that point to them; removed links before removed persons (whose links cascade)
    for (const batch of batches(changes.upsertPersons)) {
      yield* query(() =>
        sql`insert into persons (customer_id, person_id, since, saved_at)
          select ${customerId}, person_id, since, ${now}
          from unnest(${batch.map((p) => p.personId)}::text[], ${batch.map((p) => p.since)}::float8[])
            as t(person_id, since)
          on conflict (customer_id, person_id) do update set since = excluded.since, saved_at = excluded.saved_at`.execute(
          trx,
        ),
      )
    }
    for (const batch of batches(changes.upsertLinks)) {
      yield* query(() =>
        sql`insert into person_links (customer_id, record_id, person_id, score, matched_by)
          select ${customerId}, record_id, person_id, score, matched_by
          from unnest(${batch.map((a) => a.recordId)}::text[], ${batch.map((a) => a.personId)}::text[],
            ${batch.map((a) => a.score)}::float8[], ${batch.map((a) => JSON.stringify(a.matchedBy))}::jsonb[])
            as t(record_id, person_id, score, matched_by)
          on conflict (customer_id, record_id) do update set
            person_id = excluded.person_id, score = excluded.score, matched_by = excluded.matched_by`.execute(trx),
      )
    }
    for (const batch of batches(changes.deleteLinks)) {
      yield* query(() =>
        t
          .deleteFrom("person_links")
          .where("customer_id", "=", customerId)
          .where("record_id", "=", sql<string>`any(${[...batch]}::text[])`)
          .execute(),
      )
    }
    for (const batch of batches(changes.deletePersons)) {
      yield* query(() =>
        t
          .deleteFrom("persons")
          .where("customer_id", "=", customerId)
          .where("person_id", "=", sql<string>`any(${[...batch]}::text[])`)
          .execute(),
      )
    }
    for (const alias of run.aliases) {
      yield* query(() =>
        t
          .insertInto("person_aliases")
          .values({ customer_id: customerId, alias_id: alias.alias, person_id: alias.personId, created_at: now })
          .onConflict((conflict) =>
            conflict.columns(["customer_id", "alias_id"]).doUpdateSet({ person_id: alias.personId, created_at: now }),
          )
          .execute(),
      )
    }
    for (const split of run.splits) {
      yield* query(() =>
        t
          .insertInto("person_splits")
          .values({ customer_id: customerId, person_id: split.personId, into_ids: [...split.into], created_at: now })
          .execute(),
      )
    }
  })

/** Builds the store over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): PersonStore["Type"] => {
  const { db } = options
  const inCustomer = <A>(customerId: CustomerId, use: (trx: CustomerTransaction) => Effect.Effect<A, unknown>) =>
    withCustomer(db, customerId, use).pipe(Effect.orDie)
  return PersonStore.of({
    saveRun: Effect.fn("PersonStore.saveRun")(function* (customerId, run, inputs) {
      yield* Effect.annotateCurrentSpan({ customerId, persons: run.persons.length })
      yield* inCustomer(customerId, (trx) => saveRun(trx, customerId, run, inputs, new Date()))
    }),
    inputsDigest: Effect.fn("PersonStore.inputsDigest")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      return yield* inCustomer(customerId, (trx) => inputsDigest(trx, customerId))
    }),
    lastRunInputs: Effect.fn("PersonStore.lastRunInputs")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const row = yield* inCustomer(customerId, (trx) =>
        query(() =>
          tables(trx)
            .selectFrom("person_runs")
            .select("inputs")
            .where("customer_id", "=", customerId)
            .executeTakeFirst(),
        ),
      )
      return Option.map(Option.fromNullable(row), (r) => r.inputs)
    }),
    previousPersons: Effect.fn("PersonStore.previousPersons")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* inCustomer(customerId, (trx) =>
        query(() =>
          sql<{ person_id: string; since: number; record_ids: Array<string> }>`
            select p.person_id, p.since,
              coalesce(array_agg(l.record_id order by l.record_id) filter (where l.record_id is not null), '{}')
                as record_ids
            from persons p left join person_links l using (customer_id, person_id)
            where p.customer_id = ${customerId}
            group by p.person_id, p.since
            order by p.person_id`.execute(trx),
        ),
      )
      return rows.rows.map(
        (row): PreviousPerson => ({ personId: row.person_id, since: Number(row.since), recordIds: row.record_ids }),
      )
    }),
    resolvePerson: Effect.fn("PersonStore.resolvePerson")(function* (customerId, personId) {
      yield* Effect.annotateCurrentSpan({ customerId, personId })
      return yield* inCustomer(customerId, (trx) =>
        Effect.gen(function* () {
          const t = tables(trx)
          let current = personId
          const seen = new Set<string>()
          for (;;) {
            const alias = yield* query(() =>
              t.selectFrom("person_aliases").select("person_id").where("alias_id", "=", current).executeTakeFirst(),
            )
            if (alias === undefined || seen.has(current)) break
            seen.add(current)
            current = alias.person_id
          }
          if (current !== personId) return Option.some(current)
          const person = yield* query(() =>
            t.selectFrom("persons").select("person_id").where("person_id", "=", personId).executeTakeFirst(),
          )
          return person === undefined ? Option.none() : Option.some(personId)
        }),
      )
    }),
    assignmentOf: Effect.fn("PersonStore.assignmentOf")(function* (customerId, recordId) {
      yield* Effect.annotateCurrentSpan({ customerId, recordId })
      const row = yield* inCustomer(customerId, (trx) =>
        query(() =>
          tables(trx)
            .selectFrom("person_links")
            .select(["record_id", "person_id", "score", "matched_by"])
            .where("record_id", "=", recordId)
            .executeTakeFirst(),
        ),
      )
      return Option.map(
        Option.fromNullable(row),
        (r): RecordAssignment => ({
          recordId: r.record_id,
          personId: r.person_id,
          score: r.score === null ? null : Number(r.score),
          matchedBy: r.matched_by,
        }),
      )
    }),
    splits: Effect.fn("PersonStore.splits")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* inCustomer(customerId, (trx) =>
        query(() => tables(trx).selectFrom("person_splits").select(["person_id", "into_ids"]).orderBy("id").execute()),
      )
      return rows.map((row): Split => ({ personId: row.person_id, into: row.into_ids }))
    }),
    decide: Effect.fn("PersonStore.decide")(function* (customerId, decision) {
      yield* Effect.annotateCurrentSpan({ customerId, kind: decision.kind })
      const { kind, recordA, recordB } = canonicalDecision(decision)
      if (recordA === recordB) return
      const now = new Date()
      yield* inCustomer(customerId, (trx) =>
        query(() =>
          tables(trx)
            .insertInto("person_decisions")
            .values({ customer_id: customerId, record_a: recordA, record_b: recordB, kind, decided_at: now })
            .onConflict((conflict) =>
              conflict.columns(["customer_id", "record_a", "record_b"]).doUpdateSet({ kind, decided_at: now }),
            )
            .execute(),
        ),
      )
    }),
    undecide: Effect.fn("PersonStore.undecide")(function* (customerId, recordA, recordB) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const [a, b] = recordA <= recordB ? [recordA, recordB] : [recordB, recordA]
      yield* inCustomer(customerId, (trx) =>
        query(() =>
          tables(trx).deleteFrom("person_decisions").where("record_a", "=", a).where("record_b", "=", b).execute(),
        ),
      )
    }),
    decisions: Effect.fn("PersonStore.decisions")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* inCustomer(customerId, (trx) =>
        query(() =>
          tables(trx)
            .selectFrom("person_decisions")
            .select(["kind", "record_a", "record_b"])
            .orderBy("record_a")
            .orderBy("record_b")
            .execute(),
        ),
      )
      return rows.map((row): ManualDecision => ({ kind: row.kind, recordA: row.record_a, recordB: row.record_b }))
    }),
  })
}

/** The store on the layer's `PgDatabase`. */
export const layer: Layer.Layer<PersonStore, never, PgDatabase.PgDatabase> = Layer.effect(
  PersonStore,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
