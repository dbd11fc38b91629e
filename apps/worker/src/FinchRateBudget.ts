/**
 * The Finch client's rate limiter for the worker: each endpoint's slots are taken from the budget shared through
 * PostgreSQL (`PgRateBudget`), keyed by the Finch application (its client id), so every worker process on every
 * machine together stays under Finch's per-application limits.
 */
import * as RateLimiter from "@finch-connections/finch-client/RateLimiter"
import type { PgRateBudgetService } from "@finch-connections/store-postgres/PgRateBudget"
import { Duration, Effect } from "effect"

/** How the shared budget counts. */
export interface SharedBudgetOptions {
  /** The Finch application whose limits these are (its client id). */
  readonly application: string
  /** Requests per window by operation; Finch's published limits unless given. */
  readonly limits?: RateLimiter.RateLimits
  /** Finch's window, 60 s; shorter only against a sandbox whose clock runs faster. */
  readonly window?: Duration.DurationInput
  /** Added to the window for clock-rate differences; Finch's window's margin unless given. */
  readonly margin?: Duration.DurationInput
}

/** A `RateLimiter` over the shared budget: each slot is settled in the budget when its request ends. */
export const sharedLimiter = (budget: PgRateBudgetService, options: SharedBudgetOptions): RateLimiter.RateLimiter => {
  const limits = options.limits ?? RateLimiter.finchLimits
  const window = Duration.sum(
    Duration.decode(options.window ?? RateLimiter.finchWindow.window),
    Duration.decode(options.margin ?? RateLimiter.finchWindow.margin),
  )
  return {
    take: (operation) => {
      const limit = limits[operation]
      return limit === undefined || limit <= 0
        ? Effect.succeed(Effect.void)
        : Effect.map(budget.take(`${options.application}:${operation}`, limit, window), budget.settle)
    },
  }
}
