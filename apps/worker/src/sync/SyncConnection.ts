/**
 * One sync of a connection's employees: claim the runs waiting for it, page the directory, fetch individuals and
 * employments in the largest batches Finch allows (per entity when the connection has several), write the snapshot
 * through the employee store in one step, and queue the customer's reconciliation. What cannot finish now is put
 * back in the queue with the wait Finch asked for; what cannot succeed is a failed run with the reason.
 */
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { type EmployeeRecord, EmployeeStore } from "@finch-connections/core/EmployeeStore"
import type { BatchItem, DirectoryIndividual, Employment, Individual } from "@finch-connections/core/FinchData"
import { FinchGateway } from "@finch-connections/core/FinchGateway"
import { type ConnectionId, type CustomerId, type EntityId, IndividualId } from "@finch-connections/core/Ids"
import { plainMake } from "@finch-connections/core/PlainDecode"
import { employeeSyncProducts } from "@finch-connections/core/Product"
import {
  type FailedItem,
  type SyncId,
  type SyncProgress,
  SyncQueue,
  type SyncRecords,
} from "@finch-connections/core/SyncQueue"
import { Chunk, Clock, Duration, Effect, Option, Stream } from "effect"
import { entitiesOf, withSyncToken } from "./ConnectionAccess.ts"

/** How the worker retries and waits. */
export interface SyncSettings {
  /** Transient failures (5xx, timeouts, lost connections) retried before the run fails. */
  readonly maxRetries: number
  /** The first retry's delay; each further retry doubles it. */
  readonly retryDelay: Duration.Duration
  /** The wait after Finch answered 202 (data not ready yet). */
  readonly dataPendingDelay: Duration.Duration
  /** The wait after a 429 that did not say how long. */
  readonly rateLimitDelay: Duration.Duration
}

/** Five retries from 30 s doubling; 5 min after a 202; 1 min after a 429 without `Retry-After`. */
export const defaultSyncSettings: SyncSettings = {
  maxRetries: 5,
  retryDelay: Duration.seconds(30),
  dataPendingDelay: Duration.minutes(5),
  rateLimitDelay: Duration.minutes(1),
}

/** What one execution of the job did. */
export type SyncJobOutcome =
  | { readonly _tag: "NothingWaiting" }
  | { readonly _tag: "Finished"; readonly status: "succeeded" | "partial"; readonly records: SyncRecords }
  | { readonly _tag: "Deferred"; readonly retryAt: Date; readonly reason: string }
  | { readonly _tag: "Failed"; readonly reason: string }

interface Tracker {
  readonly progress: { -readonly [K in keyof SyncProgress]: SyncProgress[K] }
  readonly report: (failedItems?: ReadonlyArray<FailedItem>) => Effect.Effect<void>
}

const failedItemsOf = <A>(operation: string, items: ReadonlyArray<BatchItem<A>>): ReadonlyArray<FailedItem> =>
  items.flatMap((item) =>
    item._tag === "Failed"
      ? [
          {
            operation,
            individualId: item.individualId,
            code: item.code,
            finchCode: item.error.finch_code ?? null,
            message: item.error.message,
          },
        ]
      : [],
  )

const individualIdOf = plainMake(IndividualId)

const foundById = <A>(items: ReadonlyArray<BatchItem<A>>) =>
  new Map(items.flatMap((item) => (item._tag === "Found" ? [[item.individualId, item.body] as const] : [])))

/** What one entity's read brought: the directory's ids and what Finch returned for them. */
interface EntityRead {
  readonly entityId: Option.Option<EntityId>
  readonly ids: ReadonlyArray<string>
  readonly individuals: ReadonlyMap<string, Individual>
  readonly employments: ReadonlyMap<string, Employment>
}

/**
 * Reads one entity (or the whole connection) with one token: the directory, then individuals and employments side
 * by side (each is its own endpoint with its own rate limit, and both need only the directory's ids).
 */
