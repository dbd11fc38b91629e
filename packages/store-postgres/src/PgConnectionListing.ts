/**
 * core's `ConnectionListing` on PostgreSQL: the customer's existence, its connections, their accounts and where their
 * syncs stand in `sync_runs` (running, queued, the newest ended), read in one statement under the customer's
 * row-level security.
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import {
  ConnectionListing,
  type EndedSync,
  type ListedConnection,
  type PendingSync,
} from "@finch-connections/core/ConnectionListing"
import { CustomerNotFound } from "@finch-connections/core/Customer"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { SyncId } from "@finch-connections/core/SyncQueue"
import { Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import type { ConnectionAccountRow, ConnectionRow, Database, SyncRunRow } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import { toConnections } from "./PgConnectionRepository.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** Rows as JSON gives them (`json_agg`): timestamps as ISO 8601 text. */
type JsonRow<Row> = {
  readonly [K in keyof Row]: Row[K] extends Date ? string : Row[K] extends Date | null ? string | null : Row[K]
}

const dateOf = (text: string) => new Date(text)
const dateOrNull = (text: string | null) => (text === null ? null : new Date(text))

const connectionRowOf = (row: JsonRow<ConnectionRow>): ConnectionRow => ({
  ...row,
  created_at: dateOf(row.created_at),
  updated_at: dateOf(row.updated_at),
  reauth_required_at: dateOrNull(row.reauth_required_at),
  disconnected_at: dateOrNull(row.disconnected_at),
})

const accountRowOf = (row: JsonRow<ConnectionAccountRow>): ConnectionAccountRow => ({
  ...row,
  connected_at: dateOf(row.connected_at),
  updated_at: dateOf(row.updated_at),
  reauth_required_at: dateOrNull(row.reauth_required_at),
  introspected_at: dateOrNull(row.introspected_at),
})

/** The columns of a sync run the listing reads. */
type SyncRunJson = JsonRow<
  Pick<SyncRunRow, "id" | "status" | "requested_at" | "started_at" | "retry_at" | "finished_at">
>

/** One connection's syncs as `connection_listing` gives them: each run null when there is none. */
interface SyncsJson {
  readonly connection_id: string
  readonly running: SyncRunJson | null
  readonly queued: SyncRunJson | null
  readonly ended: SyncRunJson | null
}

const pendingOf = (run: SyncRunJson | null): Option.Option<PendingSync> =>
  run !== null && (run.status === "queued" || run.status === "running")
    ? Option.some({
        id: SyncId.make(run.id),
        status: run.status,
        requestedAt: dateOf(run.requested_at),
        startedAt: Option.map(Option.fromNullable(run.started_at), dateOf),
        retryAt: Option.map(Option.fromNullable(run.retry_at), dateOf),
      })
    : Option.none()

const endedOf = (run: SyncRunJson | null): Option.Option<EndedSync> =>
  run !== null && run.finished_at !== null && run.status !== "queued" && run.status !== "running"
    ? Option.some({
        id: SyncId.make(run.id),
        status: run.status,
        requestedAt: dateOf(run.requested_at),
        startedAt: Option.map(Option.fromNullable(run.started_at), dateOf),
        finishedAt: dateOf(run.finished_at),
      })
    : Option.none()

/** The connections of `rows` (in their order) with their accounts and syncs. */
const listed = (
  rows: ReadonlyArray<ConnectionRow>,
  accounts: ReadonlyArray<JsonRow<ConnectionAccountRow>>,
  syncs: ReadonlyArray<SyncsJson>,
): ReadonlyArray<ListedConnection> => {
  const syncsById = new Map(syncs.map((row) => [row.connection_id, row]))
  return toConnections(rows, accounts.map(accountRowOf)).map((connection) => {
    const found = syncsById.get(connection.id)
    return {
      connection,
      runningSync: pendingOf(found?.running ?? null),
      queuedSync: pendingOf(found?.queued ?? null),
      lastSync: endedOf(found?.ended ?? null),
    }
  })
}

/**
 * What `connection_listing` (migrations 0032, 0033) answers: JSON rows, or null for a customer or connection not
 * there.
 */
interface Listing {
  readonly connections: ReadonlyArray<JsonRow<ConnectionRow>>
  readonly accounts: ReadonlyArray<JsonRow<ConnectionAccountRow>>
  readonly syncs: ReadonlyArray<SyncsJson>
}

/**
 * Builds the listing over `db`. Each read is one statement, `connection_listing` (migrations 0032, 0033), which names the
 * customer for its transaction as `withCustomer` does and reads under the role's row-level security: one snapshot,
 * one round trip.
 */
export const make = (options: { readonly db: Kysely<Database> }): ConnectionListing["Type"] => {
  const { db } = options
  const read = (customerId: CustomerId, connectionId: ConnectionId | null) =>
    query(() =>
      sql<{
        readonly listing: Listing | null
      }>`select connection_listing(${customerId}, ${connectionId}::uuid) as listing`
        .execute(db)
        .then((result) => result.rows[0]?.listing ?? null),
    ).pipe(
      Effect.catchTag("DatabaseError", Effect.die),
      Effect.map((found) =>
        found === null ? null : listed(found.connections.map(connectionRowOf), found.accounts, found.syncs),
      ),
    )
  return ConnectionListing.of({
    list: Effect.fn("ConnectionListing.list")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const found = yield* read(customerId, null)
      if (found === null) return yield* new CustomerNotFound({ customerId })
      return found
    }),
    get: Effect.fn("ConnectionListing.get")(function* (customerId: CustomerId, connectionId: ConnectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const found = (yield* read(customerId, connectionId))?.[0]
      if (found === undefined) return yield* new ConnectionNotFound({ customerId, connectionId })
      return found
    }),
  })
}

/** The listing over the store's pool. */
export const layer: Layer.Layer<ConnectionListing, never, PgDatabase.PgDatabase> = Layer.effect(
  ConnectionListing,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
