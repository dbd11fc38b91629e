import { type Kysely, sql } from "kysely"

/**
 * `connections.last_sync_started_at`, `last_sync_finished_at` and `last_sync_status` go: nothing reads them (the
 * listing reads where a connection's syncs stand from `sync_runs`, 0033, and so does the scheduler, 0013), yet the
 * worker rewrote the connection at every sync's start and end, and each write announced `customer_changed` (0031),
 * dropping the API's cached responses for the customer although `sync_runs` had already announced the change.
 *
 * No view or function names the columns: `connection_listing` (0032, 0033) reads the whole row (`row_to_json`) and
 * 0031's trigger compares whole rows (`OLD.* IS DISTINCT FROM NEW.*`), so both follow the narrower row. The worker's
 * column grant on them goes with them.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`ALTER TABLE connections DROP COLUMN last_sync_started_at, DROP COLUMN last_sync_finished_at,
    DROP COLUMN last_sync_status`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`ALTER TABLE connections ADD COLUMN last_sync_started_at timestamptz,
    ADD COLUMN last_sync_finished_at timestamptz,
    ADD COLUMN last_sync_status text CHECK (last_sync_status IN ('running', 'succeeded', 'partial', 'failed'))`.execute(
    db,
  )
  await sql`GRANT UPDATE (last_sync_started_at, last_sync_finished_at, last_sync_status) ON connections
    TO finch_worker`.execute(db)
  // From each connection's latest started and latest ended run: the status is the ended run's unless a run started
  // after it ended (the worker wrote `running` at a start, the outcome at an end). Forced row-level security binds the
  // owner too: the backfill says it works across customers for its one update, then puts the setting back (as 0014).
  await sql`DO $$
    DECLARE
      previous text := current_setting('app.all_customers', true);
    BEGIN
      PERFORM set_config('app.all_customers', 'on', true);
      UPDATE connections c SET last_sync_started_at = s.started_at, last_sync_finished_at = s.finished_at,
          last_sync_status = CASE
            WHEN s.started_at > s.finished_at OR s.finished_at IS NULL THEN 'running' ELSE s.ended_status END
        FROM (SELECT connection_id, max(started_at) AS started_at, max(finished_at) AS finished_at,
            (array_agg(status ORDER BY finished_at DESC) FILTER (WHERE finished_at IS NOT NULL))[1] AS ended_status
          FROM sync_runs GROUP BY connection_id) s
        WHERE s.connection_id = c.id AND (s.started_at IS NOT NULL OR s.finished_at IS NOT NULL);
      PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
    END
  $$`.execute(db)
}
