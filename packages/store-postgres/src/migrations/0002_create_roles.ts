import { type Kysely, sql } from "kysely"

/**
 * The roles the application and the worker run as. Roles belong to the whole server, not to one database, so several
 * databases (and concurrent test runs) share them: each is created only when `pg_roles` lacks it (so an owner login
 * without CREATEROLE can migrate once they exist), a concurrent creator's win is accepted, and an existing role that
 * could get past row-level security stops the migration.
 * `customers` is the first customer-owned table: a session sees only the customer it has set in `app.customer_id`.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'finch_app') THEN
        CREATE ROLE finch_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`,
    sql`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'finch_worker') THEN
        CREATE ROLE finch_worker NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`,
    sql`DO $$ BEGIN
      IF EXISTS (
        SELECT 1 FROM pg_roles
        WHERE rolname IN ('finch_app', 'finch_worker') AND (rolsuper OR rolbypassrls OR rolcreaterole)
      ) THEN
        RAISE EXCEPTION 'the roles finch_app and finch_worker must not be superuser, bypass RLS or create roles';
      END IF;
    END $$`,
    sql`GRANT USAGE ON SCHEMA public TO finch_app, finch_worker`,
    sql`ALTER TABLE customers ENABLE ROW LEVEL SECURITY`,
    sql`CREATE POLICY customers_of_current_customer ON customers TO finch_app, finch_worker
      USING (id = current_setting('app.customer_id', true))
      WITH CHECK (id = current_setting('app.customer_id', true))`,
    sql`GRANT SELECT, INSERT ON customers TO finch_app`,
    sql`GRANT SELECT ON customers TO finch_worker`,
  ]) {
    await statement.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`DROP POLICY customers_of_current_customer ON customers`.execute(db)
  await sql`ALTER TABLE customers DISABLE ROW LEVEL SECURITY`.execute(db)
  await sql`REVOKE ALL ON customers FROM finch_app, finch_worker`.execute(db)
}
