/**
 * The port to the sync queue: asking for a connection's employees to be synced, and following each sync as a run
 * with its counters. The API requests and reads; the worker claims, reports progress, defers and finishes. Every
 * method is for one customer: another customer's connection or run is indistinguishable from an unknown one.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { ConnectionNotFound } from "./Connection.ts"
import { ConnectionRepository } from "./ConnectionRepository.ts"
import { ConnectionId, CustomerId } from "./Ids.ts"
import { randomUuid } from "./internal/uuid.ts"

/** The id of one sync run (what `POST …/syncs` answers). */
export const SyncId = Schema.UUID.pipe(Schema.brand("SyncId"))
export type SyncId = typeof SyncId.Type

/** `queued` until a worker starts it (again, after a deferral); `running`; then one of the three outcomes. */
export const SyncRunStatus = Schema.Literal("queued", "running", "succeeded", "partial", "failed")
export type SyncRunStatus = typeof SyncRunStatus.Type

/** Why a sync was asked for. */
export const SyncReason = Schema.Literal("api", "schedule", "webhook", "token", "retry")
export type SyncReason = typeof SyncReason.Type

/** What a sync has fetched so far. */
export const SyncProgress = Schema.Struct({
  /** Directory pages read. */
  pages: Schema.Number,
  /** Individuals fetched. */
  individuals: Schema.Number,
  /** Employments fetched. */
  employments: Schema.Number,
  /** Batch items Finch answered with an error (the rest of the batch is kept). */
  failedItems: Schema.Number,
})
export type SyncProgress = typeof SyncProgress.Type

/** One item of a batch that Finch answered with an error. */
export const FailedItem = Schema.Struct({
  operation: Schema.String,
  individualId: Schema.String,
  code: Schema.Number,
  finchCode: Schema.NullOr(Schema.String),
  message: Schema.String,
})
export type FailedItem = typeof FailedItem.Type

/** What the snapshot write changed (see `EmployeeStore.SnapshotSummary`). */
export const SyncRecords = Schema.Struct({
  added: Schema.Number,
  updated: Schema.Number,
  removed: Schema.Number,
  unchanged: Schema.Number,
})
export type SyncRecords = typeof SyncRecords.Type

/** One sync of a connection, as the API shows it. */
export class SyncRun extends Schema.Class<SyncRun>("SyncRun")({
  id: SyncId,
  customerId: CustomerId,
  connectionId: ConnectionId,
  status: SyncRunStatus,
  reason: SyncReason,
  progress: SyncProgress,
  records: SyncRecords,
  failedItems: Schema.Array(FailedItem),
  /** Times a worker started it (a crash or a deferral starts it again). */
  attempts: Schema.Number,
  /** Why it failed, or why it is waiting (rate limited, data not ready, retrying after an error). */
  error: Schema.OptionFromSelf(Schema.String),
  requestedAt: Schema.DateFromSelf,
  /** When it will be tried again, while it waits after a deferral. */
  retryAt: Schema.OptionFromSelf(Schema.DateFromSelf),
  startedAt: Schema.OptionFromSelf(Schema.DateFromSelf),
  finishedAt: Schema.OptionFromSelf(Schema.DateFromSelf),
}) {}

/** No run with that id for that customer. */
export class SyncRunNotFound extends Schema.TaggedError<SyncRunNotFound>()("SyncRunNotFound", {
  customerId: CustomerId,
  syncId: Schema.String,
}) {
  override get message() {
    return `sync ${this.syncId} not found for customer ${this.customerId}`
  }
}

/** How a claimed sync ended. */
export type SyncOutcome =
  | { readonly _tag: "Succeeded"; readonly records: SyncRecords }
  | { readonly _tag: "Partial"; readonly records: SyncRecords }
  | { readonly _tag: "Failed"; readonly error: string }

