import { assert, layer } from "@effect/vitest"
import { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import { ConnectionId, CustomerId, EntityId } from "@finch-connections/core/Ids"
import { Array as Arr, Effect, FastCheck as fc, Layer, Option, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { withCustomer } from "../src/CustomerTransaction.ts"
import { type Database, makeKysely, poolOf } from "../src/Database.ts"
import * as PgEmployeeStore from "../src/PgEmployeeStore.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { employee, insertConnection } from "./fixtures.ts"

const EmployeeStoreTest = PgEmployeeStore.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 12 })))
const acme = CustomerId.make("acme")

/** A connection's rows as the owner sees them, with the row version (`xmin`, `ctid`) each is stored as. */
const rowsOf = (owner: Kysely<Database>, connection: ConnectionId) =>
  Effect.promise(() =>
    owner
      .selectFrom("employee_records")
      .select([
        "individual_id",
        "content_digest",
        "first_seen_at",
        "updated_at",
        "removed_at",
        "match_first_name",
        "match_last_name",
        "match_dob",
        "match_emails",
        sql<string>`xmin::text`.as("xmin"),
        sql<string>`ctid::text`.as("ctid"),
      ])
      .where("connection_id", "=", connection)
      .orderBy("individual_id")
      .execute(),
  )

layer(EmployeeStoreTest, { timeout: 120_000 })("PgEmployeeStore", (it) => {
  it.effect("adds, updates, keeps and removes records, and lists only the current ones", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const first = Arr.range(1, 4).map((n) => employee(connection, n))
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, first), {
        added: 4,
        updated: 0,
        removed: 0,
        unchanged: 0,
      })
      const second = [
        employee(connection, 1),
        employee(connection, 2, { title: "Manager" }),
        employee(connection, 3, { firstName: "Renamed" }),
        employee(connection, 5),
      ]
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, second), {
        added: 1,
        updated: 2,
        removed: 1,
        unchanged: 1,
      })
      assert.deepStrictEqual(yield* store.listByConnection(acme, connection), second)
      // Someone removed and back again counts as added; a repeated snapshot changes nothing.
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, [...second, employee(connection, 4)]), {
        added: 1,
        updated: 0,
        removed: 0,
        unchanged: 4,
      })
      assert.strictEqual((yield* store.listByCustomer(acme)).length, 5)
    }).pipe(Effect.scoped),
  )

  it.effect("keeps first_seen, stamps removed_at, and derives the matching columns", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const owner = yield* TestDatabase.ownerKysely
      const connection = yield* insertConnection(owner, acme)
      yield* store.replaceSnapshot(acme, connection, [employee(connection, 1), employee(connection, 2)])
      const before = yield* rowsOf(owner, connection)
      yield* store.replaceSnapshot(acme, connection, [employee(connection, 1)])
      const after = yield* rowsOf(owner, connection)
      assert.deepStrictEqual(
        after.map((row) => row.first_seen_at),
        before.map((row) => row.first_seen_at),
      )
      assert.isNull(after[0]!.removed_at)
      assert.isNotNull(after[1]!.removed_at)
      assert.isTrue(after[1]!.updated_at > before[1]!.updated_at)
      assert.deepStrictEqual(
        {
          first: after[0]!.match_first_name,
          last: after[0]!.match_last_name,
          dob: after[0]!.match_dob,
          emails: after[0]!.match_emails,
        },
        { first: "first1", last: "last1", dob: "1990-01-15", emails: ["person.1@example.com"] },
      )
    }).pipe(Effect.scoped),
  )

  it.effect("an unchanged re-sync writes no row at all", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const owner = yield* TestDatabase.ownerKysely
      const connection = yield* insertConnection(owner, acme)
      const records = Arr.range(1, 50).map((n) => employee(connection, n))
      yield* store.replaceSnapshot(acme, connection, records)
      const before = yield* rowsOf(owner, connection)
      assert.isTrue(before.every((row) => /^[0-9a-f]{64}$/.test(row.content_digest ?? "")))
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, records), {
        added: 0,
        updated: 0,
        removed: 0,
        unchanged: 50,
      })
      // the same row versions: same transaction id (xmin) and place (ctid), so no new tuple was made
      assert.deepStrictEqual(yield* rowsOf(owner, connection), before)
    }).pipe(Effect.scoped),
  )

  it.effect("detects a change to the individual, the employment or only the entity id, and rewrites only those", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const owner = yield* TestDatabase.ownerKysely
      const connection = yield* insertConnection(owner, acme)
      yield* store.replaceSnapshot(
        acme,
        connection,
        Arr.range(1, 5).map((n) => employee(connection, n)),
      )
      const before = yield* rowsOf(owner, connection)
      const next = [
        employee(connection, 1),
        employee(connection, 2, { firstName: "Renamed" }),
        employee(connection, 3, { title: "Manager" }),
        { ...employee(connection, 4), entityId: Option.some(EntityId.make("entity-2")) },
        { ...employee(connection, 5), employment: Option.none() },
      ]
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, next), {
        added: 0,
        updated: 4,
        removed: 0,
        unchanged: 1,
      })
      assert.deepStrictEqual(yield* store.listByConnection(acme, connection), next)
      const after = yield* rowsOf(owner, connection)
      assert.deepStrictEqual(after[0], before[0])
      for (const i of [1, 2, 3, 4]) {
        assert.notStrictEqual(after[i]!.xmin, before[i]!.xmin)
        assert.notStrictEqual(after[i]!.content_digest, before[i]!.content_digest)
        assert.isTrue(after[i]!.updated_at > before[i]!.updated_at)
        assert.deepStrictEqual(after[i]!.first_seen_at, before[i]!.first_seen_at)
      }
      // and back: each change is seen again, the entity id and the employment restored included
      assert.deepStrictEqual(
        yield* store.replaceSnapshot(
          acme,
          connection,
          Arr.range(1, 5).map((n) => employee(connection, n)),
        ),
        { added: 0, updated: 4, removed: 0, unchanged: 1 },
      )
    }).pipe(Effect.scoped),
  )

  it.effect("compares rows without a digest (written before 0014) by content, then stores their digest", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const owner = yield* TestDatabase.ownerKysely
      const connection = yield* insertConnection(owner, acme)
      const records = Arr.range(1, 3).map((n) => employee(connection, n))
      yield* store.replaceSnapshot(acme, connection, records)
      yield* Effect.promise(() =>
        owner
          .updateTable("employee_records")
          .set({ content_digest: null })
          .where("connection_id", "=", connection)
          .execute(),
      )
      const undigested = yield* rowsOf(owner, connection)
      const changed = [employee(connection, 1), employee(connection, 2), employee(connection, 3, { title: "Lead" })]
      assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, changed), {
        added: 0,
        updated: 1,
        removed: 0,
        unchanged: 2,
      })
      const digested = yield* rowsOf(owner, connection)
      assert.isTrue(digested.every((row) => row.content_digest !== null))
      // an unchanged record keeps its updated_at even though its row was written once to store the digest
      assert.deepStrictEqual(
        digested.slice(0, 2).map((row) => row.updated_at),
        undigested.slice(0, 2).map((row) => row.updated_at),
      )
      assert.isTrue(digested[2]!.updated_at > undigested[2]!.updated_at)
      assert.deepStrictEqual((yield* store.replaceSnapshot(acme, connection, changed)).unchanged, 3)
      assert.deepStrictEqual(yield* rowsOf(owner, connection), digested)
    }).pipe(Effect.scoped),
  )

  it.effect("keeps the last record of an individual listed twice", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const twice = [employee(connection, 1), employee(connection, 1, { title: "Director" })]
      assert.strictEqual((yield* store.replaceSnapshot(acme, connection, twice)).added, 1)
      const [stored] = yield* store.listByConnection(acme, connection)
      assert.strictEqual(Option.getOrThrow(stored!.employment).title, "Director")
    }).pipe(Effect.scoped),
  )

  it.effect("treats another customer's connection as unknown, and lists nothing of it", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const globex = CustomerId.make("globex")
      const theirs = yield* insertConnection(yield* TestDatabase.ownerKysely, globex)
      yield* store.replaceSnapshot(globex, theirs, [employee(theirs, 1)])
      const writing = yield* Effect.flip(store.replaceSnapshot(acme, theirs, [employee(theirs, 2)]))
      assert.deepStrictEqual(
        [writing._tag, writing.customerId, writing.connectionId],
        ["ConnectionNotFound", "acme", theirs],
      )
      assert.strictEqual((yield* Effect.flip(store.listByConnection(acme, theirs)))._tag, "ConnectionNotFound")
      assert.isFalse((yield* store.listByCustomer(acme)).some((record) => record.connectionId === theirs))
      const unknown = ConnectionId.make("00000000-0000-4000-8000-000000000000")
      assert.strictEqual((yield* Effect.flip(store.listByConnection(acme, unknown)))._tag, "ConnectionNotFound")
    }).pipe(Effect.scoped),
  )

  it.effect("the worker role, which runs syncs, can swap and read snapshots", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const worker = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_worker", max: 1 })),
        (db) => Effect.promise(() => db.destroy()),
      )
      const store = PgEmployeeStore.make({ db: worker })
      const records = [employee(connection, 1), employee(connection, 2)]
      assert.strictEqual((yield* store.replaceSnapshot(acme, connection, records)).added, 2)
      assert.deepStrictEqual(yield* store.listByConnection(acme, connection), records)
    }).pipe(Effect.scoped),
  )

  it.effect("writes 10,000 employees with one COPY and one statement", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const statements: Array<string> = []
      const counted = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_app" })),
        (db) => Effect.promise(() => db.destroy()),
      )
      // every statement any session of the pool sends, COPY included
      poolOf(counted)?.on("connect", (client) => {
        const send = client.query.bind(client) as (...args: Array<unknown>) => unknown
        ;(client as { query: unknown }).query = (...args: Array<unknown>) => {
          const first = args[0] as string | { readonly text?: string }
          statements.push(typeof first === "string" ? first : (first.text ?? ""))
          return send(...args)
        }
      })
      const records = Arr.range(1, 10_000).map((n) => employee(connection, n))
      const summary = yield* PgEmployeeStore.make({ db: counted }).replaceSnapshot(acme, connection, records)
      assert.deepStrictEqual(summary, { added: 10_000, updated: 0, removed: 0, unchanged: 0 })
      // begin, set the customer, lock the connection, the staging table, the COPY, the merge, commit
      assert.strictEqual(statements.filter((text) => text.startsWith("copy snapshot_input")).length, 1)
      assert.strictEqual(statements.filter((text) => text.includes("insert into employee_records")).length, 1)
      assert.isAtMost(statements.length, 7)
      assert.strictEqual((yield* (yield* EmployeeStore).listByConnection(acme, connection)).length, 10_000)
    }).pipe(Effect.scoped),
  )

  it.effect("never shows a reader half a sync while snapshots are swapped concurrently", () =>
    Effect.gen(function* () {
      const store = yield* EmployeeStore
      const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
      const snapshotA = Arr.range(1, 1_500).map((n) => employee(connection, n))
      const snapshotB = Arr.range(1_001, 2_500).map((n) => employee(connection, n, { title: "B" }))
      const key = (records: ReadonlyArray<{ individualId: string; employment: Option.Option<{ title?: unknown }> }>) =>
        records.map((r) => `${r.individualId}:${Option.getOrThrow(r.employment).title}`).join(",")
      const allowed = new Set([key(snapshotA), key(snapshotB)])
      yield* store.replaceSnapshot(acme, connection, snapshotA)
      const writers = Effect.forEach(Arr.range(1, 8), (n) =>
        store.replaceSnapshot(acme, connection, n % 2 === 0 ? snapshotA : snapshotB),
      )
      const readers = Effect.forEach(Arr.range(1, 30), () => store.listByConnection(acme, connection), {
        concurrency: 4,
      })
      const [, seen] = yield* Effect.all([writers, readers], { concurrency: "unbounded" })
      for (const records of seen) assert.isTrue(allowed.has(key(records)), `a reader saw ${records.length} records`)
      // The same through a session that forgot nothing but raced on the lock: both snapshots landed whole.
      const db = yield* TestDatabase.ownerKysely
      const current = yield* withCustomer(db, acme, (trx) =>
        Effect.promise(() =>
          trx
            .selectFrom("employee_records")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .where("connection_id", "=", connection)
            .where("removed_at", "is", null)
            .executeTakeFirstOrThrow(),
        ),
      )
      assert.strictEqual(Number(current.n), 1_500)
    }).pipe(Effect.scoped),
  )

  // Each snapshot lists individuals by number, each in one of three versions (its title); a model says what changed.
  const snapshots = fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 2 }))), {
    minLength: 1,
    maxLength: 5,
  })

  it.effect.prop(
    "the summary of every swap agrees with a model of the snapshots, and the listing is the last snapshot",
    [snapshots],
    ([sequence]) =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const connection = yield* insertConnection(yield* TestDatabase.ownerKysely, acme)
        let current = new Map<number, number>()
        for (const listed of sequence) {
          const next = new Map(listed)
          const expected = {
            added: [...next.keys()].filter((n) => !current.has(n)).length,
            updated: [...next].filter(([n, version]) => current.has(n) && current.get(n) !== version).length,
            removed: [...current.keys()].filter((n) => !next.has(n)).length,
            unchanged: [...next].filter(([n, version]) => current.get(n) === version).length,
          }
          const records = listed.map(([n, version]) => employee(connection, n, { title: `v${version}` }))
          assert.deepStrictEqual(yield* store.replaceSnapshot(acme, connection, records), expected)
          current = next
        }
        const stored = yield* store.listByConnection(acme, connection)
        assert.deepStrictEqual(
          stored.map((record) => `${record.individualId}:${Option.getOrThrow(record.employment).title}`),
          [...current]
            .sort(([a], [b]) => a - b)
            .map(([n, version]) => `${employee(connection, n).individualId}:v${version}`),
        )
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 25 } },
  )
})
