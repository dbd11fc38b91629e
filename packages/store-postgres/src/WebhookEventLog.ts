/**
 * What the API needs to act on a Finch webhook exactly once: a ledger of handled event ids under the owning
 * customer's row-level security. (Which customer holds the Finch connection an event names is core's
 * `ConnectionRepository.locateFinchConnection`.)
 */
import type { CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer } from "effect"
import type { Kysely } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { isUniqueViolation, query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** Handled Finch webhook events. */
export class WebhookEventLog extends Context.Tag("@finch-connections/store-postgres/WebhookEventLog")<
  WebhookEventLog,
  {
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
