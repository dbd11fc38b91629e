import { type Kysely, sql } from "kysely"

/**
 * `connections.products`: the products granted by any of the connection's accounts, kept beside the per-account lists
 * so a listing or a scheduler can filter connections without joining accounts. Written with every token recorded.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .alterTable("connections")
    .addColumn("products", sql`text[]`, (column) => column.notNull().defaultTo(sql`'{}'::text[]`))
    .execute()
  await sql`UPDATE connections c SET products = coalesce((
      SELECT array_agg(DISTINCT product ORDER BY product)
      FROM connection_accounts a CROSS JOIN unnest(a.products) AS product
      WHERE a.connection_id = c.id
    ), '{}')`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("connections").dropColumn("products").execute()
}
