/**
 * Acting on a Finch webhook: verified first (finch-client's verifier; an unverifiable delivery does nothing), then
 * looked up by Finch connection id, claimed once per event id (a repeated delivery is acknowledged, not acted on),
 * then: a login that needs reauthentication marks the connection `reauth_required` (audited, source `webhook`); a
 * disconnect marks it `disconnected` (tokens destroyed, audited); a finished data sync asks for a sync. When acting
 * fails the claim is released, so Finch's retry is acted on.
 *
 * TODO(issue 12): reauth and disconnect are per account in the new model (the webhook's Finch connection is one
 * account); today they apply to the whole connection.
 */
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { type Delivery, Webhooks } from "@finch-connections/finch-client/Webhooks"
import { WebhookEventLog } from "@finch-connections/store-postgres/WebhookEventLog"
import { Effect, Either, Option, Schema } from "effect"
import { SyncRequests } from "./SyncRequests.ts"

/** What happened to a delivery. */
export type WebhookOutcome = "handled" | "duplicate" | "ignored"

/** The part of Finch's event we act on; everything else is allowed and ignored. */
const FinchEvent = Schema.Struct({
  event_type: Schema.String,
  connection_id: Schema.optional(Schema.NullOr(Schema.String)),
  data: Schema.optional(Schema.Unknown),
})
const decodeEvent = Schema.decodeUnknownEither(FinchEvent)
const AccountUpdated = Schema.Struct({ status: Schema.String })
const decodeAccountUpdated = Schema.decodeUnknownEither(AccountUpdated)

/** Finch's statuses that ask the employer to log in again (`error_reauth` in older documents). */
const reauthStatuses = new Set(["reauth", "error_reauth"])

/** Finch's events saying fresh data is ready to read. */
const dataSyncEvents = new Set([
  "job.data_sync_all.completed",
  "job.initial_data_sync_org.succeeded",
  "job.initial_data_sync_payroll.succeeded",
])

const headerOf = (headers: Delivery["headers"], name: string) =>
  headers instanceof globalThis.Headers ? (headers.get(name) ?? undefined) : undefined

const act = (
  event: typeof FinchEvent.Type,
  owner: { readonly customerId: CustomerId; readonly connectionId: ConnectionId },
) =>
  Effect.gen(function* () {
    if (event.event_type === "account.updated") {
      const update = decodeAccountUpdated(event.data)
      if (Either.isLeft(update)) return
      if (reauthStatuses.has(update.right.status)) {
        yield* Connections.markReauthRequired(owner.customerId, owner.connectionId, "webhook")
      } else if (update.right.status === "disconnected") {
        yield* (yield* ConnectionRepository).markDisconnected(owner.customerId, owner.connectionId, "webhook")
      }
    } else if (dataSyncEvents.has(event.event_type)) {
      yield* (yield* SyncRequests).request({ ...owner, reason: "finch_data_sync_completed" })
    }
  }).pipe(
    // Already disconnected, or gone meanwhile: the event has nothing left to change.
    Effect.catchTags({ IllegalTransition: () => Effect.void, ConnectionNotFound: () => Effect.void }),
  )

/** Verifies and acts on one delivery; an unverifiable one fails with `WebhookVerificationError`. */
export const handle = Effect.fn("FinchWebhooks.handle")(function* (delivery: Delivery) {
  const body = yield* (yield* Webhooks).unwrap(delivery)
  const eventId = headerOf(delivery.headers, "finch-event-id") ?? ""
  const event = decodeEvent(body)
  if (Either.isLeft(event) || event.right.connection_id == null) return "ignored" as WebhookOutcome
  const log = yield* WebhookEventLog
  const owner = yield* log.connectionOf(event.right.connection_id)
  if (Option.isNone(owner)) return "ignored" as WebhookOutcome
  yield* Effect.annotateCurrentSpan({ customerId: owner.value.customerId, eventType: event.right.event_type })
  const claimed = yield* log.claim({
    customerId: owner.value.customerId,
    eventId,
    eventType: event.right.event_type,
  })
  if (!claimed) return "duplicate" as WebhookOutcome
  yield* act(event.right, owner.value).pipe(
    Effect.onExit((exit) => (exit._tag === "Failure" ? log.release(owner.value.customerId, eventId) : Effect.void)),
  )
  return "handled" as WebhookOutcome
})
