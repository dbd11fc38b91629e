/**
 * core's `SyncQueue` on PostgreSQL and graphile-worker. A request inserts (or joins) a `queued` run and queues the
 * connection's `sync_connection` job in the same transaction, through the security-definer function
 * `request_connection_sync` (migration 0020): the job is keyed and queued by connection, so at most one runs per
 * connection and pending requests coalesce. Either role may request; only `finch_worker` may claim, report and
 * finish runs (it alone can update `sync_runs`).
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import { ConnectionId, type CustomerId } from "@finch-connections/core/Ids"
import {
  FailedItem,
  SyncId,
  SyncQueue,
  SyncReason,
  SyncRun,
  SyncRunNotFound,
  type SyncRunStatus,
} from "@finch-connections/core/SyncQueue"
import { Effect, Layer, Option, Schema } from "effect"
import { type Kysely, sql } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database, SyncRunRow } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** At most this many failed items are kept on a run; the counter keeps counting. */
export const maxFailedItemsKept = 1000

const decodeFailedItems = Schema.decodeUnknown(Schema.Array(FailedItem))
const decodeReason = Schema.decodeUnknown(SyncReason)

/** A row as core's `SyncRun`; a row the schema rejects is a defect. */
export const toSyncRun = (row: SyncRunRow) =>
  Effect.gen(function* () {
    const failedItems = yield* decodeFailedItems(row.failed_items)
    const reason = yield* decodeReason(row.reason)
    return new SyncRun({
      id: SyncId.make(row.id),
      customerId: row.customer_id as CustomerId,
      connectionId: ConnectionId.make(row.connection_id),
      status: row.status as SyncRunStatus,
      reason,
      progress: {
        pages: row.pages,
        individuals: row.individuals,
        employments: row.employments,
        failedItems: row.records_failed,
      },
      records: {
        added: row.records_added,
        updated: row.records_updated,
        removed: row.records_removed,
        unchanged: row.records_unchanged,
      },
      failedItems,
      attempts: row.attempts,
      error: Option.fromNullable(row.error),
      requestedAt: row.requested_at,
      retryAt: Option.fromNullable(row.retry_at),
      startedAt: Option.fromNullable(row.started_at),
      finishedAt: Option.fromNullable(row.finished_at),
    })
  }).pipe(Effect.orDie)

