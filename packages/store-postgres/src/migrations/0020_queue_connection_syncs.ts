import { type Kysely, sql } from "kysely"

/**
 * Syncs go through graphile-worker's queue (schema `graphile_worker`, installed by `JobQueue.install` beside these
 * migrations). `sync_runs` gains the queued state, the worker's counters and failed batch items; the application
 * roles reach the queue only through two security-definer functions that check the customer of the session, so
 * neither role gets any right on graphile-worker's tables. A shared rate budget (`rate_budget.slots`) keeps all
 * workers on all machines under Finch's per-application limits.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check`,
    sql`ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_finished_unless_running`,
    sql`ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
      CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed'))`,
    sql`ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_finished_unless_pending
      CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL))`,
    sql`ALTER TABLE sync_runs ALTER COLUMN started_at DROP NOT NULL`,
    sql`ALTER TABLE sync_runs
      ADD COLUMN requested_at timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN reason text NOT NULL DEFAULT 'api'
        CHECK (reason IN ('api', 'schedule', 'webhook', 'token', 'retry')),
      ADD COLUMN attempts integer NOT NULL DEFAULT 0,
      ADD COLUMN retries integer NOT NULL DEFAULT 0,
      ADD COLUMN retry_at timestamptz,
      ADD COLUMN pages integer NOT NULL DEFAULT 0,
      ADD COLUMN individuals integer NOT NULL DEFAULT 0,
      ADD COLUMN employments integer NOT NULL DEFAULT 0,
      ADD COLUMN failed_items jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`,
    sql`CREATE INDEX sync_runs_pending_idx ON sync_runs (connection_id) WHERE status IN ('queued', 'running')`,
    sql`CREATE INDEX sync_runs_connection_requested_idx ON sync_runs (connection_id, requested_at DESC)`,

    // Queues (or joins) a sync of one of the session customer's connections and returns its run id; null when the
    // customer has no such connection. `p_not_before` (a schedule) never delays a job queued sooner; a run waiting
    // out a rate limit keeps its wait.
    sql`CREATE FUNCTION request_connection_sync(p_connection_id uuid, p_reason text, p_not_before timestamptz DEFAULT NULL)
      RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
      DECLARE
        v_customer text := nullif(current_setting('app.customer_id', true), '');
        v_run uuid;
        v_retry_at timestamptz;
      BEGIN
        IF v_customer IS NULL THEN
          RAISE EXCEPTION 'request_connection_sync needs app.customer_id' USING ERRCODE = '42501';
        END IF;
        PERFORM 1 FROM connections WHERE id = p_connection_id AND customer_id = v_customer;
        IF NOT FOUND THEN
          RETURN NULL;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('sync:' || p_connection_id::text));
        SELECT id INTO v_run FROM sync_runs
          WHERE connection_id = p_connection_id AND status = 'queued' ORDER BY requested_at LIMIT 1;
        IF v_run IS NULL THEN
          v_run := gen_random_uuid();
          INSERT INTO sync_runs (id, customer_id, connection_id, status, reason, requested_at, updated_at)
            VALUES (v_run, v_customer, p_connection_id, 'queued', p_reason, now(), now());
        END IF;
        SELECT max(retry_at) INTO v_retry_at FROM sync_runs
          WHERE connection_id = p_connection_id AND status = 'queued';
        PERFORM graphile_worker.add_job(
          'sync_connection',
          json_build_object('customerId', v_customer, 'connectionId', p_connection_id),
          queue_name := 'sync:' || p_connection_id::text,
          run_at := greatest(now(), v_retry_at, p_not_before),
          max_attempts := 10,
          job_key := 'sync:' || p_connection_id::text,
          job_key_mode := CASE WHEN p_not_before IS NULL THEN 'replace' ELSE 'preserve_run_at' END
        );
        RETURN v_run;
      END $$`,
    sql`REVOKE ALL ON FUNCTION request_connection_sync(uuid, text, timestamptz) FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION request_connection_sync(uuid, text, timestamptz) TO finch_app, finch_worker`,

    // Queues the reconciliation of the session's customer: one job per customer at a time.
    sql`CREATE FUNCTION request_customer_reconcile()
      RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
      DECLARE
        v_customer text := nullif(current_setting('app.customer_id', true), '');
      BEGIN
        IF v_customer IS NULL THEN
          RAISE EXCEPTION 'request_customer_reconcile needs app.customer_id' USING ERRCODE = '42501';
        END IF;
        PERFORM graphile_worker.add_job(
          'reconcile_customer',
          json_build_object('customerId', v_customer),
          queue_name := 'reconcile:' || v_customer,
          max_attempts := 5,
          job_key := 'reconcile:' || v_customer
        );
      END $$`,
    sql`REVOKE ALL ON FUNCTION request_customer_reconcile() FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION request_customer_reconcile() TO finch_worker`,

    // The shared rate budget: one row per request let through, per key (application and endpoint), over a sliding
    // window on the database's clock (one clock for every machine). Not customer data, so in a schema of its own
    // that no application role may use: only the function below touches it.
    sql`CREATE SCHEMA rate_budget`,
    sql`REVOKE ALL ON SCHEMA rate_budget FROM PUBLIC`,
    sql`CREATE TABLE rate_budget.slots (key text NOT NULL, taken_at timestamptz NOT NULL)`,
    sql`CREATE INDEX slots_key_taken_idx ON rate_budget.slots (key, taken_at)`,
    // Takes a slot for `p_key` when fewer than `p_limit` were taken in the last `p_window_ms`: 0. Otherwise the
    // milliseconds until one frees up (nothing taken).
    sql`CREATE FUNCTION take_finch_rate_slot(p_key text, p_limit integer, p_window_ms integer)
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
      DECLARE
        v_now timestamptz;
        v_window interval := make_interval(secs => p_window_ms / 1000.0);
        v_count integer;
        v_oldest timestamptz;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('finch_rate:' || p_key));
        v_now := clock_timestamp();
        DELETE FROM rate_budget.slots WHERE key = p_key AND taken_at <= v_now - v_window;
        SELECT count(*), min(taken_at) INTO v_count, v_oldest FROM rate_budget.slots WHERE key = p_key;
        IF v_count < p_limit THEN
          INSERT INTO rate_budget.slots (key, taken_at) VALUES (p_key, v_now);
          RETURN 0;
        END IF;
        RETURN greatest(1, ceil(extract(epoch FROM (v_oldest + v_window - v_now)) * 1000))::integer;
      END $$`,
    sql`REVOKE ALL ON FUNCTION take_finch_rate_slot(text, integer, integer) FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION take_finch_rate_slot(text, integer, integer) TO finch_app, finch_worker`,
  ]) {
    await statement.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`DROP FUNCTION take_finch_rate_slot(text, integer, integer)`,
    sql`DROP SCHEMA rate_budget CASCADE`,
    sql`DROP FUNCTION request_customer_reconcile()`,
    sql`DROP FUNCTION request_connection_sync(uuid, text, timestamptz)`,
  ]) {
    await statement.execute(db)
  }
}
