import { type Kysely, sql } from "kysely"

/**
 * Connections, their accounts and their encrypted tokens. One provider+company is one connection of exactly one
 * customer (unique across customers). Children carry `customer_id` and reference the connection through
 * (customer_id, id), so a row can never point at another customer's connection, and row-level security can key
 * every table on its own column.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("connections")
    .addColumn("id", "uuid", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull().references("customers.id"))
    .addColumn("provider_id", "text", (column) => column.notNull())
    .addColumn("company_id", "text", (column) => column.notNull())
    .addColumn("finch_connection_id", "text")
    .addColumn("status", "text", (column) =>
      column.notNull().check(sql`status IN ('active', 'reauth_required', 'disconnected')`),
    )
    .addColumn("entities", "jsonb", (column) => column.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("created_at", "timestamptz", (column) => column.notNull())
    .addColumn("updated_at", "timestamptz", (column) => column.notNull())
    .addColumn("reauth_required_at", "timestamptz")
    .addColumn("disconnected_at", "timestamptz")
    .addColumn("last_sync_started_at", "timestamptz")
    .addColumn("last_sync_finished_at", "timestamptz")
    .addColumn("last_sync_status", "text", (column) =>
      column.check(sql`last_sync_status IN ('running', 'succeeded', 'partial', 'failed')`),
    )
    .addUniqueConstraint("connections_provider_company_key", ["provider_id", "company_id"])
    .addUniqueConstraint("connections_customer_id_id_key", ["customer_id", "id"])
    .execute()
  await db.schema
    .createIndex("connections_finch_connection_id_key")
    .on("connections")
    .column("finch_connection_id")
    .unique()
    .where(sql.ref("finch_connection_id"), "is not", null)
    .execute()
  await db.schema
    .createIndex("connections_customer_created_idx")
    .on("connections")
    .columns(["customer_id", "created_at desc"])
    .execute()

  await db.schema
    .createTable("access_tokens")
    .addColumn("id", "uuid", (column) => column.primaryKey())
    .addColumn("customer_id", "text", (column) => column.notNull())
    .addColumn("connection_id", "uuid", (column) => column.notNull())
    .addColumn("account_id", "text", (column) => column.notNull())
    .addColumn("key_id", "text")
    .addColumn("nonce", "bytea")
    .addColumn("ciphertext", "bytea")
    .addColumn("status", "text", (column) =>
      column.notNull().check(sql`status IN ('active', 'replaced', 'revoked', 'destroyed')`),
    )
    .addColumn("created_at", "timestamptz", (column) => column.notNull())
    .addColumn("retired_at", "timestamptz")
    .addColumn("replaced_by", "uuid", (column) => column.references("access_tokens.id"))
    .addForeignKeyConstraint("access_tokens_connection_fkey", ["customer_id", "connection_id"], "connections", [
      "customer_id",
      "id",
    ])
    .addUniqueConstraint("access_tokens_id_connection_account_key", ["id", "connection_id", "account_id"])
    // Destroyed (crypto-shredded) tokens keep their row but lose all key material; every other token has it.
    .addCheckConstraint(
      "access_tokens_sealed_unless_destroyed",
      sql`(status = 'destroyed' AND key_id IS NULL AND nonce IS NULL AND ciphertext IS NULL)
        OR (status <> 'destroyed' AND key_id IS NOT NULL AND nonce IS NOT NULL AND ciphertext IS NOT NULL)`,
    )
    .addCheckConstraint("access_tokens_retired_unless_active", sql`(status = 'active') = (retired_at IS NULL)`)
    .execute()
  await db.schema
    .createIndex("access_tokens_one_active_per_account")
    .on("access_tokens")
    .columns(["connection_id", "account_id"])
    .unique()
    .where(sql.ref("status"), "=", "active")
    .execute()

  await db.schema
    .createTable("connection_accounts")
    .addColumn("customer_id", "text", (column) => column.notNull())
    .addColumn("connection_id", "uuid", (column) => column.notNull())
    .addColumn("account_id", "text", (column) => column.notNull())
    .addColumn("token_id", "uuid", (column) => column.notNull())
    .addColumn("products", sql`text[]`, (column) => column.notNull())
    .addColumn("status", "text", (column) =>
      column.notNull().check(sql`status IN ('active', 'reauth_required', 'revoked')`),
    )
    .addColumn("connected_at", "timestamptz", (column) => column.notNull())
    .addColumn("updated_at", "timestamptz", (column) => column.notNull())
    .addPrimaryKeyConstraint("connection_accounts_pkey", ["connection_id", "account_id"])
    .addForeignKeyConstraint("connection_accounts_connection_fkey", ["customer_id", "connection_id"], "connections", [
      "customer_id",
      "id",
    ])
    // The account's current token is one of its own.
    .addForeignKeyConstraint(
      "connection_accounts_token_fkey",
      ["token_id", "connection_id", "account_id"],
      "access_tokens",
      ["id", "connection_id", "account_id"],
    )
    .execute()

  for (const table of ["connections", "access_tokens", "connection_accounts"]) {
    await sql`ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY`.execute(db)
    await sql`CREATE POLICY ${sql.id(`${table}_of_current_customer`)} ON ${sql.table(table)}
      TO finch_app, finch_worker
      USING (customer_id = current_setting('app.customer_id', true))
      WITH CHECK (customer_id = current_setting('app.customer_id', true))`.execute(db)
  }
  await sql`GRANT SELECT, INSERT, UPDATE ON connections, access_tokens, connection_accounts TO finch_app`.execute(db)
  // The worker reads connections and opens their tokens, and records what it learns (reauth needed, sync state).
  await sql`GRANT SELECT ON connections, access_tokens, connection_accounts TO finch_worker`.execute(db)
  await sql`GRANT UPDATE (status, updated_at, reauth_required_at, last_sync_started_at, last_sync_finished_at,
    last_sync_status) ON connections TO finch_worker`.execute(db)
  await sql`GRANT UPDATE (status, updated_at) ON connection_accounts TO finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable("connection_accounts").execute()
  await db.schema.dropTable("access_tokens").execute()
  await db.schema.dropTable("connections").execute()
}
