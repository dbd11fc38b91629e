import { assert, describe, it } from "@effect/vitest"
import { FinchBadRequest, FinchRateLimited, FinchServerError } from "@finch-connections/core/FinchError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Retry from "../src/Retry.ts"

const policy = Retry.defaultRetryPolicy
const serverError = new FinchServerError({ operation: "GET /introspect", requestId: "r1", detail: "boom", status: 503 })
const rateLimited = (retryAfterMs: number | null) =>
  new FinchRateLimited({ operation: "GET /employer/directory", requestId: null, detail: "slow down", retryAfterMs })

const headerLookup = (headers: Record<string, string>) => (name: string) => headers[name]

describe("Retry.backoff", () => {
  it("doubles from 0.5 s up to 8 s, and jitter only shortens it by at most a quarter", () => {
    const ms = (retry: number, random: number) => Duration.toMillis(Retry.backoff(policy, retry, random))
    assert.deepStrictEqual(
      [0, 1, 2, 3, 4, 5, 9].map((retry) => ms(retry, 0)),
      [500, 1000, 2000, 4000, 8000, 8000, 8000],
    )
    assert.strictEqual(ms(0, 0.5), 437.5)
    assert.strictEqual(ms(1, 0.5), 875)
  })

  it.prop(
    "stays within [0.75 × base, base] for any retry and random draw",
    [FastCheck.integer({ min: 0, max: 40 }), FastCheck.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })],
    ([retry, random]) => {
      const base = Math.min(500 * 2 ** retry, 8000)
      const wait = Duration.toMillis(Retry.backoff(policy, retry, random))
      return wait <= base && wait >= base * 0.75 - 1e-9
    },
  )
})

describe("Retry.retryAfterMillis", () => {
  const now = Date.parse("2026-01-01T00:00:00Z")

  it("reads retry-after-ms first, then Retry-After seconds, then an HTTP date, then a body retry_at", () => {
    const wait = (headers: Record<string, string>, body?: unknown) =>
      Option.getOrNull(Retry.retryAfterMillis(headerLookup(headers), body, now))
    assert.strictEqual(wait({ "retry-after-ms": "1500.5", "retry-after": "9" }), 1500.5)
    assert.strictEqual(wait({ "retry-after": "2" }), 2000)
    assert.strictEqual(wait({ "retry-after": "0.25" }), 250)
    assert.strictEqual(wait({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), 30_000)
    assert.strictEqual(wait({}, { retry_at: "2026-01-01T00:01:00Z" }), 60_000)
    assert.strictEqual(wait({ "retry-after": "3" }, { retry_at: "2026-01-01T00:01:00Z" }), 3000)
    assert.strictEqual(wait({}), null)
    assert.strictEqual(wait({}, { message: "no hint" }), null)
  })

  it("ignores garbage and never returns a negative wait", () => {
    const wait = (headers: Record<string, string>, body?: unknown) =>
      Option.getOrNull(Retry.retryAfterMillis(headerLookup(headers), body, now))
    assert.strictEqual(wait({ "retry-after-ms": "soon" }), null)
    assert.strictEqual(wait({ "retry-after": "later" }), null)
    assert.strictEqual(wait({ "retry-after-ms": "soon", "retry-after": "1" }), 1000)
    assert.strictEqual(wait({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }), 0)
    assert.strictEqual(wait({}, { retry_at: "2025-01-01T00:00:00Z" }), 0)
    assert.strictEqual(wait({}, { retry_at: 12 }), null)
  })
})

describe("Retry.withRetries", () => {
  const failing = (failures: ReadonlyArray<Retry.AttemptFailure>, attempts: Array<number>) => (retry: number) =>
    Effect.suspend(() => {
      attempts.push(retry)
      const failure = failures[retry]
      return failure === undefined ? Effect.succeed("ok") : Effect.fail(failure)
    })

  it.effect("retries retryable failures with backoff, then succeeds", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const transient = { error: serverError, retryable: true, retryAfterMs: null }
      const fiber = yield* Effect.fork(Retry.withRetries(policy, failing([transient, transient], attempts)))
      // The first wait is 375–500 ms (0.5 s less up to a quarter), the second 750–1000 ms.
      yield* TestClock.adjust("374 millis")
      assert.deepStrictEqual(attempts, [0])
      yield* TestClock.adjust("126 millis")
      assert.deepStrictEqual(attempts, [0, 1])
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.deepStrictEqual(attempts, [0, 1, 2])
    }),
  )

  it.effect("gives up after maxRetries with the last error", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const transient = { error: serverError, retryable: true, retryAfterMs: null }
      const fiber = yield* Effect.fork(
        Effect.flip(
          Retry.withRetries(
            { ...policy, maxRetries: 3 },
            failing([transient, transient, transient, transient], attempts),
          ),
        ),
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), serverError)
      assert.deepStrictEqual(attempts, [0, 1, 2, 3])
    }),
  )

  it.effect("never retries a failure that cannot succeed", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const bad = new FinchBadRequest({
        operation: "POST /auth/token",
        requestId: null,
        detail: "bad code",
        status: 400,
        finchCode: null,
        errorName: "invalid_grant_error",
      })
      const error = yield* Effect.flip(
        Retry.withRetries(policy, failing([{ error: bad, retryable: false, retryAfterMs: null }], attempts)),
      )
      assert.strictEqual(error, bad)
      assert.deepStrictEqual(attempts, [0])
    }),
  )

  it.effect("waits exactly as long as Finch asks", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const fiber = yield* Effect.fork(
        Retry.withRetries(
          policy,
          failing([{ error: rateLimited(20_000), retryable: true, retryAfterMs: 20_000 }], attempts),
        ),
      )
      yield* TestClock.adjust("19999 millis")
      assert.deepStrictEqual(attempts, [0])
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.deepStrictEqual(attempts, [0, 1])
    }),
  )

  it.effect("returns the error at once when Finch asks for a longer wait than the policy sleeps through", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const error = yield* Effect.flip(
        Retry.withRetries(
          policy,
          failing([{ error: rateLimited(3_600_000), retryable: true, retryAfterMs: 3_600_000 }], attempts),
        ),
      )
      assert.strictEqual(error._tag, "FinchRateLimited")
      assert.strictEqual((error as FinchRateLimited).retryAfterMs, 3_600_000)
      assert.deepStrictEqual(attempts, [0])
    }),
  )

  it.effect("with maxRetries 0 makes exactly one attempt", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      yield* Effect.flip(
        Retry.withRetries(
          { ...policy, maxRetries: 0 },
          failing([{ error: serverError, retryable: true, retryAfterMs: null }], attempts),
        ),
      )
      assert.deepStrictEqual(attempts, [0])
    }),
  )
})
