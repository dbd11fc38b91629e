/**
 * The Connect `state`s the API already accepted. A state is signed and expires on its own; this ledger makes it
 * single use, under the named customer's row-level security.
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer } from "effect"
import type { Kysely } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { isUniqueViolation, query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** `connect_states`: one row per state spent. */
export interface ConnectStatesTable {
  readonly state_id: string
  readonly customer_id: string
  readonly expires_at: Date
  readonly used_at: Date
}

/** Spent Connect states. */
export class ConnectStateLog extends Context.Tag("@finch-connections/store-postgres/ConnectStateLog")<
  ConnectStateLog,
  {
    /** Spends the state for the customer; `false` when it was spent before (a replay). */
    readonly claim: (input: {
      readonly customerId: CustomerId
      readonly stateId: string
      readonly expiresAt: Date
    }) => Effect.Effect<boolean>
  }
>() {}

/** Builds the log over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): ConnectStateLog["Type"] =>
  ConnectStateLog.of({
    claim: Effect.fn("ConnectStateLog.claim")(function* (input) {
      yield* Effect.annotateCurrentSpan({ customerId: input.customerId })
      return yield* withCustomer(options.db, input.customerId, (trx) =>
        query(() =>
          trx
            .withTables<{ connect_states: ConnectStatesTable }>()
            .insertInto("connect_states")
            .values({
              state_id: input.stateId,
              customer_id: input.customerId,
              expires_at: input.expiresAt,
              used_at: new Date(),
            })
            .execute(),
        ),
      ).pipe(
        Effect.as(true),
        Effect.catchTag("DatabaseError", (error) =>
          isUniqueViolation(error, "connect_states_pkey") ? Effect.succeed(false) : Effect.die(error),
        ),
      )
    }),
  })

/** The log over the store's pool. */
export const layer: Layer.Layer<ConnectStateLog, never, PgDatabase.PgDatabase> = Layer.effect(
  ConnectStateLog,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
