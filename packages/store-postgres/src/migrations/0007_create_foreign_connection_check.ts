import { type Kysely, sql } from "kysely"

/**
 * Row-level security hides other customers' connections, yet core's classification must know whether a token's
 * provider+company (or Finch connection) is already held by another customer. This function answers exactly that,
 * as one boolean, and nothing else about the other customer: the same fact `OwnedByAnotherCustomer` reveals.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`CREATE FUNCTION connection_held_by_another_customer(text, text, text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.connections c
        WHERE c.customer_id IS DISTINCT FROM current_setting('app.customer_id', true)
          AND ((c.provider_id = $1 AND c.company_id = $2) OR c.finch_connection_id = $3)
      )
    $$`.execute(db)
  await sql`REVOKE ALL ON FUNCTION connection_held_by_another_customer(text, text, text) FROM PUBLIC`.execute(db)
  await sql`GRANT EXECUTE ON FUNCTION connection_held_by_another_customer(text, text, text) TO finch_app`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await sql`DROP FUNCTION connection_held_by_another_customer(text, text, text)`.execute(db)
}
