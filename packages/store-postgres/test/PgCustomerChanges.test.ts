import { assert, layer } from "@effect/vitest"
import { type CustomerChange, CustomerChanges } from "@finch-connections/core/CustomerChanges"
import { Effect, Layer, Queue, Stream } from "effect"
import { sql } from "kysely"
import * as PgCustomerChanges from "../src/PgCustomerChanges.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { insertConnection } from "./fixtures.ts"

// The listening session as the API opens it: like the pool's sessions (finch_app), apart from the pool.
const ChangesTest = PgCustomerChanges.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 2 })))

/** Subscribes for the rest of the scope: a queue of what is heard. */
const heard = Effect.gen(function* () {
  const { changes } = yield* CustomerChanges
  const queue = yield* Queue.unbounded<CustomerChange>()
  yield* Effect.forkScoped(Stream.runForEach(changes, (change) => Queue.offer(queue, change)))
  return queue
})

/** Takes what is heard until `wanted` is (failing the test after ~10 s); everything taken, in order. */
const until = (queue: Queue.Queue<CustomerChange>, wanted: (change: CustomerChange) => boolean) =>
  Effect.gen(function* () {
    const taken: Array<CustomerChange> = []
    for (;;) {
      const change = yield* Queue.take(queue)
      taken.push(change)
      if (wanted(change)) return taken
    }
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("not heard in time") }))

const watching = (change: CustomerChange) => change._tag === "Watching"
const changedFor = (customerId: string) => (change: CustomerChange) =>
  change._tag === "Changed" && change.customerId === customerId

layer(ChangesTest, { timeout: 60_000, excludeTestServices: true })("PgCustomerChanges", (it) => {
  it.scoped("announces each customer whose connections, accounts or syncs change, once per transaction", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      const queue = yield* heard
      yield* until(queue, watching)
      // What is heard between now and a marker customer inserted next (a customer row announces itself).
      let markers = 0
      const heardUntilMarker = Effect.gen(function* () {
        const marker = `marker-${++markers}`
        yield* Effect.promise(() => owner.insertInto("customers").values({ id: marker, name: marker }).execute())
        const taken = yield* until(queue, changedFor(marker))
        return taken.slice(0, -1).map((change) => (change._tag === "Changed" ? change.customerId : change._tag))
      })
      const connectionId = yield* insertConnection(owner, "acme")
      const globexConnection = yield* insertConnection(owner, "globex")
      const inserted = yield* heardUntilMarker
      assert.includeMembers(inserted, ["acme", "globex"])
      // Rows of two customers, one of them updated twice, in one transaction: each customer once.
      yield* Effect.promise(() =>
        owner.transaction().execute(async (trx) => {
          await trx.updateTable("connections").set({ updated_at: new Date() }).where("id", "=", connectionId).execute()
          await trx
            .updateTable("connections")
            .set({ updated_at: new Date(1) })
            .where("id", "=", connectionId)
            .execute()
          await trx
            .updateTable("connections")
            .set({ updated_at: new Date() })
            .where("id", "=", globexConnection)
            .execute()
        }),
      )
      assert.sameMembers(yield* heardUntilMarker, ["acme", "globex"])
      // An update that changes nothing announces nothing; a new sync run does (once).
      yield* Effect.promise(() =>
        sql`update connections set provider_id = provider_id where id = ${connectionId}`.execute(owner),
      )
      yield* Effect.promise(() =>
        sql`insert into sync_runs (id, customer_id, connection_id, status, reason)
          values (gen_random_uuid(), 'acme', ${connectionId}, 'queued', 'api')`.execute(owner),
      )
      assert.deepStrictEqual(yield* heardUntilMarker, ["acme"])
      // Emptying a table names nobody: every customer changed.
      yield* Effect.promise(() => sql`truncate sync_runs`.execute(owner))
      yield* until(queue, (change) => change._tag === "EveryoneChanged")
    }),
  )

  it.scoped("says Blind when its session is lost, then Watching again once it listens anew", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      const queue = yield* heard
      yield* until(queue, watching)
      const ended = yield* Effect.promise(() =>
        sql<{ ended: boolean }>`select pg_terminate_backend(pid) as ended from pg_stat_activity
          where application_name = ${PgCustomerChanges.applicationName} and datname = current_database()`.execute(
          owner,
        ),
      )
      assert.deepStrictEqual(
        ended.rows.map((row) => row.ended),
        [true],
      )
      yield* until(queue, (change) => change._tag === "Blind")
      yield* until(queue, watching)
      // And it hears changes again.
      yield* insertConnection(owner, "initech")
      yield* until(queue, changedFor("initech"))
    }),
  )
})