const readEntity = (entityId: Option.Option<EntityId>, tracker: Tracker) =>
  Effect.fn("SyncConnection.readEntity")(function* (token: Parameters<FinchGateway["Type"]["directory"]>[0]) {
    const finch = yield* FinchGateway
    const options = Option.match(entityId, { onNone: () => ({}), onSome: (id) => ({ entityId: id }) })
    const directory: Array<DirectoryIndividual> = []
    yield* finch.directory(token, options).pipe(
      Stream.chunks,
      Stream.runForEach((page) => {
        directory.push(...Chunk.toReadonlyArray(page))
        tracker.progress.pages++
        return tracker.report()
      }),
    )
    const ids = [...new Set(directory.map((person) => person.id))]

    const [individuals, employments] = yield* Effect.all(
      [
        Effect.tap(finch.individuals(token, ids, options), (items) => {
          const failed = failedItemsOf("POST /employer/individual", items)
          tracker.progress.individuals += items.filter((item) => item._tag === "Found").length
          tracker.progress.failedItems += failed.length
          return tracker.report(failed)
        }),
        Effect.tap(finch.employments(token, ids, options), (items) => {
          const failed = failedItemsOf("POST /employer/employment", items)
          tracker.progress.employments += items.filter((item) => item._tag === "Found").length
          tracker.progress.failedItems += failed.length
          return tracker.report(failed)
        }),
      ],
      { concurrency: 2 },
    )
    return {
      entityId,
      ids,
      individuals: foundById<Individual>(individuals),
      employments: foundById<Employment>(employments),
    } satisfies EntityRead
  })

/**
 * The records of one entity's read. An individual Finch failed to return keeps its previous record, so a failed item
 * is never mistaken for someone who left; a failed employment keeps the previous one.
 */
const recordsOf = (
  connectionId: ConnectionId,
  read: EntityRead,
  previous: ReadonlyMap<string, EmployeeRecord>,
): ReadonlyArray<EmployeeRecord> =>
  read.ids.flatMap((id): ReadonlyArray<EmployeeRecord> => {
    const before = previous.get(id)
    const individual = read.individuals.get(id)
    if (individual === undefined) return before === undefined ? [] : [before]
    const employment = read.employments.get(id)
    return [
      {
        connectionId,
        individualId: individualIdOf(id),
        entityId: read.entityId,
        individual,
        employment:
          employment === undefined
            ? Option.flatMap(Option.fromNullable(before), (record) => record.employment)
            : Option.some(employment),
      },
    ]
  })

/**
 * Fetches every entity of the connection and writes the snapshot in one step. The previous snapshot is read only
 * when Finch left someone out (a failed item): a complete read replaces it as it is.
 */
const fetchAndWrite = (customerId: CustomerId, connectionId: ConnectionId, tracker: Tracker) =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const employees = yield* EmployeeStore
    const connection = yield* connections.get(customerId, connectionId)
    const reads: Array<EntityRead> = []
    for (const entityId of entitiesOf(connection)) {
      reads.push(
        yield* withSyncToken(customerId, connectionId, employeeSyncProducts, entityId, readEntity(entityId, tracker)),
      )
    }
    const complete = reads.every((read) => read.ids.every((id) => read.individuals.has(id) && read.employments.has(id)))
    const previous: ReadonlyMap<string, EmployeeRecord> = complete
      ? new Map()
      : new Map(
          (yield* employees.listByConnection(customerId, connectionId)).map((record) => [record.individualId, record]),
        )
    const records = reads.flatMap((read) => recordsOf(connectionId, read, previous))
    return yield* employees.replaceSnapshot(customerId, connectionId, records)
  })

const isTransient = (error: { readonly _tag: string }) =>
  error._tag === "FinchServerError" || error._tag === "FinchTimeout" || error._tag === "FinchTransportError"

/**
 * Runs the sync of the connection for every run waiting for it. A 429 or a 202 puts the runs back in the queue for
 * the wait (without holding a worker slot); a transient failure too, with backoff, until `maxRetries`; anything else
 * fails the runs with the reason. Progress is written to the runs and logged as it goes.
 */
