import { randomUUID } from "node:crypto"
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { withCustomer } from "../src/CustomerTransaction.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import { type DatabaseError, query } from "../src/DatabaseError.ts"
import { PgDatabase } from "../src/PgDatabase.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

const now = new Date("2026-03-04T05:06:07Z")

/** Two customers, each with a connection, an account, a token, an employee, a sync run and an audit event. */
const arrange = (owner: Kysely<Database>) =>
  Effect.promise(async () => {
    const ids: Record<string, string> = {}
    for (const customer of ["acme", "globex"]) {
      const connection = randomUUID()
      const token = randomUUID()
      ids[customer] = connection
      await owner.insertInto("customers").values({ id: customer, name: customer }).execute()
      await owner
        .insertInto("connections")
        .values({
          id: connection,
          customer_id: customer,
          provider_id: "gusto",
          company_id: `company-of-${customer}`,
          status: "active",
          created_at: now,
          updated_at: now,
        })
        .execute()
      await owner
        .insertInto("access_tokens")
        .values({
          id: token,
          customer_id: customer,
          connection_id: connection,
          account_id: "account-1",
          key_id: "k1",
          nonce: new Uint8Array(12),
          ciphertext: new Uint8Array(32),
          status: "active",
          created_at: now,
        })
        .execute()
      await owner
        .insertInto("connection_accounts")
        .values({
          customer_id: customer,
          connection_id: connection,
          account_id: "account-1",
          token_id: token,
          products: ["directory"],
          status: "connected",
          connected_at: now,
          updated_at: now,
        })
        .execute()
      await owner
        .insertInto("employee_records")
        .values({
          customer_id: customer,
          connection_id: connection,
          individual_id: "ind-1",
          entity_id: null,
          individual: JSON.stringify({ id: "ind-1", first_name: "Ada" }),
          employment: null,
          first_seen_at: now,
          updated_at: now,
        })
        .execute()
      await owner
        .insertInto("sync_runs")
        .values({
          id: randomUUID(),
          customer_id: customer,
          connection_id: connection,
          status: "running",
          started_at: now,
        })
        .execute()
      await owner
        .insertInto("audit_events")
        .values({
          customer_id: customer,
          connection_id: connection,
          kind: "connection_created",
          source: "user",
          occurred_at: now,
        })
        .execute()
    }
    return ids
  })

const tables = [
  "customers",
  "connections",
  "connection_accounts",
  "access_tokens",
  "employee_records",
  "sync_runs",
  "audit_events",
] as const

/** Every row of `table` the session can see, with no `where` at all: a query that forgot its customer filter. */
const everything = (db: Kysely<Database>, table: (typeof tables)[number]) =>
  query(() =>
    sql<{ customer: string }>`select ${sql.ref(table === "customers" ? "id" : "customer_id")} as customer
    from ${sql.table(table)}`.execute(db),
  ).pipe(Effect.map((result) => result.rows.map((row) => row.customer)))

