/**
 * The typed shape of our tables and the Kysely instance over a pg pool. Rows stay in the store: repositories turn
 * them into core's types before returning.
 */
import type { AccountStatus, ConnectionStatus } from "@finch-connections/core/Connection"
import type { ConnectionEventKind } from "@finch-connections/core/ConnectionRepository"
import {
  type ColumnType,
  type Generated,
  type GeneratedAlways,
  type Insertable,
  Kysely,
  type LogEvent,
  PostgresDialect,
  type Selectable,
} from "kysely"
import pg from "pg"

/** A timestamp the database fills in when not given. */
type CreatedAt = ColumnType<Date, Date | undefined, never> & Generated<Date>

/** A `jsonb` column: objects go in as JSON text or values, come out parsed. */
type Json<T> = ColumnType<T, string, string>

/** `customers`: one row per customer of the application, id chosen by the app. */
export interface CustomersTable {
  readonly id: string
  readonly name: string
  readonly created_at: CreatedAt
}
export type CustomerRow = Selectable<CustomersTable>

/** An entity of a multi-entity connection, as stored in `connections.entities`. */
export interface StoredEntity {
  readonly id: string
  readonly name: string | null
  readonly status: string | null
}

/** `connections`: one provider+company of one customer (unique across customers among live connections). */
export interface ConnectionsTable {
  readonly id: string
  readonly customer_id: string
  readonly provider_id: string
  readonly company_id: string
  /** Derived from the accounts' (core's `connectionStatusOf`), stored for listing and scheduling. */
  readonly status: ConnectionStatus
  readonly entities: ColumnType<ReadonlyArray<StoredEntity>, string | undefined, string>
  /** The union of the accounts' products. */
  readonly products: ColumnType<ReadonlyArray<string>, ReadonlyArray<string> | undefined, ReadonlyArray<string>>
  readonly created_at: Date
  readonly updated_at: Date
  readonly reauth_required_at: Date | null
  readonly disconnected_at: Date | null
}
export type ConnectionRow = Selectable<ConnectionsTable>
export type NewConnectionRow = Insertable<ConnectionsTable>

/** `connection_accounts`: one login (on Finch's current API, one Finch connection) and its current token. */
export interface ConnectionAccountsTable {
  readonly customer_id: string
  readonly connection_id: string
  readonly account_id: string
  readonly finch_connection_id: string | null
  readonly token_id: string
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ColumnType<ReadonlyArray<string>, ReadonlyArray<string> | undefined, ReadonlyArray<string>>
  readonly authentication_method: string | null
  /** The login's username as Finch last said it (0010). */
  readonly username: ColumnType<string | null, string | null | undefined, string | null>
  readonly status: AccountStatus
  readonly connected_at: Date
  readonly updated_at: Date
  readonly reauth_required_at: Date | null
  readonly introspected_at: Date | null
}
export type ConnectionAccountRow = Selectable<ConnectionAccountsTable>
export type NewConnectionAccountRow = Insertable<ConnectionAccountsTable>

/** The life of a stored token: in use, superseded after reauth, revoked, or destroyed (ciphertext cleared). */
export type AccessTokenStatus = "active" | "replaced" | "revoked" | "destroyed"

/** `access_tokens`: encrypted tokens; the ciphertext is null once destroyed, the row stays for audit. */
export interface AccessTokensTable {
  readonly id: string
  readonly customer_id: string
  readonly connection_id: string
  readonly account_id: string
  readonly key_id: string | null
  readonly nonce: Uint8Array | null
  readonly ciphertext: Uint8Array | null
  readonly status: AccessTokenStatus
  readonly created_at: Date
  readonly retired_at: Date | null
  readonly replaced_by: string | null
}
export type AccessTokenRow = Selectable<AccessTokensTable>
export type NewAccessTokenRow = Insertable<AccessTokensTable>

/**
 * `employee_records`: the latest records of each connection; matching columns are generated from the JSON. A current
 * record was last seen by its connection's last successful sync (`sync_runs`).
 */
export interface EmployeeRecordsTable {
  readonly customer_id: string
  readonly connection_id: string
  readonly individual_id: string
  readonly entity_id: string | null
  readonly individual: Json<unknown>
  readonly employment: Json<unknown | null> | null
  readonly match_first_name: GeneratedAlways<string | null>
  readonly match_last_name: GeneratedAlways<string | null>
  readonly match_dob: GeneratedAlways<string | null>
  readonly match_emails: GeneratedAlways<ReadonlyArray<string> | null>
  /** SHA-256 (hex) of the JSON texts last written (`PgEmployeeStore`); `NULL` on rows older than migration 0014. */
  readonly content_digest: string | null
  readonly first_seen_at: Date
  /** When the record was added, changed or removed; a re-sync that finds it unchanged leaves the row alone. */
  readonly updated_at: Date
  readonly removed_at: Date | null
}
export type EmployeeRecordRow = Selectable<EmployeeRecordsTable>

