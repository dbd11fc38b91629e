import { assert, layer } from "@effect/vitest"
import { ConnectionListing } from "@finch-connections/core/ConnectionListing"
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Effect, Layer, Option, Redacted } from "effect"
import { sql } from "kysely"
import { type Database, makeKysely } from "../src/Database.ts"
import * as PgConnectionListing from "../src/PgConnectionListing.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { insertConnection } from "./fixtures.ts"

// Sessions as finch_app: row-level security decides what each customer sees.
const ListingTest = PgConnectionListing.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 2 })))
const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

layer(ListingTest, { timeout: 60_000, excludeTestServices: true })("PgConnectionListing", (it) => {
  it.scoped("lists the customer's connections newest first, with accounts and last syncs, and nobody else's", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      const listing = yield* ConnectionListing
      const older = yield* insertConnection(owner, "acme")
      const newer = yield* insertConnection(owner, "acme")
      const theirs = yield* insertConnection(owner, "globex")
      yield* Effect.promise(async () => {
        await owner
          .updateTable("connections")
          .set({ created_at: new Date("2026-01-01T00:00:00Z") })
          .where("id", "=", older)
          .execute()
        await owner
          .updateTable("connections")
          .set({
            last_sync_started_at: new Date("2026-02-03T04:05:06.789Z"),
            last_sync_finished_at: new Date("2026-02-03T04:06:00Z"),
            last_sync_status: "succeeded",
          })
          .where("id", "=", older)
          .execute()
        const tokenId = crypto.randomUUID()
        await owner
          .insertInto("access_tokens")
          .values({
            id: tokenId,
            customer_id: "acme",
            connection_id: older,
            account_id: "acct-1",
            key_id: null,
            nonce: null,
            ciphertext: null,
            status: "destroyed",
            created_at: new Date("2026-01-01T00:00:00Z"),
            retired_at: new Date("2026-01-01T00:00:00Z"),
          })
          .execute()
        await owner
          .insertInto("connection_accounts")
          .values([
            {
              customer_id: "acme",
              connection_id: older,
              account_id: "acct-1",
              finch_connection_id: "fc-1",
              token_id: tokenId,
              products: ["directory"],
              entity_ids: [],
              status: "connected",
              connected_at: new Date("2026-01-01T00:00:00Z"),
              updated_at: new Date("2026-01-01T00:00:00Z"),
            },
          ])
          .execute()
      })

      const listed = yield* listing.list(acme)
      assert.deepStrictEqual(
        listed.map((item) => item.connection.id),
        [newer, older],
      )
      const first = listed[1]!
      assert.strictEqual(first.connection.customerId, acme)
      assert.deepStrictEqual(
        first.connection.accounts.map((account) => `${account.accountId} ${account.status} ${account.products.join()}`),
        ["acct-1 connected directory"],
      )
      assert.strictEqual(first.connection.status, "active")
      assert.deepStrictEqual(first.connection.createdAt, new Date("2026-01-01T00:00:00Z"))
      assert.deepStrictEqual(
        first.lastSync,
        Option.some({
          startedAt: new Date("2026-02-03T04:05:06.789Z"),
          finishedAt: Option.some(new Date("2026-02-03T04:06:00Z")),
          status: "succeeded" as const,
        }),
      )
      assert.isTrue(Option.isNone(listed[0]!.lastSync))
      assert.deepStrictEqual(listed[0]!.connection.accounts, [])

      const one = yield* listing.get(acme, older)
      assert.deepStrictEqual(one.connection.accounts, first.connection.accounts)
      assert.deepStrictEqual(one.lastSync, first.lastSync)

      // Another customer's connection is not there, exactly like an unknown one.
      const foreign = yield* Effect.flip(listing.get(acme, theirs))
      const unknown = yield* Effect.flip(listing.get(acme, ConnectionId.make("00000000-0000-4000-8000-000000000000")))
      assert.strictEqual(foreign._tag, "ConnectionNotFound")
      assert.strictEqual(unknown._tag, "ConnectionNotFound")
      assert.deepStrictEqual(
        (yield* listing.list(globex)).map((item) => item.connection.id),
        [theirs],
      )
    }),
  )

  it.scoped("a customer without connections lists none; an unknown customer is CustomerNotFound", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      const listing = yield* ConnectionListing
      yield* Effect.promise(() => owner.insertInto("customers").values({ id: "initech", name: "Initech" }).execute())
      assert.deepStrictEqual(yield* listing.list(CustomerId.make("initech")), [])
      const missing = yield* Effect.flip(listing.list(CustomerId.make("nobody")))
      assert.strictEqual(missing._tag, "CustomerNotFound")
      // The customer named for a read is not left on the session for the next query to use.
      const database = yield* TestDatabase.TestDatabase
      const single = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_app", max: 1 })),
        (db) => Effect.promise(() => db.destroy()),
      )
      yield* PgConnectionListing.make({ db: single }).list(CustomerId.make("initech"))
      const left = yield* Effect.promise(() =>
        sql<{ setting: string | null }>`select current_setting('app.customer_id', true) as setting`.execute(single),
      )
      assert.include(["", null], left.rows[0]?.setting)
    }),
  )
})
