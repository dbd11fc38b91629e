/**
 * A client-side limiter that keeps each Finch endpoint under Finch's published per-application per-minute limits
 * (reference §6.5), so a large sync waits its turn instead of collecting 429s. Finch counts over a sliding 60-second
 * window from each request's arrival; so does this, per endpoint, for every request it lets through (Finch counts only
 * successful ones, so this is on the safe side). A client cannot see the arrival, so a slot is stamped when taken and
 * again when its request ends, and counted from the later stamp: the end always follows Finch's arrival, however late
 * a busy event loop or a slow network made it. The budget is per client instance: processes sharing one Finch
 * application share Finch's.
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

/**
 * Slots per operation. `take` waits until the operation's window has room, takes a slot and answers its `settle`:
 * run it when the request has ended (answered or failed), and the slot stays counted for a window after that moment.
 * Run requests through `withSlot`, which settles on every outcome.
 */
export interface RateLimiter {
  readonly take: (operation: string) => Effect.Effect<Effect.Effect<void>>
}

/** Runs `request` in a slot of `operation`, settling the slot when it ends: succeeded, failed or interrupted. */
export const withSlot = <A, E, R>(
  limiter: RateLimiter,
  operation: string,
  request: Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> =>
  // Waiting for a slot stays interruptible; once one is taken, its settle is sure to run.
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(limiter.take(operation)), (settle) => Effect.ensuring(restore(request), settle)),
  )

/** A limiter that never waits. */
export const unlimited: RateLimiter = { take: () => Effect.succeed(Effect.void) }

/** The shape of the window: a slot is counted for `window + margin` after the later of its take and its settle. */
export interface WindowOptions {
  readonly window: Duration.Duration
  readonly margin: Duration.Duration
}

/**
 * Finch's window: 60 s, plus 100 ms. Slots are counted from the end of their requests, after Finch counted them, so
 * the margin does not cover the request's journey (that took a guessed 500 ms before); it covers our clock running
 * a little slower than Finch's over a minute and both sides' rounding to milliseconds.
 */
export const finchWindow: WindowOptions = { window: Duration.minutes(1), margin: Duration.millis(100) }

/** A slot's latest stamp: when it was taken, then when its request ended. */
interface Slot {
  at: number
}

/**
 * A sliding-window limiter with the given per-operation limits. A slot whose request is still in flight when its
 * window has passed stops counting until the request ends; the client's default timeout (60 s) ends every request
 * within Finch's window.
 */
export const make = (limits: RateLimits, options: WindowOptions = finchWindow): Effect.Effect<RateLimiter> =>
  Effect.sync(() => {
    const countedMs = Duration.toMillis(options.window) + Duration.toMillis(options.margin)
    // `sent` is kept sorted by stamp, oldest first.
    const buckets = new Map<string, { readonly lock: Effect.Semaphore; readonly sent: Array<Slot> }>()
    const bucketOf = (operation: string) => {
      const existing = buckets.get(operation)
      if (existing !== undefined) return existing
      const bucket = { lock: Effect.unsafeMakeSemaphore(1), sent: [] as Array<Slot> }
      buckets.set(operation, bucket)
      return bucket
    }
    const insertSorted = (sent: Array<Slot>, slot: Slot) => {
      let index = sent.length
      while (index > 0 && sent[index - 1]!.at > slot.at) index--
      sent.splice(index, 0, slot)
    }
    const take = (operation: string): Effect.Effect<Effect.Effect<void>> => {
      const limit = limits[operation]
      if (limit === undefined || limit <= 0) return Effect.succeed(Effect.void)
      const bucket = bucketOf(operation)
      // A settle moves its slot to the request's end (put back if its window had already passed while in flight);
      // a taker sleeping on that slot wakes to a later stamp and waits again.
      const settleOf = (slot: Slot): Effect.Effect<void> =>
        Effect.flatMap(Clock.currentTimeMillis, (end) =>
          Effect.sync(() => {
            const index = bucket.sent.indexOf(slot)
            if (index !== -1) bucket.sent.splice(index, 1)
            slot.at = Math.max(slot.at, end)
            insertSorted(bucket.sent, slot)
          }),
        )
      // One taker at a time per operation, so waiting callers are served in order and none overshoots.
      const admit: Effect.Effect<Effect.Effect<void>> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        while (bucket.sent.length > 0 && bucket.sent[0]!.at <= now - countedMs) bucket.sent.shift()
        if (bucket.sent.length < limit) {
          const slot: Slot = { at: now }
          insertSorted(bucket.sent, slot)
          return Effect.succeed(settleOf(slot))
        }
        const waitMs = bucket.sent[0]!.at + countedMs - now
        return Effect.zipRight(Effect.sleep(Duration.millis(waitMs)), admit)
      })
      return bucket.lock.withPermits(1)(admit)
    }
    return { take }
  })
