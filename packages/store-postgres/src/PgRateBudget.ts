/**
 * A rate budget shared through PostgreSQL: every process of every machine that calls Finch with one application's
 * credentials takes its slots here, so together they stay under Finch's per-application, per-endpoint limits (a
 * per-process limiter would let N processes send N times the limit). A sliding window on the database's clock, kept
 * by the security-definer function `take_finch_rate_slot` (migration 0020) under a per-key advisory lock.
 */
import { Context, Duration, Effect, Layer } from "effect"
import { type Kysely, sql } from "kysely"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** Slots per key over a window. */
export interface PgRateBudgetService {
  /**
   * Takes a slot for `key` when fewer than `limit` were taken in the last `window`: `Duration.zero`. Otherwise
   * nothing is taken and the answer is how long until a slot frees up.
   */
  readonly tryTake: (key: string, limit: number, window: Duration.DurationInput) => Effect.Effect<Duration.Duration>
  /** Takes a slot for `key`, sleeping (without holding a database session) until one is free. */
  readonly take: (key: string, limit: number, window: Duration.DurationInput) => Effect.Effect<void>
}

/** The shared budget. */
export class PgRateBudget extends Context.Tag("@finch-connections/store-postgres/PgRateBudget")<
  PgRateBudget,
  PgRateBudgetService
>() {}

/** Builds the budget over `db` (either application role may take slots). */
export const make = (options: { readonly db: Kysely<Database> }): PgRateBudgetService => {
  const { db } = options
  const tryTake = (key: string, limit: number, window: Duration.DurationInput) =>
    query(() =>
      sql<{ wait_ms: number }>`select take_finch_rate_slot(${key}, ${limit}::integer,
        ${Math.ceil(Duration.toMillis(Duration.decode(window)))}::integer) as wait_ms`.execute(db),
    ).pipe(
      Effect.orDie,
      Effect.map(({ rows }) => Duration.millis(rows[0]?.wait_ms ?? 0)),
      Effect.withSpan("PgRateBudget.tryTake", { attributes: { key, limit } }),
    )
  const take = (key: string, limit: number, window: Duration.DurationInput): Effect.Effect<void> =>
    Effect.flatMap(tryTake(key, limit, window), (wait) =>
      Duration.toMillis(wait) === 0 ? Effect.void : Effect.zipRight(Effect.sleep(wait), take(key, limit, window)),
    )
  return { tryTake, take }
}

/** The budget over the store's pool. */
export const layer = Layer.effect(
  PgRateBudget,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