/** The state of one sync run. */
export type SyncRunStatus = "queued" | "running" | "succeeded" | "partial" | "failed"

/** `sync_runs`: one employee sync of a connection. */
export interface SyncRunsTable {
  readonly id: string
  readonly customer_id: string
  readonly connection_id: string
  readonly status: SyncRunStatus
  readonly records_added: Generated<number>
  readonly records_updated: Generated<number>
  readonly records_removed: Generated<number>
  readonly records_unchanged: Generated<number>
  readonly records_failed: Generated<number>
  readonly error: string | null
  readonly started_at: Date | null
  readonly finished_at: Date | null
  readonly requested_at: Generated<Date>
  readonly reason: Generated<string>
  readonly attempts: Generated<number>
  readonly retries: Generated<number>
  readonly retry_at: Date | null
  readonly pages: Generated<number>
  readonly individuals: Generated<number>
  readonly employments: Generated<number>
  /** core's `FailedItem`s, as JSON. */
  readonly failed_items: Generated<unknown>
  readonly updated_at: Generated<Date>
}
export type SyncRunRow = Selectable<SyncRunsTable>

/** What an audit event records. */
export type AuditEventKind = ConnectionEventKind

/** `audit_events`: append-only history of a customer's connections. */
export interface AuditEventsTable {
  readonly id: GeneratedAlways<string>
  readonly customer_id: string
  readonly connection_id: string | null
  readonly kind: AuditEventKind
  readonly source: "finch_401" | "webhook" | "introspection" | "user" | "system"
  readonly details: ColumnType<Record<string, unknown>, string | undefined, never>
  readonly occurred_at: Date
}
export type AuditEventRow = Selectable<AuditEventsTable>
export type NewAuditEventRow = Insertable<AuditEventsTable>

/** Every table the store reads and writes. */
export interface Database {
  readonly customers: CustomersTable
  readonly connections: ConnectionsTable
  readonly connection_accounts: ConnectionAccountsTable
  readonly access_tokens: AccessTokensTable
  readonly employee_records: EmployeeRecordsTable
  readonly sync_runs: SyncRunsTable
  readonly audit_events: AuditEventsTable
}

/**
 * The roles created by the migrations: `finch_app` for the API, `finch_worker` (narrower) for background jobs.
 * Neither owns a table nor bypasses row-level security.
 */
export type DatabaseRole = "finch_app" | "finch_worker"

/** Options of a pool. */
export interface KyselyOptions {
  readonly max?: number
  /** Run every session as this role (the login must be a member of it); the owner's login is used when absent. */
  readonly role?: DatabaseRole
  /**
   * Sessions of the owner's login that work across customers (migrations, maintenance, tests arranging data): they
   * pass the owner's row-level security policy without naming a customer. Means nothing to the application roles.
   */
  readonly acrossCustomers?: boolean
  /** Called with every query Kysely runs (e.g. to count round trips). */
  readonly log?: (event: LogEvent) => void
}

const pools = new WeakMap<Kysely<any>, pg.Pool>()

/**
 * The pg pool under a Kysely instance made by `makeKysely`, for what Kysely cannot say (`COPY … FROM STDIN`);
 * `undefined` for an instance made elsewhere.
 */
export const poolOf = (db: Kysely<any>): pg.Pool | undefined => pools.get(db)

/** A Kysely instance on its own pool; destroy it to close the pool. */
export const makeKysely = <DB = Database>(url: string, options: KyselyOptions = {}): Kysely<DB> => {
  // Set at session start: no query on this pool can run before the role (or the setting) is in force.
  const settings = [
    ...(options.role === undefined ? [] : [`-c role=${options.role}`]),
    ...(options.acrossCustomers === true ? ["-c app.all_customers=on"] : []),
  ]
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(settings.length === 0 ? {} : { options: settings.join(" ") }),
  })
  // An idle session the server ended (restart, failover, a dropped database) is discarded by the pool and replaced
  // on the next checkout; without a listener its error would crash the process.
  pool.on("error", () => {})
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    ...(options.log === undefined ? {} : { log: options.log }),
  })
  pools.set(db, pool)
  return db
}
