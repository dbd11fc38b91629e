import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as RateLimiter from "../src/RateLimiter.ts"

describe("RateLimiter", () => {
  it.effect("lets Finch's limit through at once, then holds each further request until the window slides", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter.make(RateLimiter.finchLimits)
      const admitted: Array<number> = []
      const take = (i: number) =>
        Effect.zipRight(
          limiter.take("GET /employer/directory"),
          Effect.sync(() => admitted.push(i)),
        )
      for (let i = 0; i < 20; i++) yield* take(i)
      assert.strictEqual(admitted.length, 20)
      const waiting = yield* Effect.fork(Effect.all([take(20), take(21)]))
      yield* TestClock.adjust("60 seconds")
      assert.strictEqual(admitted.length, 20)
      yield* TestClock.adjust("500 millis")
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
            Effect.zipRight(
              limiter.take("GET /employer/company"),
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
})
