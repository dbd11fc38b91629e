/**
 * A client-side limiter that keeps each Finch endpoint under Finch's published per-application per-minute limits
 * (reference §6.5), so a large sync waits its turn instead of collecting 429s. Finch counts over a sliding 60-second
 * window; so does this, per endpoint, for every request it lets through (Finch counts only successful ones, so this
 * is on the safe side). The budget is per client instance: processes sharing one Finch application share Finch's.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** Requests allowed per window, by operation (`"GET /employer/directory"`); operations not listed are not limited. */
export type RateLimits = Readonly<Record<string, number>>

/** Finch's published application limits (requests initiated per minute). */
export const finchLimits: RateLimits = {
  "GET /employer/company": 20,
  "GET /employer/directory": 20,
  "POST /employer/individual": 20,
  "POST /employer/employment": 20,
  "GET /employer/payment": 12,
  "POST /employer/pay-statement": 12,
  "GET /employer/pay-groups": 12,
}

/** Takes a slot for an operation, waiting until its window has room. */
export interface RateLimiter {
  readonly take: (operation: string) => Effect.Effect<void>
}

/** A limiter that never waits. */
export const unlimited: RateLimiter = { take: () => Effect.void }

/** The shape of the window. `margin` is added to each wait to absorb the delay between our clock and Finch's. */
export interface WindowOptions {
  readonly window: Duration.Duration
  readonly margin: Duration.Duration
}

/** Finch's window: 60 s, plus half a second of safety. */
export const finchWindow: WindowOptions = { window: Duration.minutes(1), margin: Duration.millis(500) }

/** A sliding-window limiter with the given per-operation limits. */
export const make = (limits: RateLimits, options: WindowOptions = finchWindow): Effect.Effect<RateLimiter> =>
  Effect.sync(() => {
    const windowMs = Duration.toMillis(options.window)
    const marginMs = Duration.toMillis(options.margin)
    const buckets = new Map<string, { readonly lock: Effect.Semaphore; readonly sent: Array<number> }>()
    const bucketOf = (operation: string) => {
      const existing = buckets.get(operation)
      if (existing !== undefined) return existing
      const bucket = { lock: Effect.unsafeMakeSemaphore(1), sent: [] as Array<number> }
      buckets.set(operation, bucket)
      return bucket
    }
    const take = (operation: string): Effect.Effect<void> => {
      const limit = limits[operation]
      if (limit === undefined || limit <= 0) return Effect.void
      const bucket = bucketOf(operation)
      // One taker at a time per operation, so waiting callers are served in order and none overshoots.
      const admit: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        while (bucket.sent.length > 0 && bucket.sent[0]! <= now - windowMs) bucket.sent.shift()
        if (bucket.sent.length < limit) {
          bucket.sent.push(now)
          return Effect.void
        }
        const waitMs = bucket.sent[0]! + windowMs + marginMs - now
        return Effect.zipRight(Effect.sleep(Duration.millis(waitMs)), admit)
      })
      return bucket.lock.withPermits(1)(admit)
    }
    return { take }
  })
