import { type Kysely, sql } from "kysely"

/**
 * `connection_listing(customer_id, connection_id)`: what `PgConnectionListing` reads — the customer's connections
 * (or the one named) and their accounts as JSON rows — in one statement, so a read is one round trip instead of a
 * transaction's four. It runs as the caller (row-level security applies to it as to any query of the role) and first
 * names the customer for the rest of the transaction (`app.customer_id`, local), exactly as `withCustomer` does.
 * Null when the customer (listing) or the connection (one) is not there.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`CREATE FUNCTION connection_listing(p_customer_id text, p_connection_id uuid DEFAULT NULL) RETURNS json
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
    END $$`.execute(db)
  await sql`REVOKE ALL ON FUNCTION connection_listing(text, uuid) FROM PUBLIC`.execute(db)
  await sql`GRANT EXECUTE ON FUNCTION connection_listing(text, uuid) TO finch_app, finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`DROP FUNCTION connection_listing(text, uuid)`.execute(db)
}
