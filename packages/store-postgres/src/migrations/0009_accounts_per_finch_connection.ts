import { type Kysely, sql } from "kysely"

/**
 * Finch's current model: each login is its own Finch connection, with its own token, status and entities, and the
 * connection's status follows from its accounts'. So the Finch connection id, the entities a token reaches, the
 * authentication method and Finch's statuses move to `connection_accounts`; `connections.status` becomes the derived
 * one (also `pending` and `error`). A disconnected connection no longer holds its provider+company: only live
 * connections are unique across customers (one row per customer stays, revived when its owner connects again).
 *
 * Existing rows: `active` accounts become `connected`, `revoked` ones (what a disconnect left) `disconnected`. An
 * account gets the connection's old Finch connection id when it was keyed by it or was the connection's only account;
 * every account starts with the connection's entities and no introspection time, so the next status check
 * (`Connections.refreshConnectionStatus`) describes each token afresh and fills in what the old rows could not say.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`ALTER TABLE connection_accounts
    ADD COLUMN finch_connection_id text,
    ADD COLUMN entity_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN authentication_method text,
    ADD COLUMN reauth_required_at timestamptz,
    ADD COLUMN introspected_at timestamptz,
    DROP CONSTRAINT connection_accounts_status_check`.execute(db)
  await sql`UPDATE connection_accounts a SET
      status = CASE a.status WHEN 'active' THEN 'connected' WHEN 'revoked' THEN 'disconnected' ELSE a.status END,
      reauth_required_at = CASE WHEN a.status = 'reauth_required' THEN c.reauth_required_at END,
      entity_ids = ARRAY(SELECT e ->> 'id' FROM jsonb_array_elements(c.entities) AS e),
      finch_connection_id = CASE
        WHEN a.account_id = c.finch_connection_id
          OR (SELECT count(*) FROM connection_accounts o WHERE o.connection_id = a.connection_id) = 1
        THEN c.finch_connection_id END
    FROM connections c WHERE c.id = a.connection_id`.execute(db)
  await sql`ALTER TABLE connection_accounts ADD CONSTRAINT connection_accounts_status_check CHECK (status IN
    ('connected', 'pending', 'processing', 'error_no_account_setup', 'error_permissions', 'reauth_required', 'revoked',
     'disconnected'))`.execute(db)
  await sql`CREATE INDEX connection_accounts_finch_connection_idx ON connection_accounts (finch_connection_id)
    WHERE finch_connection_id IS NOT NULL`.execute(db)

  // The foreign-connection check reads the accounts' Finch connection ids, and ignores disconnected connections.
  await sql`CREATE OR REPLACE FUNCTION connection_held_by_another_customer(text, text, text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.connections c
        WHERE c.customer_id IS DISTINCT FROM current_setting('app.customer_id', true)
          AND c.status <> 'disconnected'
          AND ((c.provider_id = $1 AND c.company_id = $2) OR EXISTS (
            SELECT 1 FROM public.connection_accounts a
            WHERE a.connection_id = c.id AND a.finch_connection_id = $3
              AND a.status NOT IN ('revoked', 'disconnected')))
      )
    $$`.execute(db)
  // Webhooks name only the Finch connection: who holds it, across customers (ids only, nothing else).
  await sql`CREATE FUNCTION finch_connection_holders(text)
    RETURNS TABLE (customer_id text, connection_id uuid, account_id text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      SELECT a.customer_id, a.connection_id, a.account_id FROM public.connection_accounts a
      WHERE a.finch_connection_id = $1 ORDER BY a.connected_at, a.account_id
    $$`.execute(db)
  await sql`REVOKE ALL ON FUNCTION finch_connection_holders(text) FROM PUBLIC`.execute(db)
  await sql`GRANT EXECUTE ON FUNCTION finch_connection_holders(text) TO finch_app, finch_worker`.execute(db)

  await sql`DROP INDEX connections_finch_connection_id_key`.execute(db)
  await sql`ALTER TABLE connections DROP COLUMN finch_connection_id, DROP CONSTRAINT connections_status_check,
    DROP CONSTRAINT connections_provider_company_key`.execute(db)
  await sql`ALTER TABLE connections ADD CONSTRAINT connections_status_check
    CHECK (status IN ('active', 'pending', 'reauth_required', 'error', 'disconnected'))`.execute(db)
  await sql`CREATE UNIQUE INDEX connections_live_provider_company_key ON connections (provider_id, company_id)
    WHERE status <> 'disconnected'`.execute(db)
  await sql`ALTER TABLE connections ADD CONSTRAINT connections_customer_provider_company_key
    UNIQUE (customer_id, provider_id, company_id)`.execute(db)

  await sql`ALTER TABLE audit_events DROP CONSTRAINT audit_events_kind_check`.execute(db)
  await sql`ALTER TABLE audit_events ADD CONSTRAINT audit_events_kind_check CHECK (kind IN ('connection_created',
    'account_added', 'token_replaced', 'reauth_required', 'status_changed', 'revoked', 'disconnected',
    'entities_removed'))`.execute(db)

  // The worker records what it learns about a login (status checks, refusals); ending one and destroying its tokens
  // stays the application's.
  await sql`GRANT UPDATE (status, updated_at, reauth_required_at, introspected_at, entity_ids, products,
    finch_connection_id, authentication_method) ON connection_accounts TO finch_worker`.execute(db)
  await sql`GRANT UPDATE (entities, products, disconnected_at) ON connections TO finch_worker`.execute(db)
}

export const down = async (_db: Kysely<any>): Promise<void> => {
  throw new Error("0009_accounts_per_finch_connection cannot be undone: restore a backup instead")
}
