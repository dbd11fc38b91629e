import { type Kysely, sql } from "kysely"

/**
 * `employee_records.content_digest`: a SHA-256 (hex) the store computes over the JSON texts it writes (entity id,
 * individual, employment), so a re-sync compares one short text per record and leaves unchanged rows alone instead of
 * parsing and rewriting every document. Existing rows get `NULL` (the digest is of the application's JSON text, which
 * SQL cannot reproduce from `jsonb`): their next sync compares them by content, as before, and stores the digest.
 *
 * `last_seen_at` goes: every sync rewrote it on every row and nothing read it. A current record was last seen by its
 * connection's last successful sync (`sync_runs`, `connections.last_sync_finished_at`).
 *
 * The grants of 0004 are table-wide, so both roles may read and write the new column.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`ALTER TABLE employee_records ADD COLUMN content_digest text, DROP COLUMN last_seen_at`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`ALTER TABLE employee_records ADD COLUMN last_seen_at timestamptz`.execute(db)
  // Forced row-level security binds the owner too: the backfill says it works across customers for its one update,
  // then puts the setting back (as 0012's functions do).
  await sql`DO $$
    DECLARE
      previous text := current_setting('app.all_customers', true);
    BEGIN
      PERFORM set_config('app.all_customers', 'on', true);
      UPDATE employee_records e SET last_seen_at = CASE
        WHEN e.removed_at IS NULL THEN greatest(e.updated_at, (SELECT max(r.finished_at) FROM sync_runs r
          WHERE r.connection_id = e.connection_id AND r.status IN ('succeeded', 'partial')))
        ELSE e.updated_at END;
      PERFORM set_config('app.all_customers', coalesce(previous, ''), true);
    END
  $$`.execute(db)
  await sql`ALTER TABLE employee_records ALTER COLUMN last_seen_at SET NOT NULL, DROP COLUMN content_digest`.execute(db)
}
