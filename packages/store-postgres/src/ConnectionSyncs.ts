/**
 * Where each of a customer's connections stands with its employee syncs, read from `sync_runs` for the pages: a sync
 * asked for that no worker has started yet (a request inserts its `queued` run at once, see `PgSyncQueue`), one
 * running, and the newest that ended. Read in the customer's transaction, under row-level security.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer } from "effect"
import type { Kysely } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** A sync a worker runs now: when it first started. */
export interface RunningSync {
  readonly startedAt: Date
}

/** A sync asked for and waiting for a worker: when it was asked for; after a deferral, when it is tried again. */
export interface QueuedSync {
  readonly requestedAt: Date
  readonly retryAt: Date | null
}

/** The newest sync that ended: how, and when. */
export interface FinishedSync {
  readonly status: "succeeded" | "partial" | "failed"
  readonly finishedAt: Date
}

/** A connection's syncs as a person follows them; each part null when there is none. */
export interface SyncState {
  readonly running: RunningSync | null
  readonly queued: QueuedSync | null
  readonly lastFinished: FinishedSync | null
}

/** The sync states of a customer's connections. */
export class ConnectionSyncs extends Context.Tag("@finch-connections/store-postgres/ConnectionSyncs")<
  ConnectionSyncs,
  {
    /** Each connection's sync state by connection id; connections for which no sync was ever asked are absent. */
    readonly states: (customerId: CustomerId) => Effect.Effect<ReadonlyMap<string, SyncState>>
  }
>() {}

const isFinished = (status: string | null): status is FinishedSync["status"] =>
  status === "succeeded" || status === "partial" || status === "failed"

/** Builds the reader over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): ConnectionSyncs["Type"] =>
  ConnectionSyncs.of({
    states: Effect.fn("ConnectionSyncs.states")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* withCustomer(options.db, customerId, (trx) =>
        query(() =>
          trx
            .selectFrom("connections as c")
            .leftJoinLateral(
              (eb) =>
                eb
                  .selectFrom("sync_runs as r")
                  .select("r.started_at as running_started_at")
                  .whereRef("r.connection_id", "=", "c.id")
                  .where("r.status", "=", "running")
                  .orderBy("r.started_at")
                  .limit(1)
                  .as("running"),
              (join) => join.onTrue(),
            )
            .leftJoinLateral(
              (eb) =>
                eb
                  .selectFrom("sync_runs as r")
                  .select(["r.requested_at as queued_requested_at", "r.retry_at as queued_retry_at"])
                  .whereRef("r.connection_id", "=", "c.id")
                  .where("r.status", "=", "queued")
                  .orderBy("r.requested_at")
                  .limit(1)
                  .as("queued"),
              (join) => join.onTrue(),
            )
            .leftJoinLateral(
              (eb) =>
                eb
                  .selectFrom("sync_runs as r")
                  .select(["r.status as finished_status", "r.finished_at as finished_at"])
                  .whereRef("r.connection_id", "=", "c.id")
                  .where("r.finished_at", "is not", null)
                  // runs claimed together end together, so the newest asked for is the newest ended
                  .orderBy("r.requested_at", "desc")
                  .limit(1)
                  .as("finished"),
              (join) => join.onTrue(),
            )
            .select([
              "c.id",
              "running.running_started_at",
              "queued.queued_requested_at",
              "queued.queued_retry_at",
              "finished.finished_status",
              "finished.finished_at",
            ])
            .execute(),
        ),
      ).pipe(Effect.orDie)
      return new Map(
        rows.flatMap((row) => {
          const state: SyncState = {
            running: row.running_started_at === null ? null : { startedAt: row.running_started_at },
            queued:
              row.queued_requested_at === null
                ? null
                : { requestedAt: row.queued_requested_at, retryAt: row.queued_retry_at },
            lastFinished:
              row.finished_at === null || !isFinished(row.finished_status)
                ? null
                : { status: row.finished_status, finishedAt: row.finished_at },
          }
          return state.running === null && state.queued === null && state.lastFinished === null
            ? []
            : [[row.id, state] as const]
        }),
      )
    }),
  })

/** The reader over the store's pool. */
export const layer: Layer.Layer<ConnectionSyncs, never, PgDatabase.PgDatabase> = Layer.effect(
  ConnectionSyncs,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
