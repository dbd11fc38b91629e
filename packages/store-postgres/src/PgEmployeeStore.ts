/**
 * core's `EmployeeStore` on PostgreSQL. A snapshot is replaced in one transaction: the records are streamed with
 * `COPY` into a temporary table as JSON text with a digest of each, then one statement writes the new and changed
 * ones (rows whose digest matches are left alone) and marks the records missing from them removed, so a reader sees
 * the previous sync or the new one, never a mix. 10,000 employees are one `COPY` and one statement.
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import { type EmployeeRecord, EmployeeStore, type SnapshotSummary } from "@finch-connections/core/EmployeeStore"
import { Employment, Individual } from "@finch-connections/core/FinchData"
import { ConnectionId, type CustomerId, EntityId, IndividualId } from "@finch-connections/core/Ids"
import { plainDecoder, plainMake } from "@finch-connections/core/PlainDecode"
import { Effect, Either, Layer, Option, type ParseResult } from "effect"
import type { Kysely } from "kysely"
import type pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { type CustomerTransaction, withCustomer } from "./CustomerTransaction.ts"
import { type Database, type EmployeeRecordRow, poolOf } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import { stagedColumns, stagedLine } from "./internal/snapshotStaging.ts"
import * as PgDatabase from "./PgDatabase.ts"

const decodeIndividual = plainDecoder(Individual)
const decodeEmployment = plainDecoder(Employment)
const connectionIdOf = plainMake(ConnectionId)
const individualIdOf = plainMake(IndividualId)
const entityIdOf = plainMake(EntityId)

type RecordRow = Pick<EmployeeRecordRow, "connection_id" | "individual_id" | "entity_id" | "individual" | "employment">

/** A row as core's `EmployeeRecord`, or the schema's error. */
const recordOf = (row: RecordRow): Either.Either<EmployeeRecord, ParseResult.ParseError> => {
  const individual = decodeIndividual(row.individual)
  if (Either.isLeft(individual)) return Either.left(individual.left)
  const employment = row.employment === null ? undefined : decodeEmployment(row.employment)
  if (employment !== undefined && Either.isLeft(employment)) return Either.left(employment.left)
  return Either.right({
    connectionId: connectionIdOf(row.connection_id),
    individualId: individualIdOf(row.individual_id),
    entityId: row.entity_id === null ? Option.none() : Option.some(entityIdOf(row.entity_id)),
    individual: individual.right,
    employment: employment === undefined ? Option.none() : Option.some(employment.right),
  })
}

/** A row as core's `EmployeeRecord`; a row the schema rejects is a defect. */
export const toEmployeeRecord = (row: RecordRow): Effect.Effect<EmployeeRecord> =>
  Effect.suspend(() => Either.match(recordOf(row), { onLeft: Effect.die, onRight: Effect.succeed }))

/** Rows as core's `EmployeeRecord`s, in one step (no effect per row); a row the schema rejects is a defect. */
const toEmployeeRecords = (rows: ReadonlyArray<RecordRow>): Effect.Effect<ReadonlyArray<EmployeeRecord>> =>
  Effect.suspend(() => {
    const records: Array<EmployeeRecord> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const record = recordOf(rows[i]!)
      if (Either.isLeft(record)) return Effect.die(record.left)
      records[i] = record.right
    }
    return Effect.succeed(records)
  })

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

/** The staging table of a session: empty at the start of every transaction (`on commit delete rows`). */
const createStaging = `create temporary table if not exists snapshot_input (
  individual_id text not null, entity_id text, individual text not null, employment text, content_digest text not null
) on commit delete rows`

/**
 * Merges the staged records into the connection's and marks its other current records removed, in one statement.
 * Every part of it sees the table as it was before the statement, which is what the counts compare against.
 *
 * - `compared`: each staged record beside its row (an index probe per record). A current row with the same digest is
 *   unchanged and goes no further: its JSON is never parsed and its row never written.
 * - `parsed`: the other records' JSON, parsed once (`materialized`, so no reference parses it again).
 * - `classified`: a record whose digest differs but whose content does not (a row from before the digests, or JSON
 *   written in another key order) is unchanged too; it is written once to store its digest, keeping `updated_at`.
 * - `written`, `removed`: the upsert of new, returning and changed records; the removal of the missing ones (a
 *   hashed `not in`).
 */
