/**
 * Every query about a customer runs in a transaction that first names the customer (`app.customer_id`, local to the
 * transaction); row-level security then hides every other customer's rows from the application roles, whatever the
 * query's own `where` says.
 */
import { Effect, Exit } from "effect"
import { type Kysely, sql, type Transaction } from "kysely"
import type { Database } from "./Database.ts"
import { type DatabaseError, query } from "./DatabaseError.ts"

/** The transaction a customer's queries run in. */
export type CustomerTransaction = Transaction<Database>

/** Runs `use` in a transaction: committed when it succeeds, rolled back when it fails, dies or is interrupted. */
export const inTransaction = <A, E, R>(
  db: Kysely<Database>,
  use: (trx: Transaction<Database>) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | DatabaseError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
      const trx = yield* query(() => db.startTransaction().execute())
      const exit = yield* Effect.exit(restore(Effect.suspend(() => use(trx))))
      if (Exit.isSuccess(exit)) {
        const committed = yield* Effect.exit(query(() => trx.commit().execute()))
        if (Exit.isSuccess(committed)) return exit.value
        yield* Effect.ignore(query(() => trx.rollback().execute()))
        return yield* Effect.failCause(committed.cause)
      }
      yield* Effect.ignore(query(() => trx.rollback().execute()))
      return yield* exit
    }),
  )

/** Runs `use` in a transaction scoped to `customerId` (see `inTransaction` for commit and rollback). */
export const withCustomer = <A, E, R>(
  db: Kysely<Database>,
  customerId: string,
  use: (trx: CustomerTransaction) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | DatabaseError, R> =>
  inTransaction(db, (trx) =>
    query(() => sql`select set_config('app.customer_id', ${customerId}, true)`.execute(trx)).pipe(
      Effect.zipRight(Effect.suspend(() => use(trx))),
    ),
  )

/**
 * Runs `use` in a transaction that works across customers (key rotation, retention), as the schema owner: it says so
 * (`app.all_customers`, local to the transaction), which the owner's row-level security policy asks for. The
 * application roles have no such policy: for them this sees nothing.
 */
export const acrossCustomers = <A, E, R>(
  db: Kysely<Database>,
  use: (trx: Transaction<Database>) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | DatabaseError, R> =>
  inTransaction(db, (trx) =>
    query(() => sql`select set_config('app.all_customers', 'on', true)`.execute(trx)).pipe(
      Effect.zipRight(Effect.suspend(() => use(trx))),
    ),
  )
