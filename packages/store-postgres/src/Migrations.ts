/**
 * The schema's history: frozen, numbered migrations listed in order, run by Kysely's Migrator.
 */
import type { Kysely } from "kysely"
import { type Migration, Migrator } from "kysely/migration"
import * as CreateCustomers from "./migrations/0001_create_customers.ts"
import * as CreateRoles from "./migrations/0002_create_roles.ts"
import * as CreateConnections from "./migrations/0003_create_connections.ts"
import * as CreateEmployeeRecords from "./migrations/0004_create_employee_records.ts"
import * as CreateSyncRuns from "./migrations/0005_create_sync_runs.ts"
import * as CreateAuditEvents from "./migrations/0006_create_audit_events.ts"
import * as CreateForeignConnectionCheck from "./migrations/0007_create_foreign_connection_check.ts"
import * as AddConnectionProducts from "./migrations/0008_add_connection_products.ts"
import * as AccountsPerFinchConnection from "./migrations/0009_accounts_per_finch_connection.ts"
import * as AddAccountUsernames from "./migrations/0010_add_account_usernames.ts"
import * as ForceRowLevelSecurity from "./migrations/0012_force_row_level_security.ts"
import * as WorkerRuntimeLogin from "./migrations/0013_worker_runtime_login.ts"
import * as DigestEmployeeRecords from "./migrations/0014_digest_employee_records.ts"
import * as CreatePersonRuns from "./migrations/0015_create_person_runs.ts"
import * as DropConnectionLastSync from "./migrations/0017_drop_connection_last_sync.ts"
import * as QueueConnectionSyncs from "./migrations/0020_queue_connection_syncs.ts"
import * as CreateWorkerPools from "./migrations/0021_create_worker_pools.ts"
import * as GrantWorkerPools from "./migrations/0022_grant_worker_pools.ts"
import * as ReconcileAfterSyncs from "./migrations/0023_reconcile_after_syncs.ts"
import * as SettleFinchRateSlots from "./migrations/0024_settle_finch_rate_slots.ts"
import * as CreateApiLedgers from "./migrations/0030_create_api_ledgers.ts"
import * as NotifyCustomerChanges from "./migrations/0031_notify_customer_changes.ts"
import * as CreateConnectionListing from "./migrations/0032_create_connection_listing.ts"
import * as ListConnectionSyncs from "./migrations/0033_list_connection_syncs.ts"
import * as CreatePersons from "./migrations/0050_create_persons.ts"

/** Every migration, in the order they run. Never edit one that has shipped: add the next. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_create_customers": CreateCustomers,
  "0002_create_roles": CreateRoles,
  "0003_create_connections": CreateConnections,
  "0004_create_employee_records": CreateEmployeeRecords,
  "0005_create_sync_runs": CreateSyncRuns,
  "0006_create_audit_events": CreateAuditEvents,
  "0007_create_foreign_connection_check": CreateForeignConnectionCheck,
  "0008_add_connection_products": AddConnectionProducts,
  "0009_accounts_per_finch_connection": AccountsPerFinchConnection,
  "0010_add_account_usernames": AddAccountUsernames,
  "0012_force_row_level_security": ForceRowLevelSecurity,
  "0013_worker_runtime_login": WorkerRuntimeLogin,
  "0014_digest_employee_records": DigestEmployeeRecords,
  "0015_create_person_runs": CreatePersonRuns,
  "0017_drop_connection_last_sync": DropConnectionLastSync,
  "0020_queue_connection_syncs": QueueConnectionSyncs,
  "0021_create_worker_pools": CreateWorkerPools,
  "0022_grant_worker_pools": GrantWorkerPools,
  "0023_reconcile_after_syncs": ReconcileAfterSyncs,
  "0024_settle_finch_rate_slots": SettleFinchRateSlots,
  "0030_create_api_ledgers": CreateApiLedgers,
  "0031_notify_customer_changes": NotifyCustomerChanges,
  "0032_create_connection_listing": CreateConnectionListing,
  "0033_list_connection_syncs": ListConnectionSyncs,
  "0050_create_persons": CreatePersons,
}

/** Brings the database up to the newest migration; a no-op when it is already there. */
export const migrateToLatest = async (db: Kysely<any>): Promise<ReadonlyArray<string>> => {
  // Numbers are reserved in blocks (0050… for person reconciliation), so a database may already have a higher-numbered
  // migration when a lower one ships: it still runs, once.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  const applied = (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName)
  // Tables a later-sorting migration created after 0012 ran (0050's, on a fresh database) are bound the same way.
  if (applied.length > 0) await db.transaction().execute((trx) => ForceRowLevelSecurity.forceOnEveryCustomerTable(trx))
  return applied
}
