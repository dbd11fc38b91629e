import { type Kysely, sql } from "kysely"

/**
 * `connection_accounts.username`: the login's username as Finch's `/introspect` last said it, so a person sees which
 * login an account is (`NULL` until a token of it is recorded or introspected again, or when Finch never says). The
 * worker writes it with what an introspection tells, as it does the products and entities.
 */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("connection_accounts").addColumn("username", "text").execute()
  await sql`GRANT UPDATE (username) ON connection_accounts TO finch_worker`.execute(db)
}

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable("connection_accounts").dropColumn("username").execute()
}
