/**
 * core's `EmployeeStore` on PostgreSQL. A snapshot is replaced by one statement in one transaction: every record goes
 * to the server as a handful of array parameters (`unnest`), upserted, and the records missing from it are marked
 * removed, so a reader sees the previous sync or the new one, never a mix. 10,000 employees are one round trip.
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import { type EmployeeRecord, EmployeeStore, type SnapshotSummary } from "@finch-connections/core/EmployeeStore"
import { Employment, Individual } from "@finch-connections/core/FinchData"
import { ConnectionId, type CustomerId, EntityId, IndividualId } from "@finch-connections/core/Ids"
import { Effect, Layer, Option, Schema } from "effect"
import { type Kysely, sql } from "kysely"
import { type CustomerTransaction, withCustomer } from "./CustomerTransaction.ts"
import type { Database, EmployeeRecordRow } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

const decodeIndividual = Schema.decodeUnknown(Individual)
const decodeEmployment = Schema.decodeUnknown(Employment)

/** A row as core's `EmployeeRecord`; a row the schema rejects is a defect. */
export const toEmployeeRecord = (
  row: Pick<EmployeeRecordRow, "connection_id" | "individual_id" | "entity_id" | "individual" | "employment">,
) =>
  Effect.gen(function* () {
    const individual = yield* decodeIndividual(row.individual)
    const employment = row.employment === null ? Option.none() : Option.some(yield* decodeEmployment(row.employment))
    return {
      connectionId: ConnectionId.make(row.connection_id),
      individualId: IndividualId.make(row.individual_id),
      entityId: Option.map(Option.fromNullable(row.entity_id), (id) => EntityId.make(id)),
      individual,
      employment,
    } satisfies EmployeeRecord
  }).pipe(Effect.orDie)

/** Fails when the customer has no such connection; `lock` holds it against a concurrent snapshot. */
const checkConnection = (
  trx: CustomerTransaction,
  customerId: CustomerId,
  connectionId: ConnectionId,
  options: { readonly lock: boolean },
) => {
  const select = trx.selectFrom("connections").select("id").where("id", "=", connectionId)
  return query(() => (options.lock ? select.forNoKeyUpdate() : select).executeTakeFirst()).pipe(
    Effect.orDie,
    Effect.filterOrFail(
      (row) => row !== undefined,
      () => new ConnectionNotFound({ customerId, connectionId }),
    ),
  )
}

/** The last record of each individual wins: a sync that lists someone twice keeps one row. */
const lastPerIndividual = (records: ReadonlyArray<EmployeeRecord>): ReadonlyArray<EmployeeRecord> => [
  ...new Map(records.map((record) => [record.individualId, record])).values(),
]

/**
 * Upserts `records` and marks the connection's other current records removed, in one statement. Every part of it
 * sees the table as it was before the statement, which is what the counts compare against. The joins are written so
 * that no plan is quadratic even when the table's statistics are stale (an index probe per record, a hashed
 * `not in`).
 */
