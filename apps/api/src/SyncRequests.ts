/**
 * Where the API asks, on its own, for a connection's employees to be synced: a finished Finch data sync announced by
 * webhook, or a token recorded (a new connection, a login added, a token replaced). `layer` queues it for the worker
 * (core's `SyncQueue`); a request that cannot be queued is logged and does not fail what caused it.
 */
import type { TokenRecorded } from "@finch-connections/core/ConnectionRepository"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { SyncQueue } from "@finch-connections/core/SyncQueue"
import { Context, Effect, Layer } from "effect"

/** Why a sync was asked for: Finch finished a data sync, a token was recorded, or "Sync now" on the page. */
export type SyncReason = "finch_data_sync_completed" | "token_recorded" | "requested_on_page"

/** Asks for a sync of one connection. */
export class SyncRequests extends Context.Tag("@finch-connections/api/SyncRequests")<
  SyncRequests,
  {
    /** Queues a sync of the connection (at least once; the worker deduplicates). */
    readonly request: (input: {
      readonly customerId: CustomerId
      readonly connectionId: ConnectionId
      readonly reason: SyncReason
    }) => Effect.Effect<void>
  }
>() {}

/**
 * Requests kept in memory, for tests: `requested` lists them in order.
 */
export const makeRecording = () => {
  const requested: Array<{
    readonly customerId: CustomerId
    readonly connectionId: ConnectionId
    readonly reason: SyncReason
  }> = []
  const layer = Layer.succeed(
    SyncRequests,
    SyncRequests.of({ request: (input) => Effect.sync(() => void requested.push(input)) }),
  )
  return { requested, layer }
}

const queueReason = {
  finch_data_sync_completed: "webhook",
  token_recorded: "token",
  requested_on_page: "api",
} as const

/** Requests queued for the worker through core's `SyncQueue`. */
export const layer = Layer.effect(
  SyncRequests,
  Effect.map(SyncQueue, (queue) =>
    SyncRequests.of({
      request: (input) =>
        queue
          .requestSync(input.customerId, input.connectionId, {
            reason: queueReason[input.reason],
          })
          .pipe(
            Effect.asVoid,
            Effect.catchAllCause((cause) =>
              Effect.logWarning("a sync could not be queued", cause).pipe(
                Effect.annotateLogs({ customer_id: input.customerId, connection_id: input.connectionId }),
              ),
            ),
          ),
    }),
  ),
)

/** A token was recorded: its connection's employees are synced with it (the worker dedupes requests). */
export const requestSyncOf = (recorded: TokenRecorded) =>
  Effect.flatMap(SyncRequests, (requests) =>
    requests.request({
      customerId: recorded.connection.customerId,
      connectionId: recorded.connection.id,
      reason: "token_recorded",
    }),
  )
