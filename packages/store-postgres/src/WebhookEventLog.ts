/**
 * What the API needs to act on a Finch webhook exactly once: which of our connections a Finch connection id names
 * (a webhook carries only Finch's ids, and a session without a customer sees no rows, so a narrow security-definer
 * function answers), and a ledger of handled event ids under the owning customer's row-level security.
 */
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { isUniqueViolation, query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** The connection a Finch connection id belongs to. */
export interface FinchConnectionOwner {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
}

/** Handled Finch webhook events, and the lookup from Finch's connection id to ours. */
export class WebhookEventLog extends Context.Tag("@finch-connections/store-postgres/WebhookEventLog")<
  WebhookEventLog,
  {
    /** The customer and connection holding that Finch connection id; none when no customer does. */
    readonly connectionOf: (finchConnectionId: string) => Effect.Effect<Option.Option<FinchConnectionOwner>>
    /** Records the event as handled for the customer; `false` when it already was (a duplicate delivery). */
    readonly claim: (input: {
      readonly customerId: CustomerId
      readonly eventId: string
      readonly eventType: string
    }) => Effect.Effect<boolean>
    /** Forgets a claimed event whose handling failed, so Finch's retry is handled. */
    readonly release: (customerId: CustomerId, eventId: string) => Effect.Effect<void>
  }
>() {}

/** Builds the log over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): WebhookEventLog["Type"] => {
  const { db } = options
  return WebhookEventLog.of({
    connectionOf: Effect.fn("WebhookEventLog.connectionOf")(function* (finchConnectionId: string) {
      const result = yield* query(() =>
        sql<{
          customer_id: string
          connection_id: string
        }>`select customer_id, connection_id from connection_of_finch_connection(${finchConnectionId})`.execute(db),
      ).pipe(Effect.orDie)
      return Option.map(Option.fromNullable(result.rows[0]), (row) => ({
        customerId: CustomerId.make(row.customer_id),
        connectionId: ConnectionId.make(row.connection_id),
      }))
    }),
    claim: Effect.fn("WebhookEventLog.claim")(function* (input) {
      yield* Effect.annotateCurrentSpan({ customerId: input.customerId, eventId: input.eventId })
      return yield* withCustomer(db, input.customerId, (trx) =>
        query(() =>
          trx
            .withTables<{ finch_webhook_events: FinchWebhookEventsTable }>()
            .insertInto("finch_webhook_events")
            .values({
              event_id: input.eventId,
              customer_id: input.customerId,
              event_type: input.eventType,
              received_at: new Date(),
            })
            .execute(),
        ),
      ).pipe(
        Effect.as(true),
        Effect.catchTag("DatabaseError", (error) =>
          isUniqueViolation(error, "finch_webhook_events_pkey") ? Effect.succeed(false) : Effect.die(error),
        ),
      )
    }),
    release: Effect.fn("WebhookEventLog.release")(function* (customerId: CustomerId, eventId: string) {
      yield* withCustomer(db, customerId, (trx) =>
        query(() =>
          trx
            .withTables<{ finch_webhook_events: FinchWebhookEventsTable }>()
            .deleteFrom("finch_webhook_events")
            .where("event_id", "=", eventId)
            .execute(),
        ),
      ).pipe(Effect.orDie)
    }),
  })
}

/** `finch_webhook_events`: one row per handled event. */
export interface FinchWebhookEventsTable {
  readonly event_id: string
  readonly customer_id: string
  readonly event_type: string
  readonly received_at: Date
}

/** The log over the store's pool. */
export const layer: Layer.Layer<WebhookEventLog, never, PgDatabase.PgDatabase> = Layer.effect(
  WebhookEventLog,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