/** Syncs of connections: requested, queued, run, reported. */
export class SyncQueue extends Context.Tag("@finch-connections/core/SyncQueue")<
  SyncQueue,
  {
    /**
     * Queues a sync of the connection and returns its run. A sync already queued and not started is the answer for
     * every request until it starts (requests coalesce); one requested while a sync runs is a new run, started after
     * it. `notBefore` delays it (a schedule spreading connections); it never delays a sync queued sooner.
     */
    readonly requestSync: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      options?: { readonly reason?: SyncReason; readonly notBefore?: Date },
    ) => Effect.Effect<SyncRun, ConnectionNotFound>
    /** One run of the customer. */
    readonly getRun: (customerId: CustomerId, syncId: SyncId) => Effect.Effect<SyncRun, SyncRunNotFound>
    /** The connection's runs, newest first, at most `limit` (default 20). */
    readonly listRuns: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      options?: { readonly limit?: number },
    ) => Effect.Effect<ReadonlyArray<SyncRun>>
    /**
     * For the worker: starts every run of the connection that waits (queued, or left running by a crashed worker);
     * one sync answers them all. Their progress starts from zero. Empty when none waits.
     */
    readonly claimRuns: (customerId: CustomerId, connectionId: ConnectionId) => Effect.Effect<ReadonlyArray<SyncId>>
    /** For the worker: the counters so far, and failed batch items to add. */
    readonly recordProgress: (
      customerId: CustomerId,
      runs: ReadonlyArray<SyncId>,
      progress: SyncProgress,
      failedItems?: ReadonlyArray<FailedItem>,
    ) => Effect.Effect<void>
    /**
     * For the worker: puts claimed runs back in the queue until `retryAt` with the reason (rate limited, data not
     * ready, a transient error), and queues the connection's sync job for then. `countsAsRetry`: a transient error
     * (bounded by the worker), not a wait Finch asked for.
     */
    readonly deferRuns: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      runs: ReadonlyArray<SyncId>,
      options: { readonly retryAt: Date; readonly reason: string; readonly countsAsRetry: boolean },
    ) => Effect.Effect<void>
    /** For the worker: how many transient errors the claimed runs have been retried after (the most of them). */
    readonly retriesOf: (customerId: CustomerId, runs: ReadonlyArray<SyncId>) => Effect.Effect<number>
    /** For the worker: ends claimed runs with their outcome. */
    readonly finishRuns: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      runs: ReadonlyArray<SyncId>,
      outcome: SyncOutcome,
    ) => Effect.Effect<void>
    /** For the worker: queues the reconciliation of the customer (one at a time per customer). */
    readonly requestReconcile: (customerId: CustomerId) => Effect.Effect<void>
  }
>() {}

/** Counters of a sync that has fetched nothing yet. */
export const emptyProgress: SyncProgress = { pages: 0, individuals: 0, employments: 0, failedItems: 0 }

const emptyRecords: SyncRecords = { added: 0, updated: 0, removed: 0, unchanged: 0 }

/** What the in-memory queue lets a test see. */
export interface SyncQueueMemoryControl {
  /** Connections whose sync job is queued, with when it may start, in request order. */
  readonly queuedSyncs: () => ReadonlyArray<{
    readonly customerId: CustomerId
    readonly connectionId: ConnectionId
    readonly runAt: Date
  }>
  /** Customers whose reconciliation is queued. */
  readonly queuedReconciles: () => ReadonlyArray<CustomerId>
  /** Takes the next queued sync job off the queue (what a worker does when it picks a job). */
  readonly takeSync: () => Option.Option<{ readonly customerId: CustomerId; readonly connectionId: ConnectionId }>
}

/** How tests see the in-memory queue's jobs. */
export class SyncQueueMemory extends Context.Tag("@finch-connections/core/SyncQueue/SyncQueueMemory")<
  SyncQueueMemory,
  SyncQueueMemoryControl
>() {}

const nowDate = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