const mergeStaged = `
  with compared as (
    select i.individual_id, i.entity_id, i.individual, i.employment, i.content_digest,
      p.individual_id is null or p.removed_at is not null as added,
      coalesce(p.removed_at is null and p.content_digest = i.content_digest, false) as unchanged
    from snapshot_input i
      left join employee_records p on p.connection_id = $2 and p.individual_id = i.individual_id
  ),
  parsed as materialized (
    select individual_id, entity_id, individual::jsonb as individual, employment::jsonb as employment,
      content_digest, added
    from compared
    where not unchanged
  ),
  classified as (
    select n.individual_id, n.entity_id, n.individual, n.employment, n.content_digest, n.added,
      not n.added and (p.entity_id, p.individual, p.employment)
        is not distinct from (n.entity_id, n.individual, n.employment) as same_content,
      p.updated_at as previous_updated_at
    from parsed n
      left join employee_records p on p.connection_id = $2 and p.individual_id = n.individual_id
  ),
  written as (
    insert into employee_records (customer_id, connection_id, individual_id, entity_id, individual, employment,
      content_digest, first_seen_at, updated_at)
    select $1, $2, individual_id, entity_id, individual, employment, content_digest, $3,
      case when same_content then previous_updated_at else $3 end
    from classified
    on conflict (connection_id, individual_id) do update set
      entity_id = excluded.entity_id,
      individual = excluded.individual,
      employment = excluded.employment,
      content_digest = excluded.content_digest,
      removed_at = null,
      updated_at = excluded.updated_at
  ),
  removed as (
    update employee_records set removed_at = $3, updated_at = $3
    where connection_id = $2 and removed_at is null
      and individual_id not in (select individual_id from snapshot_input)
    returning 1
  )
  select
    (select count(*) from classified where added)::int as added,
    (select count(*) from classified where not added and not same_content)::int as updated,
    ((select count(*) from compared where unchanged) + (select count(*) from classified where same_content))::int
      as unchanged,
    (select count(*) from removed)::int as removed`

/** Streams `records` into the session's staging table. */
const stage = async (client: pg.PoolClient, records: ReadonlyArray<EmployeeRecord>) => {
  const stream = client.query(copyFrom(`copy snapshot_input (${stagedColumns}) from stdin`))
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve)
    stream.on("error", reject)
  })
  const batch = 1000
  for (let start = 0; start < records.length; start += batch) {
    let text = ""
    for (const record of records.slice(start, start + batch)) text += stagedLine(record)
    if (!stream.write(text)) await new Promise((resolve) => stream.once("drain", resolve))
  }
  stream.end()
  await done
}

/**
 * The whole replacement on one session of `pool`: the customer named, the connection locked (`undefined` when the
 * customer has no such connection), the records staged with `COPY`, the merge, the commit.
 */
const replaceOnPool = async (
  pool: pg.Pool,
  input: {
    readonly customerId: string
    readonly connectionId: string
    readonly records: ReadonlyArray<EmployeeRecord>
    readonly now: Date
  },
): Promise<SnapshotSummary | undefined> => {
  const client = await pool.connect()
  try {
    await client.query("begin")
    try {
      await client.query("select set_config('app.customer_id', $1, true)", [input.customerId])
      const found = await client.query("select id from connections where id = $1 for no key update", [
        input.connectionId,
      ])
      if (found.rowCount === 0) {
        await client.query("rollback")
        return undefined
      }
      await client.query(createStaging)
      await stage(client, input.records)
      const { rows } = await client.query<SnapshotSummary>(mergeStaged, [
        input.customerId,
        input.connectionId,
        input.now,
      ])
      await client.query("commit")
      const summary = rows[0]
      return {
        added: summary?.added ?? 0,
        updated: summary?.updated ?? 0,
        removed: summary?.removed ?? 0,
        unchanged: summary?.unchanged ?? 0,
      }
    } catch (error) {
      await client.query("rollback").catch(() => {})
      throw error
    }
  } finally {
    client.release()
  }
}

const currentRecords = (trx: CustomerTransaction) =>
  trx
    .selectFrom("employee_records")
    .select(["connection_id", "individual_id", "entity_id", "individual", "employment"])
    .where("removed_at", "is", null)

/** Builds the store over `db`, which must come from `makeKysely` (snapshots are written with `COPY` on its pool). */
export const make = (options: { readonly db: Kysely<Database> }): EmployeeStore["Type"] => {
  const { db } = options
  const pool = poolOf(db)
  if (pool === undefined) throw new Error("PgEmployeeStore needs a Kysely instance made by makeKysely")
  return EmployeeStore.of({
    replaceSnapshot: Effect.fn("EmployeeStore.replaceSnapshot")(function* (customerId, connectionId, records) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, records: records.length })
      const summary = yield* query(() =>
        replaceOnPool(pool, { customerId, connectionId, records: lastPerIndividual(records), now: new Date() }),
      ).pipe(Effect.orDie)
      if (summary === undefined) return yield* new ConnectionNotFound({ customerId, connectionId })
      return summary
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
      return yield* toEmployeeRecords(rows)
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
      return yield* toEmployeeRecords(rows)
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
