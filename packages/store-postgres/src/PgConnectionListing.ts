/**
 * core's `ConnectionListing` on PostgreSQL: the customer's existence, its connections (whose rows carry the last sync
 * the queue records) and their accounts, read in one statement in the customer's transaction (row-level security on).
 */
import { ConnectionNotFound } from "@finch-connections/core/Connection"
import { ConnectionListing, type LastSync, type ListedConnection } from "@finch-connections/core/ConnectionListing"
import { CustomerNotFound } from "@finch-connections/core/Customer"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Effect, Layer, Option } from "effect"
import type { Kysely } from "kysely"
import { jsonArrayFrom } from "kysely/helpers/postgres"
import { withCustomer } from "./CustomerTransaction.ts"
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

/**
 * Builds the listing over `db`. Each read is one statement (its rows aggregated as JSON) in the customer's
 * transaction: one snapshot, four round trips (begin, the customer's setting, the statement, commit).
 */
export const make = (options: { readonly db: Kysely<Database> }): ConnectionListing["Type"] => {
  const { db } = options
  return ConnectionListing.of({
    list: Effect.fn("ConnectionListing.list")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const found = yield* withCustomer(db, customerId, (trx) =>
        query(() =>
          trx
            .selectFrom("customers")
            .where("customers.id", "=", customerId)
            .select((eb) => [
              jsonArrayFrom(
                eb
                  .selectFrom("connections")
                  .selectAll()
                  .where("connections.customer_id", "=", customerId)
                  .orderBy("created_at", "desc")
                  .orderBy("id", "desc"),
              ).as("connections"),
              jsonArrayFrom(
                eb
                  .selectFrom("connection_accounts")
                  .selectAll()
                  .where("connection_accounts.customer_id", "=", customerId)
                  .orderBy("connected_at")
                  .orderBy("account_id"),
              ).as("accounts"),
            ])
            .executeTakeFirst(),
        ),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
      if (found === undefined) return yield* new CustomerNotFound({ customerId })
      const rows = (found.connections as ReadonlyArray<JsonRow<ConnectionRow>>).map(connectionRowOf)
      return listed(rows, found.accounts as ReadonlyArray<JsonRow<ConnectionAccountRow>>)
    }),
    get: Effect.fn("ConnectionListing.get")(function* (customerId: CustomerId, connectionId: ConnectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const found = yield* withCustomer(db, customerId, (trx) =>
        query(() =>
          trx
            .selectFrom("connections")
            .where("connections.id", "=", connectionId)
            .selectAll()
            .select((eb) =>
              jsonArrayFrom(
                eb
                  .selectFrom("connection_accounts")
                  .selectAll()
                  .whereRef("connection_accounts.connection_id", "=", "connections.id")
                  .orderBy("connected_at")
                  .orderBy("account_id"),
              ).as("accounts"),
            )
            .executeTakeFirst(),
        ),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
      if (found === undefined) return yield* new ConnectionNotFound({ customerId, connectionId })
      const { accounts, ...row } = found
      return listed([row], accounts as ReadonlyArray<JsonRow<ConnectionAccountRow>>)[0]!
    }),
  })
}

/** The listing over the store's pool. */
export const layer: Layer.Layer<ConnectionListing, never, PgDatabase.PgDatabase> = Layer.effect(
  ConnectionListing,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
