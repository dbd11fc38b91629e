import { assert, layer } from "@effect/vitest"
import { Data, Effect, Exit, Fiber } from "effect"
import { sql } from "kysely"
import { withCustomer } from "../src/CustomerTransaction.ts"
import { query } from "../src/DatabaseError.ts"
import { PgDatabase } from "../src/PgDatabase.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

class Refused extends Data.TaggedError("Refused") {}

const customerIds = Effect.flatMap(TestDatabase.ownerKysely, (owner) =>
  Effect.promise(() => owner.selectFrom("customers").select("id").orderBy("id").execute()),
).pipe(
  Effect.map((rows) => rows.map((row) => row.id)),
  Effect.scoped,
)

layer(TestDatabase.layerPgDatabase({ max: 1 }), { excludeTestServices: true })("withCustomer", (it) => {
  it.effect("commits what succeeds", () =>
    Effect.gen(function* () {
      const db = yield* PgDatabase
      yield* withCustomer(db, "kept", (trx) =>
        query(() => trx.insertInto("customers").values({ id: "kept", name: "Kept" }).execute()),
      )
      assert.include(yield* customerIds, "kept")
    }),
  )

  it.effect("rolls back on a failure, a defect, or an interruption", () =>
    Effect.gen(function* () {
      const db = yield* PgDatabase
      const insert = (id: string) =>
        withCustomer(db, id, (trx) => query(() => trx.insertInto("customers").values({ id, name: id }).execute()))
      const failed = yield* Effect.exit(insert("failed").pipe(Effect.zipRight(Effect.fail(new Refused()))))
      assert.isTrue(Exit.isFailure(failed))
      const died = yield* Effect.exit(
        withCustomer(db, "died", (trx) =>
          query(() => trx.insertInto("customers").values({ id: "died", name: "x" }).execute()).pipe(
            Effect.zipRight(Effect.die("boom")),
          ),
        ),
      )
      assert.isTrue(Exit.isFailure(died))
      const interrupted = yield* Effect.fork(
        withCustomer(db, "interrupted", (trx) =>
          query(() => trx.insertInto("customers").values({ id: "interrupted", name: "x" }).execute()).pipe(
            Effect.zipRight(Effect.never),
          ),
        ),
      )
      yield* Effect.sleep("200 millis")
      yield* Fiber.interrupt(interrupted)
      const ids = yield* customerIds
      for (const id of ["died", "interrupted"]) assert.notInclude(ids, id)
      // `failed` committed its own transaction before the failure that followed it: that one is kept.
      assert.include(ids, "failed")
    }),
  )

  it.effect("names the customer for its own transaction only: the pooled session forgets it", () =>
    Effect.gen(function* () {
      const db = yield* PgDatabase
      const setting = (executor: typeof db) =>
        query(() =>
          sql<{ customer: string | null }>`select current_setting('app.customer_id', true) as customer`.execute(
            executor,
          ),
        ).pipe(Effect.map((result) => result.rows[0]?.customer ?? null))
      assert.strictEqual(yield* withCustomer(db, "acme", setting), "acme")
      // The pool has one session: the same one, after the transaction, has no customer.
      assert.include(["", null], yield* setting(db))
    }),
  )
})
