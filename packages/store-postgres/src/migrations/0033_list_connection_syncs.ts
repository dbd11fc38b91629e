import { type Kysely, type RawBuilder, sql } from "kysely"

/**
 * `connection_listing` (0032) reads where each connection's syncs stand from `sync_runs`, in the same statement: its
 * answer gains `syncs`, one row per connection listed — the sync `running` (the newest asked for, when runs claimed
 * together run), the one `queued` (the oldest waiting: the one a new request joins; `retry_at` after a deferral) and
 * the newest `ended` (runs claimed together end together, so the newest asked for that ended is the newest ended).
 * Each lateral reads a bounded slice of an index 0020 created: the pending ones `sync_runs_pending_idx` (partial, a
 * handful of rows), the ended one `sync_runs_connection_requested_idx` from the newest down, so the cost does not grow
 * with a connection's history. Before, the listing read the `last_sync_*` columns of `connections`, which never knew
 * of a queued sync and mixed a new start with the previous end.
 *
 * `sync_runs` now announces (0031's `customer_changed`) every change of a column the listing shows, not its status
 * alone: a cached list must not hide a deferral's new `retry_at`. Counters still announce nothing.
 */
const run = sql`r.id, r.status, r.requested_at, r.started_at, r.retry_at, r.finished_at`

/** The `syncs` rows of the connections `c` that `where` selects. */
const syncsOf = (where: RawBuilder<unknown>) => sql`(SELECT coalesce(json_agg(json_build_object(
    'connection_id', c.id, 'running', running, 'queued', queued, 'ended', ended)), '[]')
  FROM connections c
  LEFT JOIN LATERAL (SELECT ${run} FROM sync_runs r
    WHERE r.connection_id = c.id AND r.status = 'running' ORDER BY r.requested_at DESC LIMIT 1) running ON true
  LEFT JOIN LATERAL (SELECT ${run} FROM sync_runs r
    WHERE r.connection_id = c.id AND r.status = 'queued' ORDER BY r.requested_at LIMIT 1) queued ON true
  LEFT JOIN LATERAL (SELECT ${run} FROM sync_runs r
    WHERE r.connection_id = c.id AND r.finished_at IS NOT NULL ORDER BY r.requested_at DESC LIMIT 1) ended ON true
  WHERE ${where})`

const listingWithSyncs = sql`CREATE OR REPLACE FUNCTION connection_listing(p_customer_id text,
    p_connection_id uuid DEFAULT NULL) RETURNS json
  LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
  BEGIN
    PERFORM set_config('app.customer_id', p_customer_id, true);
    IF p_connection_id IS NULL THEN
      RETURN (SELECT json_build_object(
        'connections', (SELECT coalesce(json_agg(c ORDER BY c.created_at DESC, c.id DESC), '[]')
          FROM connections c WHERE c.customer_id = p_customer_id),
        'accounts', (SELECT coalesce(json_agg(a ORDER BY a.connected_at, a.account_id), '[]')
          FROM connection_accounts a WHERE a.customer_id = p_customer_id),
        'syncs', ${syncsOf(sql`c.customer_id = p_customer_id`)})
        FROM customers WHERE id = p_customer_id);
    END IF;
    RETURN (SELECT json_build_object(
      'connections', json_build_array(row_to_json(one)),
      'accounts', (SELECT coalesce(json_agg(a ORDER BY a.connected_at, a.account_id), '[]')
        FROM connection_accounts a WHERE a.connection_id = one.id),
      'syncs', ${syncsOf(sql`c.id = one.id`)})
      FROM connections one WHERE one.id = p_connection_id AND one.customer_id = p_customer_id);
  END $$`

/** 0032's function, as it was. */
const listingWithoutSyncs = sql`CREATE OR REPLACE FUNCTION connection_listing(p_customer_id text,
    p_connection_id uuid DEFAULT NULL) RETURNS json
  LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
  BEGIN
    PERFORM set_config('app.customer_id', p_customer_id, true);
    IF p_connection_id IS NULL THEN
      RETURN (SELECT json_build_object(
        'connections', (SELECT coalesce(json_agg(c ORDER BY c.created_at DESC, c.id DESC), '[]')
          FROM connections c WHERE c.customer_id = p_customer_id),
        'accounts', (SELECT coalesce(json_agg(a ORDER BY a.connected_at, a.account_id), '[]')
          FROM connection_accounts a WHERE a.customer_id = p_customer_id))
        FROM customers WHERE id = p_customer_id);
    END IF;
    RETURN (SELECT json_build_object(
      'connections', json_build_array(row_to_json(c)),
      'accounts', (SELECT coalesce(json_agg(a ORDER BY a.connected_at, a.account_id), '[]')
        FROM connection_accounts a WHERE a.connection_id = c.id))
      FROM connections c WHERE c.id = p_connection_id AND c.customer_id = p_customer_id);
  END $$`

/** Re-creates 0031's update trigger of `sync_runs`, announcing when `condition` holds. */
const notifyUpdatedWhen = async (db: Kysely<any>, condition: RawBuilder<unknown>) => {
  await sql`DROP TRIGGER sync_runs_notify_updated ON sync_runs`.execute(db)
  await sql`CREATE TRIGGER sync_runs_notify_updated AFTER UPDATE ON sync_runs
    FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION notify_customer_changed('customer_id')`.execute(db)
}

export const up = async (db: Kysely<any>): Promise<void> => {
  await listingWithSyncs.execute(db)
  await notifyUpdatedWhen(
    db,
    sql`(OLD.status, OLD.requested_at, OLD.started_at, OLD.retry_at, OLD.finished_at)
      IS DISTINCT FROM (NEW.status, NEW.requested_at, NEW.started_at, NEW.retry_at, NEW.finished_at)`,
  )
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await notifyUpdatedWhen(db, sql`OLD.status IS DISTINCT FROM NEW.status`)
  await listingWithoutSyncs.execute(db)
}
