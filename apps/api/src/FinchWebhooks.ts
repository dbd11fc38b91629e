/**
 * Acting on a Finch webhook: verified first (finch-client's verifier; an unverifiable delivery does nothing), then
 * looked up by Finch connection id (one login: one account of ours), claimed once per event id (a repeated delivery
 * is acknowledged, not acted on), then: `account.updated` records Finch's status on that account — `reauth` makes
 * it `reauth_required`, `disconnected` ends it (tokens destroyed), `connected` brings it back, all audited with
 * source `webhook`; a finished data sync asks for a sync of its connection. When acting fails the claim is released,
 * so Finch's retry is acted on.
 */
import { ConnectionRepository, type FinchConnectionHolder } from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import { FinchConnectionId } from "@finch-connections/core/Ids"
import { type Delivery, Webhooks } from "@finch-connections/finch-client/Webhooks"
import { WebhookEventLog } from "@finch-connections/store-postgres/WebhookEventLog"
import { Effect, Either, Schema } from "effect"
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
  finchConnectionId: FinchConnectionId,
  holders: ReadonlyArray<FinchConnectionHolder>,
) =>
  Effect.gen(function* () {
    if (event.event_type === "account.updated") {
      const update = decodeAccountUpdated(event.data)
      if (Either.isRight(update)) {
        yield* Connections.recordFinchConnectionStatus(finchConnectionId, update.right.status, "webhook")
      }
    } else if (dataSyncEvents.has(event.event_type)) {
      const requests = yield* SyncRequests
      const connections = new Map(holders.map((holder) => [holder.connectionId as string, holder]))
      for (const holder of connections.values()) {
        yield* requests.request({
          customerId: holder.customerId,
          connectionId: holder.connectionId,
          reason: "finch_data_sync_completed",
        })
      }
    }
  })

/** Verifies and acts on one delivery; an unverifiable one fails with `WebhookVerificationError`. */
export const handle = Effect.fn("FinchWebhooks.handle")(function* (delivery: Delivery) {
  const body = yield* (yield* Webhooks).unwrap(delivery)
  const eventId = headerOf(delivery.headers, "finch-event-id") ?? ""
  const event = decodeEvent(body)
  if (Either.isLeft(event) || event.right.connection_id == null) return "ignored" as WebhookOutcome
  const log = yield* WebhookEventLog
  const finchConnectionId = Schema.decodeOption(FinchConnectionId)(event.right.connection_id)
  if (finchConnectionId._tag === "None") return "ignored" as WebhookOutcome
  const holders = yield* (yield* ConnectionRepository).locateFinchConnection(finchConnectionId.value)
  const [owner] = holders
  if (owner === undefined) return "ignored" as WebhookOutcome
  yield* Effect.annotateCurrentSpan({ customerId: owner.customerId, eventType: event.right.event_type })
  const claimed = yield* log.claim({ customerId: owner.customerId, eventId, eventType: event.right.event_type })
  if (!claimed) return "duplicate" as WebhookOutcome
  yield* act(event.right, finchConnectionId.value, holders).pipe(
    Effect.onExit((exit) => (exit._tag === "Failure" ? log.release(owner.customerId, eventId) : Effect.void)),
  )
  return "handled" as WebhookOutcome
})
