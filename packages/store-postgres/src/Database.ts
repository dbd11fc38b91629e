/**
 * The typed shape of our tables and the Kysely instance over a pg pool.
 */
import { type ColumnType, type Generated, Kysely, PostgresDialect } from "kysely"
import pg from "pg"

/** `customers`: one row per customer of the application, id chosen by the app. */
export interface CustomersTable {
  readonly id: string
  readonly name: string
  readonly created_at: ColumnType<Date, Date | undefined, never> & Generated<Date>
}

/** Every table the store reads and writes. */
export interface Database {
  readonly customers: CustomersTable
}

/** A Kysely instance on its own pool; destroy it to close the pool. */
export const makeKysely = <DB = Database>(url: string, options: { readonly max?: number } = {}): Kysely<DB> =>
  new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: url, max: options.max ?? 10 }),
    }),
  })
