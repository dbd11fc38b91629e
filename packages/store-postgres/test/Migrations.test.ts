import { randomBytes, randomUUID } from "node:crypto"
import { Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import { Migrator } from "kysely/migration"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeKysely } from "../src/Database.ts"
import { withDatabase } from "../src/DatabaseServer.ts"
import { adminQuery } from "../src/internal/adminQuery.ts"
import { migrateToLatest, migrations } from "../src/Migrations.ts"
import * as DropConnectionLastSync from "../src/migrations/0017_drop_connection_last_sync.ts"
import * as SettleFinchRateSlots from "../src/migrations/0024_settle_finch_rate_slots.ts"

const customerOwnedTables = ["customers", "connections", "connection_accounts", "access_tokens", "employee_records"]
  .concat(["sync_runs", "audit_events"])
  .concat(["persons", "person_links", "person_aliases", "person_splits", "person_decisions", "person_runs"])
  .concat(["finch_webhook_events", "connect_states"])
  .sort()

const connectionId = randomUUID()

describe("the migrations", () => {
  const { serverUrl } = inject("testDatabase")
  const name = `fc_test_empty_${randomBytes(6).toString("hex")}`
  let db: Kysely<any>

  beforeAll(async () => {
    await adminQuery(serverUrl, `CREATE DATABASE "${name}"`)
    db = makeKysely<any>(Redacted.value(withDatabase(Redacted.make(serverUrl), name)), { max: 2 })
  })
  afterAll(async () => {
    await db.destroy()
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  })

  it("run on an empty database, then again as a no-op", async () => {
    expect(await migrateToLatest(db)).toEqual(Object.keys(migrations))
    expect(await migrateToLatest(db)).toEqual([])
  })

  it("create every table with its keys", async () => {
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_name not like 'kysely%' order by table_name`.execute(db)
    expect(tables.map((row) => row.table_name)).toEqual(customerOwnedTables)

    const { rows: constraints } = await sql<{ name: string; definition: string }>`
      select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
      where connamespace = 'public'::regnamespace and contype in ('u', 'f', 'p') order by conname`.execute(db)
    const definitions = Object.fromEntries(constraints.map((row) => [row.name, row.definition]))
    expect(definitions["connections_customer_provider_company_key"]).toBe(
      "UNIQUE (customer_id, provider_id, company_id)",
    )
    expect(definitions["connection_accounts_pkey"]).toBe("PRIMARY KEY (connection_id, account_id)")
    expect(definitions["access_tokens_connection_fkey"]).toBe(
      "FOREIGN KEY (customer_id, connection_id) REFERENCES connections(customer_id, id)",
    )

    const { rows: indexes } = await sql<{ name: string; definition: string }>`
      select indexname as name, indexdef as definition from pg_indexes where schemaname = 'public'`.execute(db)
    const index = (indexName: string) => indexes.find((row) => row.name === indexName)?.definition
    // Only live connections hold their provider+company: a disconnected company can be connected by another customer.
    expect(index("connections_live_provider_company_key")).toMatch(
      /UNIQUE INDEX .* \(provider_id, company_id\) WHERE \(status <> 'disconnected'::text\)/,
    )
    expect(index("connection_accounts_finch_connection_idx")).toMatch(/\(finch_connection_id\)/)
    expect(index("access_tokens_one_active_per_account")).toMatch(
      /UNIQUE INDEX .* \(connection_id, account_id\) WHERE \(status = 'active'::text\)/,
    )
  })

  it("derive the matching columns of employee records from their JSON", async () => {
    const { rows: columns } = await sql<{ column_name: string; is_generated: string }>`
      select column_name, is_generated from information_schema.columns
      where table_name = 'employee_records' and column_name like 'match_%' order by column_name`.execute(db)
    expect(columns).toEqual([
      { column_name: "match_dob", is_generated: "ALWAYS" },
      { column_name: "match_emails", is_generated: "ALWAYS" },
      { column_name: "match_first_name", is_generated: "ALWAYS" },
      { column_name: "match_last_name", is_generated: "ALWAYS" },
    ])
  })

  it("turn on row-level security on every customer-owned table, forced on the owner too, with a policy for both roles and the owner's", async () => {
    const { rows } = await sql<{
      relname: string
      relrowsecurity: boolean
      relforcerowsecurity: boolean
      roles: string
    }>`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
        (select string_agg(r.rolname, ',' order by r.rolname)
         from pg_policy p cross join unnest(p.polroles) as role_oid join pg_roles r on r.oid = role_oid
         where p.polrelid = c.oid) as roles
      from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
        and c.relname not like 'kysely%' order by c.relname`.execute(db)
    const { rows: owner } = await sql<{ name: string }>`select current_user as name`.execute(db)
    const roles = ["finch_app", "finch_worker", owner[0]!.name].sort().join(",")
    expect(rows).toEqual(
      customerOwnedTables.map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: true, roles })),
    )
  })

  it("can be run by an owner login without CREATEROLE once the roles exist; that owner sees rows only when it asks", async () => {
    const owner = `fc_test_owner_${randomBytes(6).toString("hex")}`
    const password = randomBytes(12).toString("hex")
    const database = `${name}_owned`
    await adminQuery(
      serverUrl,
      `CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`,
    )
    try {
      await adminQuery(serverUrl, `CREATE DATABASE "${database}" OWNER ${owner}`)
      const url = new URL(Redacted.value(withDatabase(Redacted.make(serverUrl), database)))
      url.username = owner
      url.password = password
      const asOwner = makeKysely<any>(url.toString(), { max: 1 })
      const acrossCustomers = makeKysely<any>(url.toString(), { max: 1, acrossCustomers: true })
      try {
        const { rows: attributes } = await sql<{ super: boolean; createrole: boolean }>`
          select rolsuper as super, rolcreaterole as createrole from pg_roles where rolname = current_user`.execute(
          asOwner,
        )
        expect(attributes).toEqual([{ super: false, createrole: false }])
        expect(await migrateToLatest(asOwner)).toEqual(Object.keys(migrations))
        await acrossCustomers.insertInto("customers").values({ id: "acme", name: "Acme" }).execute()
        await acrossCustomers.insertInto("customers").values({ id: "globex", name: "Globex" }).execute()
        // Row-level security is forced on the owner: a session that names no customer sees none.
        expect(await asOwner.selectFrom("customers").select("id").execute()).toEqual([])
        const named = await asOwner.transaction().execute(async (trx) => {
          await sql`select set_config('app.customer_id', 'acme', true)`.execute(trx)
          return trx.selectFrom("customers").select("id").execute()
        })
        expect(named).toEqual([{ id: "acme" }])
        const all = await acrossCustomers.selectFrom("customers").select("id").orderBy("id").execute()
        expect(all).toEqual([{ id: "acme" }, { id: "globex" }])
        // The security-definer check runs as this owner, bound by its policy too, and still sees across customers.
        const now = new Date()
        await acrossCustomers
          .insertInto("connections")
          .values({
            id: randomUUID(),
            customer_id: "globex",
            provider_id: "gusto",
            company_id: "c-globex",
            status: "active",
            created_at: now,
            updated_at: now,
          })
          .execute()
        const app = makeKysely<any>(Redacted.value(withDatabase(Redacted.make(serverUrl), database)), {
          max: 1,
          role: "finch_app",
        })
        try {
          const held = await app.transaction().execute(async (trx) => {
            await sql`select set_config('app.customer_id', 'acme', true)`.execute(trx)
            const { rows } = await sql<{ held: boolean; all: string | null }>`
              select connection_held_by_another_customer('gusto', 'c-globex', null) as held,
                current_setting('app.all_customers', true) as all`.execute(trx)
            return rows[0]
          })
          expect(held).toEqual({ held: true, all: "" })
        } finally {
          await app.destroy()
        }
      } finally {
        await asOwner.destroy()
        await acrossCustomers.destroy()
      }
    } finally {
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
      await adminQuery(serverUrl, `DROP ROLE IF EXISTS ${owner}`)
    }
  })

  it("create application roles that own nothing and cannot bypass row-level security", async () => {
    const { rows } = await sql<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; owns: boolean }>`
      select rolname, rolsuper, rolbypassrls,
        exists (select 1 from pg_class c where c.relowner = r.oid and c.relnamespace = 'public'::regnamespace) as owns
      from pg_roles r where rolname in ('finch_app', 'finch_worker') order by rolname`.execute(db)
    expect(rows).toEqual([
      { rolname: "finch_app", rolsuper: false, rolbypassrls: false, owns: false },
      { rolname: "finch_worker", rolsuper: false, rolbypassrls: false, owns: false },
    ])
  })

  it("can run concurrently in several databases of one server (roles are shared)", async () => {
    const names = [0, 1, 2].map((i) => `${name}_${i}`)
    await Promise.all(names.map((database) => adminQuery(serverUrl, `CREATE DATABASE "${database}"`)))
    try {
      const results = await Promise.all(
        names.map(async (database) => {
          const other = makeKysely<any>(Redacted.value(withDatabase(Redacted.make(serverUrl), database)), { max: 1 })
          try {
            return await migrateToLatest(other)
          } finally {
            await other.destroy()
          }
        }),
      )
      for (const applied of results) expect(applied).toEqual(Object.keys(migrations))
    } finally {
      await Promise.all(names.map((database) => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${database}"`)))
    }
  })

  it("drop the connections' last-sync columns (0017), named by no function or view; down refills them from sync_runs", async () => {
    // An owner that is no superuser, so forced row-level security binds the backfill as it does in production.
    const owner = `fc_test_owner_${randomBytes(6).toString("hex")}`
    const password = randomBytes(12).toString("hex")
    const database = `${name}_last_sync`
    await adminQuery(
      serverUrl,
      `CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`,
    )
    await adminQuery(serverUrl, `CREATE DATABASE "${database}" OWNER ${owner}`)
    const url = new URL(Redacted.value(withDatabase(Redacted.make(serverUrl), database)))
    url.username = owner
    url.password = password
    const other = makeKysely<any>(url.toString(), { max: 1 })
    const acrossCustomers = makeKysely<any>(url.toString(), { max: 1, acrossCustomers: true })
    const lastSyncColumns = async () =>
      (
        await sql<{ name: string }>`select column_name as name from information_schema.columns
          where table_name = 'connections' and column_name like 'last_sync%' order by column_name`.execute(other)
      ).rows.map((row) => row.name)
    try {
      await migrateToLatest(other)
      expect(await lastSyncColumns()).toEqual([])
      const { rows: naming } = await sql<{ name: string }>`
        select proname as name from pg_proc where pronamespace = 'public'::regnamespace and prosrc like '%last_sync%'
        union all select viewname from pg_views where schemaname = 'public' and definition like '%last_sync%'`.execute(
        other,
      )
      expect(naming).toEqual([])

      await acrossCustomers.insertInto("customers").values({ id: "acme", name: "Acme" }).execute()
      const [ended, runningAgain, never] = [randomUUID(), randomUUID(), randomUUID()]
      const created = new Date("2026-01-01T00:00:00Z")
      for (const id of [ended, runningAgain, never]) {
        await acrossCustomers
          .insertInto("connections")
          .values({
            id,
            customer_id: "acme",
            provider_id: "gusto",
            company_id: id,
            status: "active",
            created_at: created,
            updated_at: created,
          })
          .execute()
      }
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 2, 0, minute))
      const runs = [
        // ended: a partial run, then a later failed one, then one queued (not started)
        [ended, "partial", at(0), at(5)],
        [ended, "failed", at(10), at(15)],
        [ended, "queued", null, null],
        // running again: a succeeded run, then one started after it ended
        [runningAgain, "succeeded", at(0), at(5)],
        [runningAgain, "running", at(10), null],
      ] as const
      for (const [connection, status, startedAt, finishedAt] of runs) {
        await acrossCustomers
          .insertInto("sync_runs")
          .values({
            id: randomUUID(),
            customer_id: "acme",
            connection_id: connection,
            status,
            started_at: startedAt,
            finished_at: finishedAt,
          })
          .execute()
      }

      await DropConnectionLastSync.down(other)
      const rows = await acrossCustomers
        .selectFrom("connections")
        .select(["id", "last_sync_started_at", "last_sync_finished_at", "last_sync_status"])
        .execute()
      const byId = Object.fromEntries(rows.map(({ id, ...row }) => [id, row]))
      expect(byId).toEqual({
        [ended]: { last_sync_started_at: at(10), last_sync_finished_at: at(15), last_sync_status: "failed" },
        [runningAgain]: { last_sync_started_at: at(10), last_sync_finished_at: at(5), last_sync_status: "running" },
        [never]: { last_sync_started_at: null, last_sync_finished_at: null, last_sync_status: null },
      })
      // the worker may write them again, as before 0017
      const { rows: grants } = await sql<{ name: string }>`select column_name as name
        from information_schema.column_privileges where table_name = 'connections' and grantee = 'finch_worker'
          and privilege_type = 'UPDATE' and column_name like 'last_sync%' order by column_name`.execute(other)
      expect(grants.map((row) => row.name)).toEqual([
        "last_sync_finished_at",
        "last_sync_started_at",
        "last_sync_status",
      ])

      await DropConnectionLastSync.up(other)
      expect(await lastSyncColumns()).toEqual([])
    } finally {
      await other.destroy()
      await acrossCustomers.destroy()
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
      await adminQuery(serverUrl, `DROP ROLE IF EXISTS ${owner}`)
    }
  })

  it("run lower-numbered migrations that ship after a higher one has run, and migrate existing rows", async () => {
    const database = `${name}_late`
    await adminQuery(serverUrl, `CREATE DATABASE "${database}"`)
    const late = makeKysely<any>(Redacted.value(withDatabase(Redacted.make(serverUrl), database)), { max: 1 })
    try {
      // A database from before connection products (0008) and accounts per Finch connection (0009) existed.
      const earlier = Object.fromEntries(
        Object.entries(migrations).filter(([migration]) => migration < "0008" || migration.startsWith("0050")),
      )
      const before = new Migrator({ db: late, provider: { getMigrations: async () => ({ ...earlier }) } })
      expect((await before.migrateToLatest()).error).toBeUndefined()
      const now = new Date()
      await late.insertInto("customers").values({ id: "acme", name: "Acme" }).execute()
      await late
        .insertInto("connections")
        .values({
          id: connectionId,
          customer_id: "acme",
          provider_id: "gusto",
          company_id: "c1",
          finch_connection_id: "f1",
          status: "reauth_required",
          reauth_required_at: now,
          entities: JSON.stringify([{ id: "e1", name: "HQ", status: null }]),
          created_at: now,
          updated_at: now,
        })
        .execute()
      for (const [account, products, status] of [
        ["a", ["directory", "individual"], "active"],
        ["f1", ["payment", "directory"], "reauth_required"],
      ] as const) {
        const tokenId = randomUUID()
        await late
          .insertInto("access_tokens")
          .values({
            id: tokenId,
            customer_id: "acme",
            connection_id: connectionId,
            account_id: account,
            key_id: "k1",
            nonce: new Uint8Array(12),
            ciphertext: new Uint8Array(20),
            status: "active",
            created_at: now,
          })
          .execute()
        await late
          .insertInto("connection_accounts")
          .values({
            customer_id: "acme",
            connection_id: connectionId,
            account_id: account,
            token_id: tokenId,
            products: [...products],
            status,
            connected_at: now,
            updated_at: now,
          })
          .execute()
      }
      const ran = await migrateToLatest(late)
      expect(ran.slice(0, 2)).toEqual(["0008_add_connection_products", "0009_accounts_per_finch_connection"])
      const row = await late.selectFrom("connections").select(["products", "status"]).executeTakeFirstOrThrow()
      expect(row).toEqual({ products: ["directory", "individual", "payment"], status: "reauth_required" })
      // Accounts take Finch's status names; the one keyed by the old Finch connection id keeps it; the connection's
      // entities are every account's until a status check describes each token.
      const accounts = await late
        .selectFrom("connection_accounts")
        .select(["account_id", "status", "finch_connection_id", "entity_ids", "reauth_required_at", "introspected_at"])
        .orderBy("account_id")
        .execute()
      expect(accounts).toEqual([
        {
          account_id: "a",
          status: "connected",
          finch_connection_id: null,
          entity_ids: ["e1"],
          reauth_required_at: null,
          introspected_at: null,
        },
        {
          account_id: "f1",
          status: "reauth_required",
          finch_connection_id: "f1",
          entity_ids: ["e1"],
          reauth_required_at: now,
          introspected_at: null,
        },
      ])
    } finally {
      await late.destroy()
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
    }
  })

  it("give rate slots ids to settle them (0024), and step back to the budget of 0020, whose take keeps working", async () => {
    const take = async (key: string) =>
      (await sql<{ wait_ms: number }>`select take_finch_rate_slot(${key}, 5, 60000) as wait_ms`.execute(db)).rows
    const columns = async () =>
      (
        await sql<{ column_name: string }>`select column_name from information_schema.columns
          where table_schema = 'rate_budget' and table_name = 'slots' order by column_name`.execute(db)
      ).rows.map((row) => row.column_name)
    const settleExists = async () =>
      (await sql<{ found: string | null }>`select to_regproc('settle_finch_rate_slot')::text as found`.execute(db))
        .rows[0]?.found !== null

    const { rows: taken } = await sql<{ slot_id: string | null; wait_ms: number }>`
      select slot_id::text, wait_ms from take_finch_rate_slot_id('migrations:a', 1, 60000)`.execute(db)
    expect(taken).toEqual([{ slot_id: expect.stringMatching(/^\d+$/), wait_ms: 0 }])
    await sql`select settle_finch_rate_slot('migrations:a', ${taken[0]!.slot_id}::bigint)`.execute(db)
    // A process deployed before 0024 still takes slots from the same budget.
    expect(await take("migrations:a")).toEqual([{ wait_ms: 0 }])

    await SettleFinchRateSlots.down(db)
    expect(await columns()).toEqual(["key", "taken_at"])
    expect(await settleExists()).toBe(false)
    expect(await take("migrations:a")).toEqual([{ wait_ms: 0 }])

    await SettleFinchRateSlots.up(db)
    expect(await columns()).toEqual(["id", "key", "taken_at"])
    expect(await settleExists()).toBe(true)
    const { rows: withoutId } = await sql<{ count: string }>`
      select count(*)::text as count from rate_budget.slots where id is null`.execute(db)
    expect(withoutId).toEqual([{ count: "0" }])
  })
})
