import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as RateLimiter from "../src/RateLimiter.ts"

describe("RateLimiter", () => {
  it.effect("lets Finch's limit through at once, then holds each further request until the window slides", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter.make(RateLimiter.finchLimits)
      const admitted: Array<number> = []
      const take = (i: number) =>
        RateLimiter.withSlot(
          limiter,
          "GET /employer/directory",
          Effect.sync(() => admitted.push(i)),
        )
      for (let i = 0; i < 20; i++) yield* take(i)
      assert.strictEqual(admitted.length, 20)
      const waiting = yield* Effect.fork(Effect.all([take(20), take(21)]))
      yield* TestClock.adjust("60 seconds")
      assert.strictEqual(admitted.length, 20)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(waiting)
      assert.deepStrictEqual(admitted.slice(20), [20, 21])
    }),
  )

  it.effect("keeps endpoints apart and leaves unlisted ones alone", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter.make({ "POST /employer/individual": 2 })
      yield* limiter.take("POST /employer/individual")
      yield* limiter.take("POST /employer/individual")
      for (let i = 0; i < 100; i++) yield* limiter.take("GET /introspect")
      const third = yield* Effect.fork(limiter.take("POST /employer/individual"))
      yield* TestClock.adjust("1 second")
      assert.isNull(yield* Fiber.poll(third).pipe(Effect.map((exit) => (exit._tag === "Some" ? "done" : null))))
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.join(third)
    }),
  )

  it.effect("never lets more than the limit through in any window", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter.make({ "GET /employer/company": 3 })
      const at: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 10 }),
          () =>
            RateLimiter.withSlot(
              limiter,
              "GET /employer/company",
              Effect.flatMap(TestClock.currentTimeMillis, (now) => Effect.sync(() => at.push(now))),
            ),
          { concurrency: "unbounded" },
        ),
      )
      yield* TestClock.adjust("10 minutes")
      yield* Fiber.join(fiber)
      assert.strictEqual(at.length, 10)
      for (const t of at) assert.isAtMost(at.filter((u) => u > t - 60_000 && u <= t).length, 3)
    }),
  )

  describe("counts a slot from its request's end when that is later than its take", () => {
    const operation = "GET /employer/payment"
    const admittedAt = (limiter: RateLimiter.RateLimiter) =>
      RateLimiter.withSlot(limiter, operation, TestClock.currentTimeMillis)
    // The second request of a 1-per-window limit waits until the first one's stamp plus 60.1 s.
    const nextAdmittedAt = (limiter: RateLimiter.RateLimiter, firstStarted: Effect.Effect<unknown>) =>
      Effect.gen(function* () {
        const first = yield* Effect.fork(firstStarted)
        yield* TestClock.adjust("30 seconds")
        const next = yield* Effect.fork(admittedAt(limiter))
        yield* TestClock.adjust("10 minutes")
        yield* Fiber.await(first)
        return yield* Fiber.join(next)
      })

    it.effect("a request answered 30 s after its take holds the next one until 30 s + the window", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        const slow = RateLimiter.withSlot(limiter, operation, Effect.sleep("30 seconds"))
        assert.strictEqual(yield* nextAdmittedAt(limiter, slow), 90_100)
      }),
    )

    it.effect("so does a request that failed after 30 s", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        const failing = RateLimiter.withSlot(
          limiter,
          operation,
          Effect.zipRight(Effect.sleep("30 seconds"), Effect.fail("boom")),
        )
        assert.strictEqual(yield* nextAdmittedAt(limiter, Effect.exit(failing)), 90_100)
      }),
    )

    it.effect("so does a request interrupted after 30 s", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        const interrupted = RateLimiter.withSlot(
          limiter,
          operation,
          Effect.zipRight(Effect.sleep("30 seconds"), Effect.interrupt),
        )
        assert.strictEqual(yield* nextAdmittedAt(limiter, Effect.exit(interrupted)), 90_100)
      }),
    )

    it.effect("a request answered at once is counted from its take, as before", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        assert.strictEqual(yield* nextAdmittedAt(limiter, admittedAt(limiter)), 60_100)
      }),
    )

    it.effect("a request in flight beyond its window is counted again from its end", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        const slow = yield* Effect.fork(RateLimiter.withSlot(limiter, operation, Effect.sleep("2 minutes")))
        yield* TestClock.adjust("61 seconds")
        assert.strictEqual(yield* admittedAt(limiter), 61_000)
        yield* TestClock.adjust("59 seconds")
        yield* Fiber.join(slow)
        const next = yield* Effect.fork(admittedAt(limiter))
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(yield* Fiber.join(next), 180_100)
      }),
    )

    it.effect("a taker interrupted while it waits takes no slot", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter.make({ [operation]: 1 })
        yield* admittedAt(limiter)
        const waiting = yield* Effect.fork(admittedAt(limiter))
        yield* TestClock.adjust("1 second")
        assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(waiting)))
        const next = yield* Effect.fork(admittedAt(limiter))
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(yield* Fiber.join(next), 60_100)
      }),
    )
  })
})
