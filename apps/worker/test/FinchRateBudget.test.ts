/**
 * The worker's limiter over the budget shared through PostgreSQL: a slot whose request ends late is counted from that
 * end, so a request that arrived at Finch late in its slot is still counted when the next window's requests go.
 */
import { assert, layer } from "@effect/vitest"
import * as RateLimiter from "@finch-connections/finch-client/RateLimiter"
import * as PgRateBudget from "@finch-connections/store-postgres/PgRateBudget"
import * as TestDatabase from "@finch-connections/store-postgres/testing/TestDatabase"
import { Duration, Effect, Either, Layer } from "effect"
import { sql } from "kysely"
import { sharedLimiter } from "../src/FinchRateBudget.ts"

const BudgetTest = PgRateBudget.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ role: "finch_worker" })))

const operation = "GET /employer/payment"

layer(BudgetTest, { timeout: 60_000, excludeTestServices: true })("FinchRateBudget.sharedLimiter", (it) => {
  // Stands for a request that has been in flight for 50 s: its slot was taken 50 s ago.
  const inFlightFor50Seconds = (application: string) =>
    Effect.flatMap(TestDatabase.ownerKysely, (owner) =>
      Effect.promise(() =>
        sql`update rate_budget.slots set taken_at = taken_at - interval '50 seconds'
          where key = ${`${application}:${operation}`}`.execute(owner),
      ),
    )
  const waitMs = (application: string) =>
    Effect.map(
      Effect.flatMap(PgRateBudget.PgRateBudget, (budget) =>
        budget.tryTake(`${application}:${operation}`, 1, Duration.millis(60_100)),
      ),
      (taken) => (Either.isLeft(taken) ? Duration.toMillis(taken.left) : 0),
    )
  const limiterFor = (application: string) =>
    Effect.map(PgRateBudget.PgRateBudget, (budget) =>
      sharedLimiter(budget, { application, limits: { [operation]: 1 } }),
    )

  for (const [outcome, ending] of [
    ["answered", Effect.void],
    ["failed", Effect.fail("connection reset")],
  ] as const) {
    it.scoped(`a slot whose request ${outcome} 50 s after its take is counted a full window from that end`, () =>
      Effect.gen(function* () {
        const application = `app-${outcome}`
        const limiter = yield* limiterFor(application)
        yield* RateLimiter.withSlot(
          limiter,
          operation,
          Effect.zipRight(
            inFlightFor50Seconds(application),
            Effect.gen(function* () {
              // Before its request ends, the slot would free up within 10 s of its take…
              assert.isAtMost(yield* waitMs(application), 10_100)
            }),
          ).pipe(Effect.zipRight(ending)),
        ).pipe(Effect.exit)
        // …once it ends, not before a window from the end.
        assert.isAbove(yield* waitMs(application), 50_000)
      }),
    )
  }

  it.scoped("operations without a limit take no slot", () =>
    Effect.gen(function* () {
      const limiter = yield* limiterFor("app-unlisted")
      for (let i = 0; i < 5; i++) yield* RateLimiter.withSlot(limiter, "GET /introspect", Effect.void)
      const owner = yield* TestDatabase.ownerKysely
      const { rows } = yield* Effect.promise(() =>
        sql<{ count: string }>`select count(*)::text as count from rate_budget.slots
          where key like 'app-unlisted:%'`.execute(owner),
      )
      assert.deepStrictEqual(rows, [{ count: "0" }])
    }),
  )
})