/** Builds the queue over `db` (sessions as `finch_worker` for the worker's methods). */
export const make = (options: { readonly db: Kysely<Database> }): SyncQueue["Type"] => {
  const { db } = options
  const inCustomer = <A>(customerId: CustomerId, use: (trx: Kysely<Database>) => Promise<A>) =>
    withCustomer(db, customerId, (trx) => query(() => use(trx))).pipe(Effect.orDie)
  const isUuid = Schema.is(Schema.UUID)

  return SyncQueue.of({
    requestSync: Effect.fn("SyncQueue.requestSync")(function* (customerId, connectionId, options) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const row = yield* inCustomer(customerId, async (trx) => {
        const requested = await sql<{ id: string | null }>`select request_connection_sync(${connectionId}::uuid,
          ${options?.reason ?? "api"}, ${options?.notBefore ?? null}::timestamptz) as id`.execute(trx)
        const id = requested.rows[0]?.id ?? null
        return id === null
          ? undefined
          : await trx.selectFrom("sync_runs").selectAll().where("id", "=", id).executeTakeFirstOrThrow()
      })
      if (row === undefined) return yield* new ConnectionNotFound({ customerId, connectionId })
      return yield* toSyncRun(row)
    }),
    getRun: Effect.fn("SyncQueue.getRun")(function* (customerId, syncId) {
      yield* Effect.annotateCurrentSpan({ customerId, syncId })
      const row = isUuid(syncId)
        ? yield* inCustomer(customerId, (trx) =>
            trx.selectFrom("sync_runs").selectAll().where("id", "=", syncId).executeTakeFirst(),
          )
        : undefined
      if (row === undefined) return yield* new SyncRunNotFound({ customerId, syncId })
      return yield* toSyncRun(row)
    }),
    listRuns: Effect.fn("SyncQueue.listRuns")(function* (customerId, connectionId, options) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const rows = yield* inCustomer(customerId, (trx) =>
        trx
          .selectFrom("sync_runs")
          .selectAll()
          .where("connection_id", "=", connectionId)
          .orderBy("requested_at", "desc")
          .orderBy("id")
          .limit(options?.limit ?? 20)
          .execute(),
      )
      return yield* Effect.forEach(rows, toSyncRun)
    }),
    claimRuns: Effect.fn("SyncQueue.claimRuns")(function* (customerId, connectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const rows = yield* inCustomer(customerId, (trx) =>
        trx
          .updateTable("sync_runs")
          .set({
            status: "running",
            started_at: sql`coalesce(started_at, now())`,
            attempts: sql`attempts + 1`,
            retry_at: null,
            pages: 0,
            individuals: 0,
            employments: 0,
            records_failed: 0,
            failed_items: sql`'[]'::jsonb`,
            updated_at: sql`now()`,
          })
          .where("connection_id", "=", connectionId)
          .where("status", "in", ["queued", "running"])
          .returning("id")
          .execute(),
      )
      return rows.map((row) => SyncId.make(row.id))
    }),
    recordProgress: Effect.fn("SyncQueue.recordProgress")(function* (customerId, runs, progress, failedItems = []) {
      if (runs.length === 0) return
      yield* inCustomer(customerId, (trx) =>
        trx
          .updateTable("sync_runs")
          .set({
            pages: progress.pages,
            individuals: progress.individuals,
            employments: progress.employments,
            records_failed: progress.failedItems,
            failed_items:
              failedItems.length === 0
                ? sql`failed_items`
                : sql`(select coalesce(jsonb_agg(item), '[]'::jsonb) from (
                    select item from jsonb_array_elements(failed_items || ${JSON.stringify(failedItems)}::jsonb) as item
                    limit ${maxFailedItemsKept}) as kept)`,
            updated_at: sql`now()`,
          })
          .where("id", "in", runs)
          .execute(),
      )
    }),
    deferRuns: Effect.fn("SyncQueue.deferRuns")(function* (customerId, connectionId, runs, options) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, retryAt: options.retryAt.toISOString() })
      yield* inCustomer(customerId, async (trx) => {
        if (runs.length > 0) {
          await trx
            .updateTable("sync_runs")
            .set({
              status: "queued",
              retry_at: options.retryAt,
              error: options.reason,
              retries: options.countsAsRetry ? sql`retries + 1` : sql`retries`,
              updated_at: sql`now()`,
            })
            .where("id", "in", runs)
            .execute()
        }
        await sql`select request_connection_sync(${connectionId}::uuid, 'retry', null)`.execute(trx)
      })
    }),
    retriesOf: Effect.fn("SyncQueue.retriesOf")(function* (customerId, runs) {
      if (runs.length === 0) return 0
      const row = yield* inCustomer(customerId, (trx) =>
        trx
          .selectFrom("sync_runs")
          .select((eb) => eb.fn.max("retries").as("retries"))
          .where("id", "in", runs)
          .executeTakeFirst(),
      )
      return Number(row?.retries ?? 0)
    }),
    finishRuns: Effect.fn("SyncQueue.finishRuns")(function* (customerId, connectionId, runs, outcome) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, outcome: outcome._tag })
      const status = outcome._tag === "Succeeded" ? "succeeded" : outcome._tag === "Partial" ? "partial" : "failed"
      if (runs.length === 0) return
      yield* inCustomer(customerId, (trx) =>
        trx
          .updateTable("sync_runs")
          .set({
            status,
            error: outcome._tag === "Failed" ? outcome.error : null,
            retry_at: null,
            finished_at: sql`now()`,
            updated_at: sql`now()`,
            ...(outcome._tag === "Failed"
              ? {}
              : {
                  records_added: outcome.records.added,
                  records_updated: outcome.records.updated,
                  records_removed: outcome.records.removed,
                  records_unchanged: outcome.records.unchanged,
                }),
          })
          .where("id", "in", runs)
          .execute(),
      )
    }),
    requestReconcile: Effect.fn("SyncQueue.requestReconcile")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      yield* inCustomer(customerId, (trx) => sql`select request_customer_reconcile()`.execute(trx))
    }),
  })
}

/** The queue over the store's pool. */
export const layer = Layer.effect(
  SyncQueue,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)

/** The queue over the pool configured from the environment (see `PgDatabase.layerConfig`). */
export const layerConfig = layer.pipe(Layer.provide(PgDatabase.layerConfig))
