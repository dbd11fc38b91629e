/**
 * The worker's layers: the store's ports as `finch_worker`, the Finch client on the shared rate budget, and the
 * job runner over them. `main.ts` builds them from the environment; tests build them with explicit options.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import type { TokenKey } from "@finch-connections/store-postgres/AesTokenVault"
import * as AesTokenVault from "@finch-connections/store-postgres/AesTokenVault"
import * as PgPersonStore from "@finch-connections/store-postgres/PersonStore"
import * as PgConnectionRepository from "@finch-connections/store-postgres/PgConnectionRepository"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import * as PgEmployeeStore from "@finch-connections/store-postgres/PgEmployeeStore"
import * as PgRateBudget from "@finch-connections/store-postgres/PgRateBudget"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import { type Array as Arr, Effect, Layer, type Redacted } from "effect"
import { type SharedBudgetOptions, sharedLimiter } from "./FinchRateBudget.ts"
import { runWorker, type WorkerOptions } from "./Worker.ts"

/** Everything the worker needs to run. */
export interface WorkerLiveOptions {
  readonly worker: WorkerOptions
  readonly tokenKeys: Arr.NonEmptyReadonlyArray<TokenKey>
  /** The Finch client; its rate limiter is replaced by the shared budget unless `rateBudget` is `"off"`. */
  readonly finch: FinchClient.Options
  readonly rateBudget: Omit<SharedBudgetOptions, "application"> | "off"
  /** Migrate the schema (and graphile-worker's, granting the worker its rights) on start, as `ownerUrl`'s login. */
  readonly migrate: boolean
  /** The owner's login, for `migrate`; the worker's own login (`worker.databaseUrl`) unless given. */
  readonly ownerUrl?: Redacted.Redacted<string>
  /**
   * Check the worker's login before anything else (`DatabaseLogin.check`): `"production"` refuses a superuser, a
   * login that bypasses row-level security or owns tables (`UnsafeDatabaseLogin`); `"warn"` says so loudly and goes
   * on. Not checked unless given.
   */
  readonly loginCheck?: "production" | "warn"
}

/** The ports the jobs use, on PostgreSQL (sessions as `finch_worker`) and Finch. */
export const servicesLayer = (options: WorkerLiveOptions) => {
  const database = Layer.scoped(
    PgDatabase.PgDatabase,
    Effect.gen(function* () {
      if (options.loginCheck !== undefined) {
        // Before migrating: a refused login changes nothing.
        yield* PgDatabase.checkLogin(options.worker.databaseUrl, { production: options.loginCheck === "production" })
      }
      return yield* PgDatabase.make({
        url: options.worker.databaseUrl,
        ...(options.ownerUrl === undefined ? {} : { ownerUrl: options.ownerUrl }),
        role: "finch_worker",
        max: options.worker.concurrency + 2,
        migrate: options.migrate,
      })
    }),
  )
  const stores = Layer.mergeAll(
    PgSyncQueue.layer,
    PgEmployeeStore.layer,
    PgPersonStore.layer,
    PgConnectionRepository.layer,
    PgRateBudget.layer,
  ).pipe(Layer.provideMerge(AesTokenVault.layer({ keys: options.tokenKeys })))
  const finch = Layer.unwrapEffect(
    Effect.map(PgRateBudget.PgRateBudget, (budget) =>
      FinchClient.layer(
        options.rateBudget === "off"
          ? { ...options.finch, rateLimits: "off" }
          : {
              ...options.finch,
              rateLimiter: sharedLimiter(budget, {
                ...options.rateBudget,
                application: options.finch.clientId ?? options.finch.baseUrl ?? "finch",
              }),
            },
      ),
    ),
  ).pipe(Layer.provide(FetchHttpClient.layer))
  return finch.pipe(Layer.provideMerge(stores), Layer.provideMerge(database))
}

/** The worker running for the life of the layer. */
export const layer = (options: WorkerLiveOptions) =>
  Layer.scopedDiscard(runWorker(options.worker)).pipe(Layer.provide(servicesLayer(options)))
