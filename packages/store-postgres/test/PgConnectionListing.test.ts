import { assert, layer } from "@effect/vitest"
import { ConnectionListing } from "@finch-connections/core/ConnectionListing"
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { SyncId } from "@finch-connections/core/SyncQueue"
import { Effect, Layer, Option, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { type Database, makeKysely, type SyncRunRow } from "../src/Database.ts"
import * as PgConnectionListing from "../src/PgConnectionListing.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { insertConnection } from "./fixtures.ts"

// Sessions as finch_app: row-level security decides what each customer sees.
const ListingTest = PgConnectionListing.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 2 })))
const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

/** A node of `EXPLAIN (FORMAT JSON)`, with the fields read here. */
interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly "Actual Rows": number
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodesOf = (node: PlanNode): ReadonlyArray<PlanNode> => [node, ...(node.Plans ?? []).flatMap(nodesOf)]

const at = (minute: number) => new Date(Date.UTC(2026, 1, 3, 4, minute))

/** Inserts one run of acme's `connectionId` (as the owner) and returns its id. */
const insertRun = (
  owner: Kysely<Database>,
  connectionId: string,
  run: Pick<SyncRunRow, "status" | "requested_at" | "started_at" | "finished_at"> & { readonly retry_at?: Date },
) =>
  Effect.promise(async () => {
    const id = crypto.randomUUID()
    await owner
      .insertInto("sync_runs")
      .values({ id, customer_id: "acme", connection_id: connectionId, ...run })
      .execute()
    return SyncId.make(id)
  })

layer(ListingTest, { timeout: 60_000, excludeTestServices: true })("PgConnectionListing", (it) => {
  it.scoped("lists the customer's connections newest first, with accounts and syncs, and nobody else's", () =>
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
      // An older ended run, the newest ended one, one running and one sent back to wait after a deferral.
      yield* insertRun(owner, older, { status: "failed", requested_at: at(1), started_at: at(1), finished_at: at(2) })
      const ended = yield* insertRun(owner, older, {
        status: "succeeded",
        requested_at: at(3),
        started_at: new Date("2026-02-03T04:05:06.789Z"),
        finished_at: at(6),
      })
      const running = yield* insertRun(owner, older, {
        status: "running",
        requested_at: at(7),
        started_at: at(8),
        finished_at: null,
      })
      const deferred = yield* insertRun(owner, older, {
        status: "queued",
        requested_at: at(9),
        started_at: at(10),
        finished_at: null,
        retry_at: at(20),
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
          id: ended,
          status: "succeeded" as const,
          requestedAt: at(3),
          startedAt: Option.some(new Date("2026-02-03T04:05:06.789Z")),
          finishedAt: at(6),
        }),
      )
      assert.deepStrictEqual(
        first.runningSync,
        Option.some({
          id: running,
          status: "running" as const,
          requestedAt: at(7),
          startedAt: Option.some(at(8)),
          retryAt: Option.none(),
        }),
      )
      assert.deepStrictEqual(
        first.queuedSync,
        Option.some({
          id: deferred,
          status: "queued" as const,
          requestedAt: at(9),
          startedAt: Option.some(at(10)),
          retryAt: Option.some(at(20)),
        }),
      )
      const never = listed[0]!
      assert.isTrue(
        Option.isNone(never.lastSync) && Option.isNone(never.runningSync) && Option.isNone(never.queuedSync),
      )
      assert.deepStrictEqual(never.connection.accounts, [])

      const one = yield* listing.get(acme, older)
      assert.deepStrictEqual(one.connection.accounts, first.connection.accounts)
      assert.deepStrictEqual(
        [one.lastSync, one.runningSync, one.queuedSync],
        [first.lastSync, first.runningSync, first.queuedSync],
      )

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

  it.scoped("finds the newest ended sync of a long history, a queued one beside it, in one index walk each", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      const listing = yield* ConnectionListing
      const connection = yield* insertConnection(owner, "acme")
      yield* Effect.promise(() =>
        sql`INSERT INTO sync_runs (id, customer_id, connection_id, status, requested_at, started_at, finished_at)
          SELECT gen_random_uuid(), 'acme', ${connection}::uuid, 'succeeded', t, t, t + interval '1 minute'
          FROM generate_series(timestamptz '2025-01-01', timestamptz '2025-01-01' + interval '999 hours',
            interval '1 hour') AS t`.execute(owner),
      )
      const newestEnded = yield* insertRun(owner, connection, {
        status: "partial",
        requested_at: new Date("2025-03-01T00:00:00Z"),
        started_at: new Date("2025-03-01T00:00:00Z"),
        finished_at: new Date("2025-03-01T00:01:00Z"),
      })
      const queued = yield* insertRun(owner, connection, {
        status: "queued",
        requested_at: new Date("2025-03-02T00:00:00Z"),
        started_at: null,
        finished_at: null,
      })
      yield* Effect.promise(() => sql`ANALYZE sync_runs`.execute(owner))

      const one = yield* listing.get(acme, connection)
      assert.deepStrictEqual(
        Option.map(one.lastSync, (sync) => [sync.id, sync.status]),
        Option.some([newestEnded, "partial"]),
      )
      assert.deepStrictEqual(
        Option.map(one.queuedSync, (sync) => [sync.id, sync.status, Option.isNone(sync.startedAt)]),
        Option.some([queued, "queued", true]),
      )
      assert.isTrue(Option.isNone(one.runningSync))

      // The ended lateral as migration 0033 writes it: it reads the newest index entries, not the whole history.
      const plan = yield* Effect.promise(() =>
        sql<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>`EXPLAIN (ANALYZE, FORMAT JSON)
          SELECT r.id FROM sync_runs r WHERE r.connection_id = ${connection}::uuid AND r.finished_at IS NOT NULL
          ORDER BY r.requested_at DESC LIMIT 1`.execute(owner),
      )
      const scans = nodesOf(plan.rows[0]!["QUERY PLAN"][0]!.Plan).filter(
        (node) => node["Relation Name"] === "sync_runs",
      )
      assert.deepStrictEqual(
        scans.map((node) => [node["Node Type"], node["Index Name"], node["Actual Rows"]]),
        [["Index Scan", "sync_runs_connection_requested_idx", 1]],
      )
    }),
  )
})
