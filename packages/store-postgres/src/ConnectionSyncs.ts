/**
 * The last sync of each of a customer's connections, as the connections table records it (the worker writes it),
 * for the API to show next to the connection. Read in the customer's transaction, under row-level security.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer } from "effect"
import type { Kysely } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database, SyncRunStatus } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** When a connection's last sync started and ended, and how it ended. */
export interface LastSync {
  readonly startedAt: Date
  readonly finishedAt: Date | null
  readonly status: SyncRunStatus | null
}

/** The last syncs of a customer's connections. */
export class ConnectionSyncs extends Context.Tag("@finch-connections/store-postgres/ConnectionSyncs")<
  ConnectionSyncs,
  {
    /** Each connection's last sync by connection id; connections never synced are absent. */
    readonly lastSyncs: (customerId: CustomerId) => Effect.Effect<ReadonlyMap<string, LastSync>>
  }
>() {}

/** Builds the reader over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): ConnectionSyncs["Type"] =>
  ConnectionSyncs.of({
    lastSyncs: Effect.fn("ConnectionSyncs.lastSyncs")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const rows = yield* withCustomer(options.db, customerId, (trx) =>
        query(() =>
          trx
            .selectFrom("connections")
            .select(["id", "last_sync_started_at", "last_sync_finished_at", "last_sync_status"])
            .where("last_sync_started_at", "is not", null)
            .execute(),
        ),
      ).pipe(Effect.orDie)
      return new Map(
        rows.flatMap((row) =>
          row.last_sync_started_at === null
            ? []
            : [
                [
                  row.id,
                  {
                    startedAt: row.last_sync_started_at,
                    finishedAt: row.last_sync_finished_at,
                    status: row.last_sync_status,
                  },
                ] as const,
              ],
        ),
      )
    }),
  })

/** The reader over the store's pool. */
export const layer: Layer.Layer<ConnectionSyncs, never, PgDatabase.PgDatabase> = Layer.effect(
  ConnectionSyncs,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
