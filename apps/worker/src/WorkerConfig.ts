/**
 * The worker's settings from the environment (see the README's worker section for each variable).
 */
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import * as RateLimiter from "@finch-connections/finch-client/RateLimiter"
import * as AesTokenVault from "@finch-connections/store-postgres/AesTokenVault"
import * as DatabaseLogin from "@finch-connections/store-postgres/DatabaseLogin"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import { Config, Duration, Effect } from "effect"
import { defaultSyncSettings } from "./sync/SyncConnection.ts"
import { defaultSchedule } from "./Worker.ts"
import type { WorkerLiveOptions } from "./WorkerLive.ts"

const millis = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be 0 or more (milliseconds)`, validation: (ms) => ms >= 0 }),
    Config.map(Duration.millis),
    Config.withDefault(fallback),
  )

const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be at least 1`, validation: (n) => n >= 1 }),
    Config.withDefault(fallback),
  )

/** Reads every setting; needs the `DatabaseServer` (DATABASE_URL, or the embedded server). */
export const workerOptions = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const finch = yield* FinchClient.config
  const rateLimits = yield* Config.literal("finch", "off")("FINCH_RATE_LIMITS").pipe(Config.withDefault("finch"))
  const scheduleOn = yield* Config.boolean("WORKER_SCHEDULE").pipe(Config.withDefault(true))
  const options: WorkerLiveOptions = {
    tokenKeys: yield* AesTokenVault.configuredKeys,
    migrate: yield* Config.boolean("DATABASE_MIGRATE").pipe(Config.withDefault(true)),
    ownerUrl: server.ownerUrl,
    loginCheck: (yield* DatabaseLogin.productionConfig) ? "production" : "warn",
    // A Finch-requested wait is never slept through in a job: the job is put back in the queue for it.
    finch: { ...finch, retryPolicy: { maxRetryAfter: 0 } },
    rateBudget:
      rateLimits === "off"
        ? "off"
        : {
            window: yield* millis("FINCH_RATE_WINDOW_MS", RateLimiter.finchWindow.window),
            margin: yield* millis("FINCH_RATE_MARGIN_MS", RateLimiter.finchWindow.margin),
          },
    worker: {
      // The worker's runtime login: DATABASE_URL, or the embedded server's finch_worker login.
      databaseUrl: server.loginUrl("finch_worker"),
      concurrency: yield* positive("WORKER_CONCURRENCY", 4),
      pollInterval: yield* millis("WORKER_POLL_INTERVAL_MS", Duration.seconds(2)),
      sync: {
        maxRetries: yield* Config.integer("SYNC_MAX_RETRIES").pipe(Config.withDefault(defaultSyncSettings.maxRetries)),
        retryDelay: yield* millis("SYNC_RETRY_DELAY_MS", defaultSyncSettings.retryDelay),
        dataPendingDelay: yield* millis("SYNC_DATA_PENDING_DELAY_MS", defaultSyncSettings.dataPendingDelay),
        rateLimitDelay: yield* millis("SYNC_RATE_LIMIT_DELAY_MS", defaultSyncSettings.rateLimitDelay),
      },
      schedule: scheduleOn
        ? {
            syncCron: yield* Config.string("SYNC_SCHEDULE_CRON").pipe(Config.withDefault(defaultSchedule.syncCron)),
            cadence: yield* Config.number("SYNC_CADENCE_HOURS").pipe(
              Config.map(Duration.hours),
              Config.withDefault(defaultSchedule.cadence),
            ),
            spread: yield* millis("SYNC_SPREAD_MS", defaultSchedule.spread),
            checkCron: yield* Config.string("CHECK_SCHEDULE_CRON").pipe(Config.withDefault(defaultSchedule.checkCron)),
          }
        : null,
      heartbeat: {
        interval: yield* millis("WORKER_HEARTBEAT_MS", Duration.seconds(5)),
        staleAfter: yield* millis("WORKER_STALE_AFTER_MS", Duration.minutes(2)),
      },
      shutdownTimeout: yield* millis("WORKER_SHUTDOWN_TIMEOUT_MS", Duration.seconds(25)),
      reconcileMemoryRecords: yield* positive("RECONCILE_MEMORY_RECORDS", 10_000),
    },
  }
  return options
})
