import { type Kysely, sql } from "kysely"

/**
 * Row-level security binds the tables' owner too (`FORCE`), so a session of the owner's login sees nothing by
 * accident: it names one customer (`app.customer_id`), as the application does, or says it works across customers
 * (`app.all_customers = on`: migrations, key rotation, retention). The owner can still switch this off — it owns the
 * tables — which is why the application never logs in as the owner. The security-definer functions of 0007 and 0009
 * run as the owner and look across customers by design, so they say so (for their one query).
 *
 * Every table with row-level security gets this, found in the catalog rather than listed: a fresh database runs this
 * before 0050 (persons) and before tables of later streams, so `migrateToLatest` applies that part
 * (`forceOnEveryCustomerTable`) again after each run; it is idempotent. A customer table names its customer in
 * `customer_id` (`customers` in `id`).
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await forceOnEveryCustomerTable(db)
  // Same answer as 0007's, looking across customers for the one query it makes, then putting the setting back (a
  // function's own `SET app.…` clause needs a superuser to install).
  await sql`CREATE OR REPLACE FUNCTION connection_held_by_another_customer(text, text, text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      DECLARE
        previous text := current_setting('app.all_customers', true);
        held boolean;
      BEGIN
        PERFORM set_config('app.all_customers', 'on', true);
        SELECT EXISTS (
          SELECT 1 FROM public.connections c
          WHERE c.customer_id IS DISTINCT FROM current_setting('app.customer_id', true)
            AND c.status <> 'disconnected'
            AND ((c.provider_id = $1 AND c.company_id = $2) OR EXISTS (
              SELECT 1 FROM public.connection_accounts a
              WHERE a.connection_id = c.id AND a.finch_connection_id = $3
                AND a.status NOT IN ('revoked', 'disconnected')))
        ) INTO held;
        PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
        RETURN held;
      END
    $$`.execute(db)
  await sql`CREATE OR REPLACE FUNCTION finch_connection_holders(text)
    RETURNS TABLE (customer_id text, connection_id uuid, account_id text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      DECLARE
        previous text := current_setting('app.all_customers', true);
      BEGIN
        PERFORM set_config('app.all_customers', 'on', true);
        RETURN QUERY SELECT a.customer_id, a.connection_id, a.account_id FROM public.connection_accounts a
          WHERE a.finch_connection_id = $1 ORDER BY a.connected_at, a.account_id;
        PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
      END
    $$`.execute(db)
}

/** FORCE and the owner's policy on every table with row-level security that lacks them; idempotent. */
export const forceOnEveryCustomerTable = async (db: Kysely<any>): Promise<void> => {
  const { rows } = await sql<{
    table: string
    owner: string
    forced: boolean
    has_policy: boolean
    column: string | null
  }>`
    SELECT c.relname AS table, pg_get_userbyid(c.relowner) AS owner, c.relforcerowsecurity AS forced,
      EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = c.relname || '_maintenance_by_owner')
        AS has_policy,
      CASE WHEN c.relname = 'customers' THEN 'id' ELSE (
        SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped
      ) END AS column
    FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
    ORDER BY c.relname`.execute(db)
  for (const table of rows) {
    if (table.column === null) {
      throw new Error(`${table.table} has row-level security but no customer_id column to key it on`)
    }
    if (!table.has_policy) {
      const predicate = sql`current_setting('app.all_customers', true) = 'on'
        OR ${sql.ref(table.column)} = current_setting('app.customer_id', true)`
      await sql`CREATE POLICY ${sql.id(`${table.table}_maintenance_by_owner`)} ON ${sql.table(table.table)}
        TO ${sql.id(table.owner)} USING (${predicate}) WITH CHECK (${predicate})`.execute(db)
    }
    if (!table.forced) await sql`ALTER TABLE ${sql.table(table.table)} FORCE ROW LEVEL SECURITY`.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`CREATE OR REPLACE FUNCTION connection_held_by_another_customer(text, text, text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.connections c
        WHERE c.customer_id IS DISTINCT FROM current_setting('app.customer_id', true)
          AND ((c.provider_id = $1 AND c.company_id = $2) OR c.finch_connection_id = $3)
      )
    $$`.execute(db)
  const { rows } = await sql<{ table: string }>`
    SELECT c.relname AS table FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relforcerowsecurity`.execute(db)
  for (const { table } of rows) {
    await sql`ALTER TABLE ${sql.table(table)} NO FORCE ROW LEVEL SECURITY`.execute(db)
    await sql`DROP POLICY IF EXISTS ${sql.id(`${table}_maintenance_by_owner`)} ON ${sql.table(table)}`.execute(db)
  }
}
