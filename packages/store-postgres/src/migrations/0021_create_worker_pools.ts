import { type Kysely, sql } from "kysely"

/**
 * The worker processes alive on the queue, each graphile-worker pool with its last heartbeat. A job locked by a pool
 * whose heartbeat stopped (a process killed with `kill -9`, a machine lost) is unlocked by the other workers and run
 * again, instead of waiting out graphile-worker's four-hour lock. Queue machinery, not customer data: only the
 * worker's login (the one that runs graphile-worker) uses it.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`CREATE SCHEMA IF NOT EXISTS job_queue`,
    sql`REVOKE ALL ON SCHEMA job_queue FROM PUBLIC`,
    sql`CREATE TABLE job_queue.worker_pools (
      pool_id text PRIMARY KEY,
      host text NOT NULL,
      pid integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      heartbeat_at timestamptz NOT NULL DEFAULT now()
    )`,
  ]) {
    await statement.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`DROP SCHEMA job_queue CASCADE`.execute(db)
}