/** An in-memory `SyncQueue` for tests: one job per connection (requests coalesce), runs kept in a map. */
export const makeMemory = Effect.gen(function* () {
  const connections = yield* ConnectionRepository
  const runs = new Map<SyncId, SyncRun>()
  const retries = new Map<SyncId, number>()
  const jobs = new Map<ConnectionId, { customerId: CustomerId; connectionId: ConnectionId; runAt: Date }>()
  const reconciles = new Set<CustomerId>()

  const update = (id: SyncId, change: Partial<ConstructorParameters<typeof SyncRun>[0]>) => {
    const run = runs.get(id)
    if (run !== undefined) runs.set(id, new SyncRun({ ...run, ...change }))
  }
  const ofCustomer = (customerId: CustomerId, ids: ReadonlyArray<SyncId>) =>
    ids.flatMap((id) => {
      const run = runs.get(id)
      return run !== undefined && run.customerId === customerId ? [run] : []
    })
  const queueJob = (customerId: CustomerId, connectionId: ConnectionId, runAt: Date, keepSooner: boolean) => {
    const existing = jobs.get(connectionId)
    const at = existing !== undefined && keepSooner && existing.runAt < runAt ? existing.runAt : runAt
    jobs.delete(connectionId)
    jobs.set(connectionId, { customerId, connectionId, runAt: at })
  }

  const service = SyncQueue.of({
    requestSync: Effect.fn("SyncQueue.requestSync")(function* (customerId, connectionId, options) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      yield* connections.get(customerId, connectionId)
      const now = yield* nowDate
      const waiting = [...runs.values()].filter((run) => run.connectionId === connectionId && run.status === "queued")
      const run =
        waiting[0] ??
        new SyncRun({
          id: SyncId.make(randomUuid()),
          customerId,
          connectionId,
          status: "queued",
          reason: options?.reason ?? "api",
          progress: emptyProgress,
          records: emptyRecords,
          failedItems: [],
          attempts: 0,
          error: Option.none(),
          requestedAt: now,
          retryAt: Option.none(),
          startedAt: Option.none(),
          finishedAt: Option.none(),
        })
      runs.set(run.id, run)
      const retryAt = Math.max(
        now.getTime(),
        ...waiting.flatMap((r) => Option.toArray(r.retryAt)).map((d) => d.getTime()),
      )
      const notBefore = options?.notBefore?.getTime() ?? now.getTime()
      queueJob(customerId, connectionId, new Date(Math.max(notBefore, retryAt)), options?.notBefore !== undefined)
      return run
    }),
    getRun: (customerId, syncId) =>
      Effect.suspend(() => {
        const run = runs.get(syncId)
        return run !== undefined && run.customerId === customerId
          ? Effect.succeed(run)
          : Effect.fail(new SyncRunNotFound({ customerId, syncId }))
      }),
    listRuns: (customerId, connectionId, options) =>
      Effect.sync(() =>
        [...runs.values()]
          .filter((run) => run.customerId === customerId && run.connectionId === connectionId)
          .reverse()
          .slice(0, options?.limit ?? 20),
      ),
    claimRuns: (customerId, connectionId) =>
      Effect.map(nowDate, (now) => {
        const claimed = [...runs.values()].filter(
          (run) =>
            run.customerId === customerId &&
            run.connectionId === connectionId &&
            (run.status === "queued" || run.status === "running"),
        )
        for (const run of claimed) {
          update(run.id, {
            status: "running",
            attempts: run.attempts + 1,
            progress: emptyProgress,
            failedItems: [],
            retryAt: Option.none(),
            startedAt: Option.orElse(run.startedAt, () => Option.some(now)),
          })
        }
        return claimed.map((run) => run.id)
      }),
    recordProgress: (customerId, ids, progress, failedItems = []) =>
      Effect.sync(() => {
        for (const run of ofCustomer(customerId, ids)) {
          update(run.id, { progress, failedItems: [...run.failedItems, ...failedItems] })
        }
      }),
    deferRuns: (customerId, connectionId, ids, options) =>
      Effect.sync(() => {
        for (const run of ofCustomer(customerId, ids)) {
          update(run.id, {
            status: "queued",
            retryAt: Option.some(options.retryAt),
            error: Option.some(options.reason),
          })
          if (options.countsAsRetry) retries.set(run.id, (retries.get(run.id) ?? 0) + 1)
        }
        queueJob(customerId, connectionId, options.retryAt, false)
      }),
    retriesOf: (customerId, ids) =>
      Effect.sync(() => Math.max(0, ...ofCustomer(customerId, ids).map((run) => retries.get(run.id) ?? 0))),
    finishRuns: (customerId, _connectionId, ids, outcome) =>
      Effect.map(nowDate, (now) => {
        for (const run of ofCustomer(customerId, ids)) {
          update(run.id, {
            status: outcome._tag === "Succeeded" ? "succeeded" : outcome._tag === "Partial" ? "partial" : "failed",
            records: outcome._tag === "Failed" ? run.records : outcome.records,
            error: outcome._tag === "Failed" ? Option.some(outcome.error) : Option.none(),
            retryAt: Option.none(),
            finishedAt: Option.some(now),
          })
        }
      }),
    requestReconcile: (customerId) => Effect.sync(() => void reconciles.add(customerId)),
  })

  const control: SyncQueueMemoryControl = {
    queuedSyncs: () => [...jobs.values()],
    queuedReconciles: () => [...reconciles],
    takeSync: () => {
      const next = [...jobs.values()].sort((a, b) => a.runAt.getTime() - b.runAt.getTime())[0]
      if (next === undefined) return Option.none()
      jobs.delete(next.connectionId)
      return Option.some({ customerId: next.customerId, connectionId: next.connectionId })
    },
  }
  return { service, control }
})

/** `SyncQueue` in memory with its `SyncQueueMemory` control; needs the `ConnectionRepository` that owns the connections. */
export const layerMemory: Layer.Layer<SyncQueue | SyncQueueMemory, never, ConnectionRepository> = Layer.effectContext(
  Effect.map(makeMemory, ({ control, service }) =>
    Context.make(SyncQueue, service).pipe(Context.add(SyncQueueMemory, control)),
  ),
)
