import { type Kysely, sql } from "kysely"

/**
 * A customer's reconciliation waits for the syncs ready to run: `reconcile_customer` is queued at priority 10 (syncs
 * and checks stay at graphile-worker's default 0, which runs first). Finch's rate budget is the scarce resource of a
 * sync and it is counted in time, so a worker slot given to a sync keeps the budget busy; a reconciliation is local
 * work that can run in any later gap, and a customer whose connections are still syncing gets one reconciliation
 * after them (the job key keeps one per customer) instead of one between each. Otherwise as in 0020.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`CREATE OR REPLACE FUNCTION request_customer_reconcile()
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
        job_key := 'reconcile:' || v_customer,
        priority := 10
      );
    END $$`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`CREATE OR REPLACE FUNCTION request_customer_reconcile()
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
    END $$`.execute(db)
}
