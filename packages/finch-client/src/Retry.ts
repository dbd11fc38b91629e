/**
 * When and how long to wait before repeating a failed Finch call: bounded exponential backoff with jitter (the
 * official SDK's curve), overridden by the wait Finch asks for (`retry-after-ms`, `Retry-After`, a body `retry_at`).
 */

import type { FinchError } from "@finch-connections/core/FinchError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"

/** How a Finch call is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  readonly maxRetries: number
  /** The first backoff; each retry doubles it. */
  readonly initialDelay: Duration.Duration
  /** The largest backoff. */
  readonly maxDelay: Duration.Duration
  /** A longer wait asked by Finch is not slept through: the error is returned so the caller can reschedule. */
  readonly maxRetryAfter: Duration.Duration
}

/** The SDK's defaults: 2 retries, 0.5 s doubling up to 8 s; Finch-requested waits honoured up to a minute. */
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 2,
  initialDelay: Duration.millis(500),
  maxDelay: Duration.seconds(8),
  maxRetryAfter: Duration.minutes(1),
}

/** A failed attempt: the error it would surface, whether repeating it can help, and the wait Finch asked for. */
export interface AttemptFailure {
  readonly error: FinchError
  readonly retryable: boolean
  readonly retryAfterMs: number | null
}

/**
 * The backoff before retry number `retry` (0-based): `min(initial × 2^retry, max) × (1 − 0.25 × random)`, where
 * `random` is in [0, 1). Jitter only shortens the wait, so concurrent callers spread out without exceeding the cap.
 */
export const backoff = (policy: RetryPolicy, retry: number, random: number): Duration.Duration => {
  const base = Math.min(Duration.toMillis(policy.initialDelay) * 2 ** retry, Duration.toMillis(policy.maxDelay))
  return Duration.millis(Math.max(0, base * (1 - 0.25 * random)))
}

type HeaderLookup = (name: string) => string | undefined

const parseSeconds = (value: string): Option.Option<number> => {
  const trimmed = value.trim()
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return Option.none()
  return Option.some(Number.parseFloat(trimmed) * 1000)
}

const parseHttpDate = (value: string, nowMs: number): Option.Option<number> => {
  const at = Date.parse(value)
  return Number.isNaN(at) ? Option.none() : Option.some(at - nowMs)
}

const retryAtOf = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null || !("retry_at" in body)) return undefined
  const value = (body as { readonly retry_at: unknown }).retry_at
  return typeof value === "string" ? value : undefined
}

/**
 * The wait Finch asked for, in milliseconds: `retry-after-ms` (float ms) wins, then `Retry-After` (float seconds or
 * an HTTP date), then a body `retry_at` (ISO-8601, as the jobs 429 sends). Never negative; `None` when absent.
 */
export const retryAfterMillis = (header: HeaderLookup, body: unknown, nowMs: number): Option.Option<number> => {
  const ms = header("retry-after-ms")
  const seconds = header("retry-after")
  const retryAt = retryAtOf(body)
  return Option.firstSomeOf([
    ms === undefined
      ? Option.none()
      : Option.some(Number.parseFloat(ms.trim())).pipe(Option.filter((n) => !Number.isNaN(n))),
    seconds === undefined ? Option.none() : Option.orElse(parseSeconds(seconds), () => parseHttpDate(seconds, nowMs)),
    retryAt === undefined ? Option.none() : parseHttpDate(retryAt, nowMs),
  ]).pipe(Option.map((wait) => Math.max(0, wait)))
}

/**
 * Runs `attempt` (given the retry number, 0 for the first try) until it succeeds, fails with a failure that cannot be
 * retried, or the policy's retries are used up; surfaces the last attempt's error. Hand-rolled rather than a
 * `Schedule` because the wait depends on each failure (`Retry-After`), not only on the attempt count.
 */
export const withRetries = <A, R>(
  policy: RetryPolicy,
  attempt: (retry: number) => Effect.Effect<A, AttemptFailure, R>,
): Effect.Effect<A, FinchError, R> => {
  const loop = (retry: number): Effect.Effect<A, FinchError, R> =>
    Effect.catchAll(attempt(retry), (failure) => {
      if (!failure.retryable || retry >= policy.maxRetries) return Effect.fail(failure.error)
      if (failure.retryAfterMs !== null) {
        if (failure.retryAfterMs > Duration.toMillis(policy.maxRetryAfter)) return Effect.fail(failure.error)
        return Effect.zipRight(Effect.sleep(Duration.millis(failure.retryAfterMs)), loop(retry + 1))
      }
      return Random.next.pipe(
        Effect.flatMap((random) => Effect.sleep(backoff(policy, retry, random))),
        Effect.zipRight(loop(retry + 1)),
      )
    })
  return loop(0)
}