export const swapSnapshot = (
  trx: Kysely<Database>,
  input: {
    readonly customerId: string
    readonly connectionId: string
    readonly records: ReadonlyArray<EmployeeRecord>
    readonly now: Date
  },
) => {
  const { customerId, connectionId, records, now } = input
  const individualIds = records.map((record) => record.individualId)
  const entityIds = records.map((record) => Option.getOrNull(record.entityId))
  const individuals = records.map((record) => JSON.stringify(record.individual))
  const employments = records.map((record) => Option.getOrNull(Option.map(record.employment, JSON.stringify)))
  return query(() =>
    sql<{ added: number; updated: number; removed: number; unchanged: number }>`
      with input as (
        select * from unnest(${individualIds}::text[], ${entityIds}::text[], ${individuals}::jsonb[],
          ${employments}::jsonb[]) as t(individual_id, entity_id, individual, employment)
      ),
      compared as (
        select
          p.individual_id is null or p.removed_at is not null as added,
          p.individual_id is not null and p.removed_at is null
            and (p.entity_id, p.individual, p.employment) is distinct from (i.entity_id, i.individual, i.employment)
            as updated
        from input i
          left join employee_records p on p.connection_id = ${connectionId} and p.individual_id = i.individual_id
      ),
      upserted as (
        insert into employee_records (customer_id, connection_id, individual_id, entity_id, individual, employment,
          first_seen_at, last_seen_at, updated_at)
        select ${customerId}, ${connectionId}, individual_id, entity_id, individual, employment, ${now}, ${now}, ${now}
        from input
        on conflict (connection_id, individual_id) do update set
          entity_id = excluded.entity_id,
          individual = excluded.individual,
          employment = excluded.employment,
          last_seen_at = excluded.last_seen_at,
          removed_at = null,
          updated_at = case
            when employee_records.removed_at is not null
              or (employee_records.entity_id, employee_records.individual, employee_records.employment)
                is distinct from (excluded.entity_id, excluded.individual, excluded.employment)
            then excluded.updated_at
            else employee_records.updated_at
          end
        returning 1
      ),
      removed as (
        update employee_records set removed_at = ${now}, updated_at = ${now}
        where connection_id = ${connectionId} and removed_at is null
          and individual_id not in (select individual_id from input)
        returning 1
      )
      select
        (select count(*) from compared where added)::int as added,
        (select count(*) from compared where updated)::int as updated,
        (select count(*) from compared where not added and not updated)::int as unchanged,
        (select count(*) from removed)::int as removed,
        (select count(*) from upserted)::int as written`.execute(trx),
  ).pipe(
    Effect.orDie,
    Effect.map(
      ({ rows: [summary] }): SnapshotSummary => ({
        added: summary?.added ?? 0,
        updated: summary?.updated ?? 0,
        removed: summary?.removed ?? 0,
        unchanged: summary?.unchanged ?? 0,
      }),
    ),
  )
}

const currentRecords = (trx: CustomerTransaction) =>
  trx
    .selectFrom("employee_records")
    .select(["connection_id", "individual_id", "entity_id", "individual", "employment"])
    .where("removed_at", "is", null)

/** Builds the store over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): EmployeeStore["Type"] => {
  const { db } = options
  return EmployeeStore.of({
    replaceSnapshot: Effect.fn("EmployeeStore.replaceSnapshot")(function* (customerId, connectionId, records) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, records: records.length })
      return yield* withCustomer(db, customerId, (trx) =>
        checkConnection(trx, customerId, connectionId, { lock: true }).pipe(
          Effect.zipRight(
            swapSnapshot(trx, { customerId, connectionId, records: lastPerIndividual(records), now: new Date() }),
          ),
        ),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
    }),
    listByConnection: Effect.fn("EmployeeStore.listByConnection")(function* (customerId, connectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const rows = yield* withCustomer(db, customerId, (trx) =>
        checkConnection(trx, customerId, connectionId, { lock: false }).pipe(
          Effect.zipRight(
            query(() =>
              currentRecords(trx).where("connection_id", "=", connectionId).orderBy("individual_id").execute(),
            ),
          ),
        ),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
      return yield* Effect.forEach(rows, toEmployeeRecord)
    }),
    listByCustomer: Effect.fn("EmployeeStore.listByCustomer")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* withCustomer(db, customerId, (trx) =>
        query(() =>
          currentRecords(trx)
            .where("customer_id", "=", customerId)
            .orderBy("connection_id")
            .orderBy("individual_id")
            .execute(),
        ),
      ).pipe(Effect.orDie)
      return yield* Effect.forEach(rows, toEmployeeRecord)
    }),
  })
}

/** The store over the store's pool. */
export const layer = Layer.effect(
  EmployeeStore,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)

/** The store over the pool configured from the environment (see `PgDatabase.layerConfig`). */
export const layerConfig = layer.pipe(Layer.provide(PgDatabase.layerConfig))
