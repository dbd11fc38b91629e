/**
 * A rate budget shared through PostgreSQL: every process of every machine that calls Finch with one application's
 * credentials takes its slots here, so together they stay under Finch's per-application, per-endpoint limits (a
 * per-process limiter would let N processes send N times the limit). A sliding window on the database's clock, kept
 * by security-definer functions (migrations 0020, 0024) under a per-key advisory lock. A slot is settled when its
 * request ends, and counted for a window after the later of its take and its settle: Finch counts a request when it
 * arrives, which is never after it ended.
 */
import { Context, Duration, Effect, Either, Layer } from "effect"
import { type Kysely, sql } from "kysely"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** A slot taken from the budget: its key and its id. */
export interface RateSlot {
  readonly key: string
  readonly id: string
}

/** Slots per key over a window. */
export interface PgRateBudgetService {
  /**
   * Takes a slot for `key` when fewer than `limit` were counted in the last `window`: `Right` with the slot.
   * Otherwise nothing is taken: `Left` with how long until a slot frees up.
   */
  readonly tryTake: (
    key: string,
    limit: number,
    window: Duration.DurationInput,
  ) => Effect.Effect<Either.Either<RateSlot, Duration.Duration>>
  /** Takes a slot for `key`, sleeping (without holding a database session) until one is free. */
  readonly take: (key: string, limit: number, window: Duration.DurationInput) => Effect.Effect<RateSlot>
  /** Restamps a slot whose request has ended, so it is counted for a window from now if that is later. */
  readonly settle: (slot: RateSlot) => Effect.Effect<void>
}

/** The shared budget. */
export class PgRateBudget extends Context.Tag("@finch-connections/store-postgres/PgRateBudget")<
  PgRateBudget,
  PgRateBudgetService
>() {}

/** Builds the budget over `db` (either application role may take and settle slots). */
export const make = (options: { readonly db: Kysely<Database> }): PgRateBudgetService => {
  const { db } = options
  const tryTake = (key: string, limit: number, window: Duration.DurationInput) =>
    query(() =>
      sql<{ slot_id: string | null; wait_ms: number }>`select slot_id::text, wait_ms from take_finch_rate_slot_id(
        ${key}, ${limit}::integer, ${Math.ceil(Duration.toMillis(Duration.decode(window)))}::integer)`.execute(db),
    ).pipe(
      Effect.orDie,
      Effect.map(({ rows }): Either.Either<RateSlot, Duration.Duration> => {
        const row = rows[0]
        return row?.slot_id != null
          ? Either.right({ key, id: row.slot_id })
          : Either.left(Duration.millis(Math.max(1, row?.wait_ms ?? 1)))
      }),
      Effect.withSpan("PgRateBudget.tryTake", { attributes: { key, limit } }),
    )
  const take = (key: string, limit: number, window: Duration.DurationInput): Effect.Effect<RateSlot> =>
    Effect.flatMap(tryTake(key, limit, window), (taken) =>
      Either.isRight(taken)
        ? Effect.succeed(taken.right)
        : Effect.zipRight(Effect.sleep(taken.left), take(key, limit, window)),
    )
  const settle = (slot: RateSlot) =>
    query(() => sql`select settle_finch_rate_slot(${slot.key}, ${slot.id}::bigint)`.execute(db)).pipe(
      Effect.orDie,
      Effect.asVoid,
      Effect.withSpan("PgRateBudget.settle", { attributes: { key: slot.key } }),
    )
  return { tryTake, take, settle }
}

/** The budget over the store's pool. */
export const layer = Layer.effect(
  PgRateBudget,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)
