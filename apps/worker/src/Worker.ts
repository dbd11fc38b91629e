/**
 * The worker process: graphile-worker running the sync jobs over the queue in PostgreSQL, with nothing else shared
 * between processes or machines. Jobs are started by LISTEN/NOTIFY as they are queued (polling is the fallback);
 * cron items queue scheduled syncs and connection checks once per tick across all workers; each process heartbeats
 * its pool and unlocks the jobs of pools whose heartbeat stopped (a process killed mid-sync), so they run again.
 *
 * Everything runs as `finch_worker` on the runtime login of `databaseUrl` (a member of `finch_worker` only): graphile-
 * worker's sessions (`SET ROLE finch_worker` at session start), with the rights `JobQueue.install` grants on its
 * schema, never migrating it; the scheduler, which looks across customers only through the security-definer
 * functions of migration 0013 (customer and connection ids, nothing else); and the jobs' own reads and writes, which
 * go through the store's ports under row-level security, one customer at a time.
 */
import { EventEmitter } from "node:events"
import * as os from "node:os"
import type { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import type { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import type { FinchGateway } from "@finch-connections/core/FinchGateway"
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import type { PersonStore } from "@finch-connections/core/PersonStore"
import { SyncQueue } from "@finch-connections/core/SyncQueue"
import { Cause, Duration, Effect, Redacted, Runtime, Schedule, Schema } from "effect"
import {
  Logger as GraphileLogger,
  type JobHelpers,
  type LogLevel,
  parseCronItems,
  type Runner,
  run,
  type TaskList,
  type WorkerEvents,
} from "graphile-worker"
import pg from "pg"
import { checkConnection } from "./sync/ConnectionAccess.ts"
import { makeMemoryPool, reconcileCustomer } from "./sync/ReconcileCustomer.ts"
import { type SyncSettings, syncConnection } from "./sync/SyncConnection.ts"

/** When the cron items queue work. */
export interface ScheduleOptions {
  /** Cron pattern of the tick that queues due syncs (graphile-worker's syntax). */
  readonly syncCron: string
  /** A connection is due when its last sync was requested longer ago than this. */
  readonly cadence: Duration.Duration
  /** Syncs queued by one tick start spread over this long (by connection id), not all at once. */
  readonly spread: Duration.Duration
  /** Cron pattern of the tick that queues a `check_connection` of every connection, spread the same way. */
  readonly checkCron: string
}

/** How the worker process runs. */
export interface WorkerOptions {
  /** The database of the queue and the store; graphile-worker's sessions log in with it. */
  readonly databaseUrl: Redacted.Redacted<string>
  /** Jobs run at once by this process. */
  readonly concurrency: number
  /** How often to look for due jobs when no notification came (scheduled and retried jobs). */
  readonly pollInterval: Duration.Duration
  readonly sync: SyncSettings
  /** `null`: no cron items in this process (another process schedules). */
  readonly schedule: ScheduleOptions | null
  /** The pool's heartbeat, and how long without one before its locked jobs are taken back. */
  readonly heartbeat: { readonly interval: Duration.Duration; readonly staleAfter: Duration.Duration }
  /** On shutdown, how long running jobs may take to finish before they are interrupted and released. */
  readonly shutdownTimeout: Duration.Duration
  /** Records the reconciliation memory is first sized for. */
  readonly reconcileMemoryRecords: number
}

/** Daily syncs queued by an hourly tick, spread over the hour; connections checked every six hours. */
export const defaultSchedule: ScheduleOptions = {
  syncCron: "0 * * * *",
  cadence: Duration.hours(24),
  spread: Duration.hours(1),
  checkCron: "30 */6 * * *",
}

/** The ports the jobs use. */
export type WorkerServices = SyncQueue | ConnectionRepository | EmployeeStore | FinchGateway | PersonStore

const ConnectionJob = Schema.Struct({ customerId: CustomerId, connectionId: ConnectionId })
const CustomerJob = Schema.Struct({ customerId: CustomerId })

/** A stable offset in `[0, spread)` for a connection: the same connection starts at the same point of every tick. */
export const spreadOffset = (connectionId: string, spread: Duration.Duration): number => {
  let hash = 2166136261
  for (let i = 0; i < connectionId.length; i++) hash = Math.imul(hash ^ connectionId.charCodeAt(i), 16777619)
  const spreadMs = Duration.toMillis(spread)
  return spreadMs <= 0 ? 0 : (hash >>> 0) % spreadMs
}

/** Fails the connection's waiting runs after the job crashed on its last attempt. */
const giveUp = (customerId: CustomerId, connectionId: ConnectionId, attempts: number, cause: Cause.Cause<unknown>) =>
  Effect.gen(function* () {
    const queue = yield* SyncQueue
    const runs = yield* queue.claimRuns(customerId, connectionId)
    const reason = `the worker crashed on all ${attempts} attempts: ${Cause.pretty(cause).split("\n")[0] ?? "unknown"}`
    yield* queue.finishRuns(customerId, connectionId, runs, { _tag: "Failed", error: reason })
  }).pipe(Effect.catchAllCause((failure) => Effect.logError("could not fail the runs", failure)))

/** graphile-worker's own logs as JSON lines beside ours (debug dropped). */
const jsonLogger = new GraphileLogger((scope) => (level: LogLevel, message: string) => {
  if (level === "debug") return
  console.log(JSON.stringify({ timestamp: new Date().toISOString(), level: level.toUpperCase(), message, ...scope }))
})

/** The pool ids of this process and the heartbeat/unlock statements. */
const liveness = (db: pg.Pool, staleAfter: Duration.Duration) => {
  const staleMs = Duration.toMillis(staleAfter)
  return {
    beat: (poolId: string) =>
      Effect.promise(() =>
        db.query(
          `insert into job_queue.worker_pools (pool_id, host, pid) values ($1, $2, $3)
           on conflict (pool_id) do update set heartbeat_at = now()`,
          [poolId, os.hostname(), process.pid],
        ),
      ),
    /**
     * Unlocks the jobs and queues held by pools without a fresh heartbeat, and forgets long-dead pools. This process's
     * own pools (`ownPools`) are alive whatever their heartbeat says: a long reconciliation that held the event loop
     * keeps them from beating, and must not hand their running jobs to someone else.
     */
    sweep: (ownPools: ReadonlyArray<string>) =>
      Effect.promise(async () => {
        const { rows } = await db.query<{ pool_id: string }>(
          `select distinct locked_by as pool_id from (
           select locked_by from graphile_worker._private_jobs
             where locked_by is not null and locked_at < now() - make_interval(secs => $1 / 1000.0)
           union all
           select locked_by from graphile_worker._private_job_queues
             where locked_by is not null and locked_at < now() - make_interval(secs => $1 / 1000.0)
         ) held
         where held.locked_by <> all($2::text[])
           and not exists (select 1 from job_queue.worker_pools p
             where p.pool_id = held.locked_by and p.heartbeat_at > now() - make_interval(secs => $1 / 1000.0))`,
          [staleMs, ownPools],
        )
        if (rows.length > 0) {
          await db.query("select graphile_worker.force_unlock_workers($1::text[])", [rows.map((row) => row.pool_id)])
        }
        await db.query(
          "delete from job_queue.worker_pools where heartbeat_at < now() - make_interval(secs => $1 / 1000.0)",
          [staleMs * 10],
        )
        return rows.map((row) => row.pool_id)
      }),
    forget: (poolId: string) =>
      Effect.promise(() => db.query("delete from job_queue.worker_pools where pool_id = $1", [poolId])),
  }
}

/**
 * graphile-worker's start refused by the database: on the runtime login that means its schema is older than this
 * graphile-worker (the login may not migrate it) or `finch_worker` lacks its grants — both fixed by migrating as the
 * owner, which installs the schema and grants the worker's rights (`JobQueue.install`).
 */
const queueRefused = (error: unknown): Error => {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  const message = error instanceof Error ? error.message : String(error)
  return code === "42501"
    ? new Error(
        `graphile-worker could not start as finch_worker (${message}): its schema must be installed or upgraded, ` +
          "and finch_worker granted its rights, by the owner's login first — run the migrations " +
          "(DATABASE_MIGRATION_URL, or pnpm --filter @finch-connections/store-postgres migrate) before the workers",
      )
    : error instanceof Error
      ? error
      : new Error(message)
}

/**
 * Runs the worker for the life of the scope. Closing the scope (SIGTERM in `main.ts`) stops taking jobs, lets the
 * running ones finish for `shutdownTimeout`, then interrupts and releases them (they run again on another worker).
 */
export const runWorker = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<WorkerServices>()
    const runEffect = Runtime.runPromise(runtime)
    const memories = makeMemoryPool(options.reconcileMemoryRecords)
    const poolIds = new Set<string>()

    const db = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new pg.Pool({
          connectionString: Redacted.value(options.databaseUrl),
          max: options.concurrency + 4,
          // graphile-worker's rights are finch_worker's (granted by JobQueue.install), not the login's own: a runtime
          // login may be NOINHERIT, and an owner's login must not run the queue with the owner's rights.
          options: "-c role=finch_worker",
        })
        // An idle session the server ended is dropped by the pool; graphile-worker reconnects its listener itself.
        pool.on("error", () => {})
        pool.on("connect", (client) => client.on("error", () => {}))
        return pool
      }),
      (pool) => Effect.promise(() => pool.end()),
    )
    const alive = liveness(db, options.heartbeat.staleAfter)

    const job =
      <A, I>(
        schema: Schema.Schema<A, I>,
        body: (payload: A, helpers: JobHelpers) => Effect.Effect<unknown, unknown, WorkerServices>,
      ) =>
      async (payload: unknown, helpers: JobHelpers) => {
        const decoded = Schema.decodeUnknownSync(schema)(payload)
        await runEffect(
          body(decoded, helpers).pipe(Effect.annotateLogs({ jobId: helpers.job.id, attempt: helpers.job.attempts })),
          { signal: helpers.abortSignal },
        )
      }

    const taskList: TaskList = {
      sync_connection: job(ConnectionJob, ({ customerId, connectionId }, helpers) =>
        syncConnection(customerId, connectionId, options.sync).pipe(
          // graphile-worker retries a job that crashed; after its last attempt the runs must not stay `running`
          Effect.tapErrorCause((cause) =>
            helpers.job.attempts >= helpers.job.max_attempts && !Cause.isInterruptedOnly(cause)
              ? giveUp(customerId, connectionId, helpers.job.attempts, cause)
              : Effect.void,
          ),
        ),
      ),
      reconcile_customer: job(CustomerJob, ({ customerId }) =>
        reconcileCustomer(customerId, memories).pipe(
          // a refused input (a duplicate record id, too many records) fails the same way again: logged, not retried
          Effect.catchAll((error) =>
            Effect.logError("reconciliation refused").pipe(Effect.annotateLogs({ error: error.message })),
          ),
        ),
      ),
      check_connection: job(ConnectionJob, ({ customerId, connectionId }) =>
        checkConnection(customerId, connectionId).pipe(
          Effect.tap((connection) =>
            Effect.logInfo("connection checked").pipe(Effect.annotateLogs({ status: connection.status })),
          ),
          Effect.catchAll((error) =>
            Effect.logWarning("connection check failed").pipe(Effect.annotateLogs({ reason: error.message })),
          ),
          Effect.annotateLogs({ job: "check_connection", customerId, connectionId }),
        ),
      ),
      schedule_syncs: job(Schema.Unknown, () =>
        Effect.gen(function* () {
          const schedule = options.schedule
          if (schedule === null) return
          const queue = yield* SyncQueue
          // across customers only through migration 0013's security-definer function: ids, nothing else
          const { rows } = yield* Effect.promise(() =>
            db.query<{ customer_id: string; connection_id: string }>(
              "select customer_id, connection_id from public.due_connection_syncs($1::bigint)",
              [Math.round(Duration.toMillis(schedule.cadence))],
            ),
          )
          const now = Date.now()
          yield* Effect.forEach(rows, (row) =>
            queue
              .requestSync(CustomerId.make(row.customer_id), ConnectionId.make(row.connection_id), {
                reason: "schedule",
                notBefore: new Date(now + spreadOffset(row.connection_id, schedule.spread)),
              })
              .pipe(Effect.catchTag("ConnectionNotFound", () => Effect.void)),
          )
          yield* Effect.logInfo("scheduled syncs").pipe(
            Effect.annotateLogs({ job: "schedule_syncs", queued: rows.length }),
          )
        }),
      ),
      schedule_checks: job(Schema.Unknown, (_, helpers) =>
        Effect.gen(function* () {
          const schedule = options.schedule
          if (schedule === null) return
          const { rows } = yield* Effect.promise(() =>
            db.query<{ customer_id: string; connection_id: string }>(
              "select customer_id, connection_id from public.connections_to_check()",
            ),
          )
          const now = Date.now()
          yield* Effect.promise(() =>
            helpers.addJobs(
              rows.map((row) => ({
                identifier: "check_connection",
                payload: { customerId: row.customer_id, connectionId: row.connection_id },
                runAt: new Date(now + spreadOffset(row.connection_id, schedule.spread)),
                jobKey: `check:${row.connection_id}`,
                maxAttempts: 3,
              })),
            ),
          )
          yield* Effect.logInfo("scheduled checks").pipe(
            Effect.annotateLogs({ job: "schedule_checks", queued: rows.length }),
          )
        }),
      ),
    }

    const events: WorkerEvents = new EventEmitter()
    events.on("pool:create", ({ workerPool }) => {
      poolIds.add(workerPool.id)
      runEffect(alive.beat(workerPool.id)).catch(() => {})
    })

    const runner: Runner = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          run({
            pgPool: db,
            concurrency: options.concurrency,
            pollInterval: Duration.toMillis(options.pollInterval),
            noHandleSignals: true,
            logger: jsonLogger,
            events,
            taskList,
            parsedCronItems:
              options.schedule === null
                ? []
                : parseCronItems([
                    {
                      task: "schedule_syncs",
                      match: options.schedule.syncCron,
                      identifier: "schedule_syncs",
                      options: { backfillPeriod: 0, maxAttempts: 1 },
                    },
                    {
                      task: "schedule_checks",
                      match: options.schedule.checkCron,
                      identifier: "schedule_checks",
                      options: { backfillPeriod: 0, maxAttempts: 1 },
                    },
                  ]),
            preset: { worker: { gracefulShutdownAbortTimeout: Duration.toMillis(options.shutdownTimeout) } },
          }),
        catch: queueRefused,
      }).pipe(Effect.orDie),
      (runner) =>
        Effect.promise(() => runner.stop().catch(() => {})).pipe(
          Effect.zipRight(Effect.forEach(poolIds, (id) => alive.forget(id), { discard: true })),
          Effect.zipRight(Effect.logInfo("worker stopped")),
        ),
    )

    yield* Effect.forEach(poolIds, alive.beat, { discard: true }).pipe(
      Effect.zipRight(Effect.suspend(() => alive.sweep([...poolIds]))),
      Effect.tap((unlocked) =>
        unlocked.length === 0
          ? Effect.void
          : Effect.logWarning("unlocked the jobs of stopped workers").pipe(Effect.annotateLogs({ pools: unlocked })),
      ),
      Effect.catchAllCause((cause) => Effect.logWarning("heartbeat failed", cause)),
      Effect.repeat(Schedule.spaced(options.heartbeat.interval)),
      Effect.forkScoped,
    )
    yield* Effect.logInfo("worker started").pipe(
      Effect.annotateLogs({ concurrency: options.concurrency, pools: [...poolIds] }),
    )
    return { runner, poolIds: () => [...poolIds] }
  })
