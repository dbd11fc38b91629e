/**
 * Where the API asks for a connection's employees to be synced (a finished Finch data sync announced by webhook).
 *
 * TODO(issue 14, sync worker): wire `SyncRequests` to the worker's queue port (a graphile-worker job enqueued by
 * SQL). Until then `layerUnwired` only logs the request; nothing is synced.
 */
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Context, Effect, Layer } from "effect"

/** Why a sync was asked for: Finch finished a data sync, or someone pressed "Sync now" on the connections page. */
export type SyncReason = "finch_data_sync_completed" | "requested_on_page"

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

/** The hook before the worker's queue exists: the request is logged, nothing more (see the module's TODO). */
export const layerUnwired = Layer.succeed(
  SyncRequests,
  SyncRequests.of({
    request: (input) =>
      Effect.logWarning("sync requested, but no sync queue is wired yet (issue 14)").pipe(
        Effect.annotateLogs({ customer_id: input.customerId, connection_id: input.connectionId, reason: input.reason }),
      ),
  }),
)
