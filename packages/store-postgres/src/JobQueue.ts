/**
 * graphile-worker's schema (`graphile_worker`), installed by the same steps that migrate the store: a sync requested
 * before any worker has started is then already kept in the queue. graphile-worker tracks its own migrations.
 *
 * The worker runs graphile-worker on its runtime login (a member of `finch_worker` only), which must never migrate
 * that schema: the owner installs or upgrades it here (`install`), and right after every install the same step grants
 * `finch_worker` what graphile-worker's runner uses (`grantToWorker`). The grants are read from the catalog on each
 * run rather than set once by a migration or by default privileges: an upgrade of graphile-worker may rename or
 * recreate its tables (0.16 renamed them to `_private_*`, 0.13 recreated them), dropping their grants and policies,
 * and it always happens through `install`, so re-granting after it keeps the worker's rights exactly current.
 *
 * A worker on the runtime login reads `graphile_worker.migrations` at start: when the schema is current it goes on;
 * when its graphile-worker is newer than the schema its migration is refused (`finch_worker` may only read that
 * table), so it stops with a permission error instead of changing the schema — migrate first, as the owner.
 */

import { Logger, runMigrations } from "graphile-worker"
import pg from "pg"
import { query } from "./DatabaseError.ts"

/** graphile-worker's own logs of a migration, dropped: the store's migrations say what ran. */
const quiet = new Logger(() => () => {})

/**
 * What `finch_worker` gets on graphile-worker's schema, idempotently: usage of the schema; read access to its
 * `migrations` table (the runner's version check at start); reads and writes on its `_private_*` tables (jobs, job
 * queues, task identifiers, known crontabs: taking, completing, failing, returning and unlocking jobs, cron
 * bookkeeping), each with a policy letting `finch_worker` through graphile-worker's row-level security (enabled with
 * no policy, it hides every row from a role that does not own the table); its sequences; and its functions
 * (`add_job(s)`, `complete_jobs`, `force_unlock_workers`…). Not its `jobs` view, and nothing for `finch_app`, which
 * queues through the security-definer functions of migration 0020. LISTEN on its channels needs no grant.
 */
export const grantToWorkerSql = `DO $grant$
  DECLARE
    t record;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('finch_connections:job_queue_grants'));
    GRANT USAGE ON SCHEMA graphile_worker TO finch_worker;
    GRANT SELECT ON graphile_worker.migrations TO finch_worker;
    FOR t IN
      SELECT c.oid, c.relname FROM pg_class c
      WHERE c.relnamespace = 'graphile_worker'::regnamespace AND c.relkind IN ('r', 'p')
        AND c.relname LIKE '\\_private\\_%'
    LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON graphile_worker.%I TO finch_worker', t.relname);
      IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polname = 'finch_worker_runs_the_queue') THEN
        EXECUTE format(
          'CREATE POLICY finch_worker_runs_the_queue ON graphile_worker.%I TO finch_worker USING (true) WITH CHECK (true)',
          t.relname);
      END IF;
    END LOOP;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA graphile_worker TO finch_worker;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO finch_worker;
  END $grant$`

/** Grants `finch_worker` graphile-worker's runner rights (see `grantToWorkerSql`), as the schema's owner. */
export const grantToWorker = async (url: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url })
  client.on("error", () => {})
  await client.connect()
  try {
    await client.query(grantToWorkerSql)
  } finally {
    await client.end()
  }
}

/**
 * Installs or upgrades graphile-worker's schema in the database at `url`, then grants the worker its rights on it
 * (the login must own the schema, or be able to create it).
 */
export const install = async (url: string): Promise<void> => {
  await runMigrations({ connectionString: url, logger: quiet, maxPoolSize: 1 })
  await grantToWorker(url)
}

/** `install` as an Effect failing with a `DatabaseError`. */
export const installEffect = (url: string) => query(() => install(url))