layer(TestDatabase.layerPgDatabase())("row-level security", (it) => {
  it.effect("a query that forgets its customer filter sees only the current customer's rows", () =>
    Effect.gen(function* () {
      const owner = yield* TestDatabase.ownerKysely
      yield* arrange(owner)
      const app = yield* PgDatabase
      for (const table of tables) {
        assert.deepStrictEqual(yield* withCustomer(app, "acme", (trx) => everything(trx, table)), ["acme"], table)
        assert.deepStrictEqual(yield* withCustomer(app, "globex", (trx) => everything(trx, table)), ["globex"], table)
        // No customer named: nothing at all.
        assert.deepStrictEqual(yield* everything(app, table), [], table)
        // The owner (migrations, key rotation) sees both.
        assert.sameMembers(yield* everything(owner, table), ["acme", "globex"], table)
      }
    }).pipe(Effect.scoped),
  )

  it.effect("a customer cannot write rows of another customer, nor move its own rows to one", () =>
    Effect.gen(function* () {
      const app = yield* PgDatabase
      const owner = yield* TestDatabase.ownerKysely
      const { rows } = yield* query(() =>
        sql<{ id: string }>`select id from connections where customer_id = 'globex'`.execute(owner),
      )
      const globexConnection = rows[0]!.id
      const insertAsAcme = yield* Effect.flip(
        withCustomer(app, "acme", (trx) =>
          query(() =>
            trx
              .insertInto("audit_events")
              .values({
                customer_id: "globex",
                connection_id: globexConnection,
                kind: "disconnected",
                source: "user",
                occurred_at: now,
              })
              .execute(),
          ),
        ),
      )
      assert.strictEqual(insertAsAcme.reason, "InsufficientPrivilege")
      const moveToGlobex = yield* Effect.flip(
        withCustomer(app, "acme", (trx) =>
          query(() => trx.updateTable("connections").set({ customer_id: "globex" }).execute()),
        ),
      )
      assert.strictEqual(moveToGlobex.reason, "InsufficientPrivilege")
      const updatedElsewhere = yield* withCustomer(app, "acme", (trx) =>
        query(() =>
          trx.updateTable("connections").set({ status: "disconnected" }).where("id", "=", globexConnection).execute(),
        ),
      )
      assert.strictEqual(updatedElsewhere[0]?.numUpdatedRows, 0n)
    }).pipe(Effect.scoped),
  )

  it.effect(
    "the one window onto other customers is whether they hold a provider+company: a boolean, app role only",
    () =>
      Effect.gen(function* () {
        const app = yield* PgDatabase
        const held = (customer: string, company: string) =>
          withCustomer(app, customer, (trx) =>
            query(() =>
              sql<{
                held: boolean
              }>`select connection_held_by_another_customer('gusto', ${company}, null) as held`.execute(trx),
            ),
          ).pipe(Effect.map((result) => result.rows[0]?.held))
        assert.isTrue(yield* held("acme", "company-of-globex"))
        assert.isFalse(yield* held("acme", "company-of-acme"))
        assert.isFalse(yield* held("acme", "company-of-nobody"))
        const database = yield* TestDatabase.TestDatabase
        const worker = yield* Effect.acquireRelease(
          Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_worker", max: 1 })),
          (db) => Effect.promise(() => db.destroy()),
        )
        const refused = yield* Effect.flip(
          query(() => sql`select connection_held_by_another_customer('gusto', 'x', null)`.execute(worker)),
        )
        assert.strictEqual(refused.reason, "InsufficientPrivilege")
      }).pipe(Effect.scoped),
  )

  it.effect("the application role owns nothing, cannot bypass the policies, and cannot switch them off", () =>
    Effect.gen(function* () {
      const app = yield* PgDatabase
      const { rows } = yield* query(() =>
        sql<{ user: string; bypass: boolean; superuser: boolean }>`select current_user as user,
          (select rolbypassrls from pg_roles where rolname = current_user) as bypass,
          (select rolsuper from pg_roles where rolname = current_user) as superuser`.execute(app),
      )
      assert.deepStrictEqual(rows, [{ user: "finch_app", bypass: false, superuser: false }])
      const disable = yield* Effect.flip(
        query(() => sql`alter table connections disable row level security`.execute(app)),
      )
      assert.strictEqual(disable.reason, "InsufficientPrivilege")
      const bypass = yield* Effect.flip(
        query(() => sql`set row_security = off`.execute(app).then(() => sql`select * from connections`.execute(app))),
      )
      assert.strictEqual(bypass.reason, "InsufficientPrivilege")
    }),
  )

  it.effect("the worker role can read and record sync results, but cannot create connections or touch tokens", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const worker = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_worker", max: 1 })),
        (db) => Effect.promise(() => db.destroy()),
      )
      const asAcme = <A>(run: (trx: Kysely<Database>) => Promise<A>) =>
        withCustomer(worker, "acme", (trx) => query(() => run(trx)))
      const [connection] = yield* asAcme((trx) => trx.selectFrom("connections").selectAll().execute())
      assert.strictEqual(connection?.customer_id, "acme")
      yield* asAcme((trx) =>
        trx.updateTable("connections").set({ status: "reauth_required", reauth_required_at: now }).execute(),
      )
      yield* asAcme((trx) =>
        trx
          .insertInto("audit_events")
          .values({
            customer_id: "acme",
            connection_id: connection!.id,
            kind: "reauth_required",
            source: "finch_401",
            occurred_at: now,
          })
          .execute(),
      )
      const refused: ReadonlyArray<Effect.Effect<unknown, DatabaseError>> = [
        asAcme((trx) =>
          trx
            .insertInto("connections")
            .values({ ...connection!, id: randomUUID(), company_id: "another", entities: "[]" })
            .execute(),
        ),
        asAcme((trx) => trx.updateTable("access_tokens").set({ status: "revoked" }).execute()),
        asAcme((trx) => trx.updateTable("connections").set({ company_id: "moved" }).execute()),
        asAcme((trx) => trx.deleteFrom("audit_events").execute()),
        asAcme((trx) => trx.insertInto("customers").values({ id: "acme2", name: "x" }).execute()),
      ]
      for (const attempt of refused) assert.strictEqual((yield* Effect.flip(attempt)).reason, "InsufficientPrivilege")
    }).pipe(Effect.scoped),
  )
})
