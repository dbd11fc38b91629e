import { type Kysely, sql } from "kysely"

/**
 * The worker's runtime login (a member of `finch_worker` only) keeps `job_queue.worker_pools` (0021): each pool's
 * heartbeat, and forgetting the pools whose heartbeat stopped. Queue machinery, not customer data; `finch_app` gets
 * nothing here.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`GRANT USAGE ON SCHEMA job_queue TO finch_worker`.execute(db)
  await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON job_queue.worker_pools TO finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`REVOKE ALL ON job_queue.worker_pools FROM finch_worker`.execute(db)
  await sql`REVOKE USAGE ON SCHEMA job_queue FROM finch_worker`.execute(db)
}
