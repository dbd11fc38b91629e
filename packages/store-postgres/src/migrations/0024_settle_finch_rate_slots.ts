import { type Kysely, sql } from "kysely"

/**
 * Finch counts a request when it arrives, which can be well after its slot was taken (a busy event loop, a slow
 * network), so a slot counted from its take alone can free up before Finch's count of it does. Slots get an id, and
 * the worker settles each one when its request ends: `settle_finch_rate_slot` restamps it then (the end is always
 * after Finch's arrival), so it stays counted for a window after the later of take and end. `take_finch_rate_slot`
 * (0020) keeps working for processes deployed before this; `take_finch_rate_slot_id` answers the id as well.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`ALTER TABLE rate_budget.slots ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`,
    // As take_finch_rate_slot: a slot taken is (its id, 0); none free is (null, the milliseconds until one frees up).
    sql`CREATE FUNCTION take_finch_rate_slot_id(p_key text, p_limit integer, p_window_ms integer)
      RETURNS TABLE (slot_id bigint, wait_ms integer)
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
          INSERT INTO rate_budget.slots (key, taken_at) VALUES (p_key, v_now) RETURNING id INTO slot_id;
          wait_ms := 0;
        ELSE
          wait_ms := greatest(1, ceil(extract(epoch FROM (v_oldest + v_window - v_now)) * 1000))::integer;
        END IF;
        RETURN NEXT;
      END $$`,
    sql`REVOKE ALL ON FUNCTION take_finch_rate_slot_id(text, integer, integer) FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION take_finch_rate_slot_id(text, integer, integer) TO finch_app, finch_worker`,
    // Restamps a slot when its request has ended. One whose window passed while its request was in flight was
    // deleted: it is put back, since Finch counted that request no later than now.
    sql`CREATE FUNCTION settle_finch_rate_slot(p_key text, p_id bigint)
      RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('finch_rate:' || p_key));
        UPDATE rate_budget.slots SET taken_at = greatest(taken_at, clock_timestamp())
          WHERE key = p_key AND id = p_id;
        IF NOT FOUND THEN
          INSERT INTO rate_budget.slots (id, key, taken_at) OVERRIDING SYSTEM VALUE
            VALUES (p_id, p_key, clock_timestamp()) ON CONFLICT (id) DO NOTHING;
        END IF;
      END $$`,
    sql`REVOKE ALL ON FUNCTION settle_finch_rate_slot(text, bigint) FROM PUBLIC`,
    sql`GRANT EXECUTE ON FUNCTION settle_finch_rate_slot(text, bigint) TO finch_app, finch_worker`,
  ]) {
    await statement.execute(db)
  }
}

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const statement of [
    sql`DROP FUNCTION settle_finch_rate_slot(text, bigint)`,
    sql`DROP FUNCTION take_finch_rate_slot_id(text, integer, integer)`,
    sql`ALTER TABLE rate_budget.slots DROP COLUMN id`,
  ]) {
    await statement.execute(db)
  }
}