export const syncConnection = (customerId: CustomerId, connectionId: ConnectionId, settings: SyncSettings) =>
  Effect.gen(function* () {
    const queue = yield* SyncQueue
    const runs: ReadonlyArray<SyncId> = yield* queue.claimRuns(customerId, connectionId)
    if (runs.length === 0) return { _tag: "NothingWaiting" } as SyncJobOutcome
    yield* Effect.logInfo("sync started")

    // Individuals and employments report side by side: one report at a time, each with the counts as they are when
    // it goes, so a report that started earlier cannot land last and write older counts over newer ones.
    const reporting = yield* Effect.makeSemaphore(1)
    const tracker: Tracker = {
      progress: { pages: 0, individuals: 0, employments: 0, failedItems: 0 },
      report: (failedItems = []) =>
        reporting.withPermits(1)(
          Effect.suspend(() => {
            const progress = { ...tracker.progress }
            return Effect.zipRight(
              queue.recordProgress(customerId, runs, progress, failedItems),
              Effect.logInfo("sync progress").pipe(Effect.annotateLogs(progress)),
            )
          }),
        ),
    }
    const outcome = yield* Effect.either(fetchAndWrite(customerId, connectionId, tracker)).pipe(
      // a stopping worker releases the sync: back in the queue at once, for the next worker
      Effect.onInterrupt(() =>
        queue
          .deferRuns(customerId, connectionId, runs, {
            retryAt: new Date(),
            reason: "released by a worker that stopped",
            countsAsRetry: false,
          })
          .pipe(Effect.ignore),
      ),
    )
    const now = new Date(yield* Clock.currentTimeMillis)
    const later = (wait: Duration.Duration) => new Date(now.getTime() + Duration.toMillis(wait))

    if (outcome._tag === "Right") {
      const status = tracker.progress.failedItems > 0 ? "partial" : "succeeded"
      yield* queue.finishRuns(customerId, connectionId, runs, {
        _tag: status === "partial" ? "Partial" : "Succeeded",
        records: outcome.right,
      })
      yield* queue.requestReconcile(customerId)
      yield* Effect.logInfo("sync finished").pipe(Effect.annotateLogs({ status, ...outcome.right }))
      return { _tag: "Finished", status, records: outcome.right } as SyncJobOutcome
    }

    const error = outcome.left
    const defer = (retryAt: Date, countsAsRetry: boolean) =>
      Effect.gen(function* () {
        yield* queue.deferRuns(customerId, connectionId, runs, { retryAt, reason: error.message, countsAsRetry })
        yield* Effect.logInfo("sync deferred").pipe(
          Effect.annotateLogs({ retryAt: retryAt.toISOString(), reason: error.message }),
        )
        return { _tag: "Deferred", retryAt, reason: error.message } as SyncJobOutcome
      })
    const fail = (reason: string) =>
      Effect.gen(function* () {
        yield* queue.finishRuns(customerId, connectionId, runs, { _tag: "Failed", error: reason })
        yield* Effect.logWarning("sync failed").pipe(Effect.annotateLogs({ reason }))
        return { _tag: "Failed", reason } as SyncJobOutcome
      })

    if (error._tag === "FinchRateLimited") {
      return yield* defer(
        later(error.retryAfterMs === null ? settings.rateLimitDelay : Duration.millis(error.retryAfterMs)),
        false,
      )
    }
    if (error._tag === "FinchDataPending") return yield* defer(later(settings.dataPendingDelay), false)
    if (isTransient(error)) {
      const retries = yield* queue.retriesOf(customerId, runs)
      if (retries < settings.maxRetries) {
        return yield* defer(later(Duration.times(settings.retryDelay, 2 ** retries)), true)
      }
      return yield* fail(`${error.message} (after ${retries} ${retries === 1 ? "retry" : "retries"})`)
    }
    return yield* fail(error.message)
  }).pipe(
    Effect.annotateLogs({ job: "sync_connection", customerId, connectionId }),
    Effect.withSpan("SyncConnection.syncConnection", { attributes: { customerId, connectionId } }),
  )
