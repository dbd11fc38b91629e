/**
 * core's `ConnectionListing` on PostgreSQL: the customer's existence, its connections (whose rows carry the last sync
 * the queue records) and their accounts, read in one statement under the customer's row-level security.
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import { ConnectionListing, type LastSync, type ListedConnection } from "@finch-connections/core/ConnectionListing"
import { CustomerNotFound } from "@finch-connections/core/Customer"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import type { ConnectionAccountRow, ConnectionRow, Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import { toConnections } from "./PgConnectionRepository.ts"
import * as PgDatabase from "./PgDatabase.ts"

const lastSyncOf = (row: ConnectionRow): Option.Option<LastSync> =>
  row.last_sync_started_at === null || row.last_sync_status === null
    ? Option.none()
    : Option.some({
        startedAt: row.last_sync_started_at,
        finishedAt: Option.fromNullable(row.last_sync_finished_at),
        status: row.last_sync_status,
      })

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
  last_sync_started_at: dateOrNull(row.last_sync_started_at),
  last_sync_finished_at: dateOrNull(row.last_sync_finished_at),
})

const accountRowOf = (row: JsonRow<ConnectionAccountRow>): ConnectionAccountRow => ({
  ...row,
  connected_at: dateOf(row.connected_at),
  updated_at: dateOf(row.updated_at),
  reauth_required_at: dateOrNull(row.reauth_required_at),
  introspected_at: dateOrNull(row.introspected_at),
})

/** The connections of `rows` (in their order) with their accounts and last syncs. */
const listed = (
  rows: ReadonlyArray<ConnectionRow>,
  accounts: ReadonlyArray<JsonRow<ConnectionAccountRow>>,
): ReadonlyArray<ListedConnection> =>
  toConnections(rows, accounts.map(accountRowOf)).map((connection, index) => ({
    connection,
    lastSync: lastSyncOf(rows[index]!),
  }))

/** What `connection_listing` (migration 0032) answers: JSON rows, or null for a customer or connection not there. */
interface Listing {
  readonly connections: ReadonlyArray<JsonRow<ConnectionRow>>
  readonly accounts: ReadonlyArray<JsonRow<ConnectionAccountRow>>
}

/**
 * Builds the listing over `db`. Each read is one statement, `connection_listing` (migration 0032), which names the
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
      Effect.map((found) => (found === null ? null : listed(found.connections.map(connectionRowOf), found.accounts))),
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
