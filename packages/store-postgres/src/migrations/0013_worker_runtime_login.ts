import { type Kysely, sql } from "kysely"

/**
 * The worker runs on a runtime login (a member of `finch_worker` only), graphile-worker included, so nothing it does
 * may need the owner or a way past row-level security:
 *
 * - The scheduler's ticks look across customers through two security-definer functions that answer only
 *   `(customer_id, connection_id)` pairs — no token, no other column — executable by `finch_worker` alone:
 *   `due_connection_syncs` (connections not disconnected with no pending run and none requested within the cadence)
 *   and `connections_to_check` (connections not disconnected). Like 0012's functions they say they work across
 *   customers for their one query (forced row-level security binds their owner too), then put the setting back.
 *   PL/pgSQL binds names when a function first runs, so these may name `sync_runs` columns that 0020 adds (a fresh
 *   database runs 0013 first).
 * - `job_queue.worker_pools` is granted by 0022 (it runs after 0021, which creates it).
 *
 * graphile-worker's own schema is not granted here: it is installed after these migrations and graphile-worker may
 * recreate its tables when it upgrades, so `JobQueue.install` grants it right after every install/upgrade.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`CREATE FUNCTION due_connection_syncs(p_cadence_ms bigint)
      RETURNS TABLE (customer_id text, connection_id uuid)
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $$
        DECLARE
          previous text := current_setting('app.all_customers', true);
        BEGIN
          PERFORM set_config('app.all_customers', 'on', true);
          RETURN QUERY SELECT c.customer_id, c.id FROM public.connections c
            WHERE c.status <> 'disconnected' AND NOT EXISTS (
              SELECT 1 FROM public.sync_runs r WHERE r.connection_id = c.id
                AND (r.status IN ('queued', 'running')
                  OR r.requested_at > now() - make_interval(secs => p_cadence_ms / 1000.0)))
            ORDER BY c.id;
          PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
        END
      $$`,
    sql`CREATE FUNCTION connections_to_check()
      RETURNS TABLE (customer_id text, connection_id uuid)
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $$
        DECLARE
          previous text := current_setting('app.all_customers', true);
        BEGIN
          PERFORM set_config('app.all_customers', 'on', true);
          RETURN QUERY SELECT c.customer_id, c.id FROM public.connections c
            WHERE c.status <> 'disconnected' ORDER BY c.id;
          PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
        END
      $$`,
    sql`REVOKE ALL ON FUNCTION due_connection_syncs(bigint) FROM PUBLIC`,
    sql`REVOKE ALL ON FUNCTION connections_to_check() FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION due_connection_syncs(bigint) TO finch_worker`,
    sql`GRANT EXECUTE ON FUNCTION connections_to_check() TO finch_worker`,
  ]) {
    await statement.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`DROP FUNCTION connections_to_check()`,
    sql`DROP FUNCTION due_connection_syncs(bigint)`,
  ]) {
    await statement.execute(db)
  }
}
