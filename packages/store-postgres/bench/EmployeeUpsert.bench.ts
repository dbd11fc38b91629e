/**
 * `pnpm bench`: the bulk employee upsert of `PgEmployeeStore` (10,000 records in one statement) against raw `COPY`
 * of the same rows (documents, digests, timestamps) into a table of the same shape, on the same server: all new, all
 * changed, then the same records again (the daily re-sync: only digests compared, no row written). Prints rows/s and
 * the ratio.
 *
 * Runs against `DATABASE_URL` or an embedded server of its own (`.data/bench/`, so it can run beside `pnpm start`),
 * in a scratch database it drops afterwards.
 * `BENCH_ROWS` (default 10000) and `BENCH_ROUNDS` (default 5) adjust the run; figures are medians over the rounds.
 */
import { randomBytes, randomUUID } from "node:crypto"
import { pipeline } from "node:stream/promises"
import type { EmployeeRecord } from "@finch-connections/core/EmployeeStore"
import { ConnectionId, CustomerId, EntityId, IndividualId } from "@finch-connections/core/Ids"
import { Config, Effect, Option, Redacted } from "effect"
import { sql } from "kysely"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { type Database, makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import { adminQuery } from "../src/internal/adminQuery.ts"
import { contentDigest } from "../src/internal/snapshotStaging.ts"
import { migrateToLatest } from "../src/Migrations.ts"
import * as PgEmployeeStore from "../src/PgEmployeeStore.ts"

const employees = (connectionId: ConnectionId, rows: number, generation: number): ReadonlyArray<EmployeeRecord> =>
  Array.from({ length: rows }, (_, i) => {
    const id = `ind-${String(i).padStart(7, "0")}`
    return {
      connectionId,
      individualId: IndividualId.make(id),
      entityId: Option.some(EntityId.make(`entity-${i % 3}`)),
      individual: {
        id,
        first_name: `First${i}`,
        middle_name: null,
        last_name: `Last${i % 997}`,
        preferred_name: null,
        emails: [{ data: `person.${i}@example.com`, type: "work" }],
        phone_numbers: [{ data: `+1555${String(i).padStart(7, "0")}`, type: "work" }],
        gender: i % 2 === 0 ? "female" : "male",
        dob: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
        residence: { line1: `${i} Main St`, city: "Springfield", state: "IL", postal_code: "62701", country: "US" },
      },
      employment: Option.some({
        id,
        title: `Engineer ${generation}`,
        department: { name: `Dept ${i % 40}` },
        employment: { type: "employee", subtype: "full_time" },
        is_active: true,
        start_date: "2020-01-01",
        income: { amount: 100_000 + i, currency: "usd", unit: "yearly", effective_date: "2024-01-01" },
      }),
    }
  })

/** One field of COPY's text format. */
const copyField = (value: string | null): string =>
  value === null
    ? "\\N"
    : value.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r")

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await run()
  return (performance.now() - start) / 1000
}

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const rows = yield* Config.integer("BENCH_ROWS").pipe(Config.withDefault(10_000))
  const rounds = yield* Config.integer("BENCH_ROUNDS").pipe(Config.withDefault(5))
  const serverUrl = Redacted.value(server.ownerUrl)
  const name = `fc_bench_${randomBytes(4).toString("hex")}`
  const url = Redacted.value(DatabaseServer.withDatabase(server.ownerUrl, name))

  yield* Effect.acquireRelease(
    Effect.promise(() => adminQuery(serverUrl, `CREATE DATABASE "${name}"`)),
    () => Effect.promise(() => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  )
  const owner = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(url, { max: 1 })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const app = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(url, { role: "finch_app", max: 2 })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const copyClient = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.end()),
  )

  const result = yield* Effect.promise(async () => {
    await migrateToLatest(owner)
    const customerId = CustomerId.make("bench")
    const connectionId = ConnectionId.make(randomUUID())
    const now = new Date()
    await owner.insertInto("customers").values({ id: customerId, name: "Bench" }).execute()
    await owner
      .insertInto("connections")
      .values({
        id: connectionId,
        customer_id: customerId,
        provider_id: "gusto",
        company_id: "bench",
        status: "active",
        created_at: now,
        updated_at: now,
      })
      .execute()
    // The COPY target: the same columns, generated columns, keys and indexes, without row-level security.
    await sql`create table copy_target (like employee_records including all)`.execute(owner)

    const store = PgEmployeeStore.make({ db: app })
    const replace = (records: ReadonlyArray<EmployeeRecord>) =>
      Effect.runPromise(store.replaceSnapshot(customerId, connectionId, records))
    const copyRows = async (records: ReadonlyArray<EmployeeRecord>) => {
      const stamp = new Date().toISOString()
      const lines = records.map((record) => {
        const entityId = Option.getOrNull(record.entityId)
        const individual = JSON.stringify(record.individual)
        const employment = Option.getOrNull(Option.map(record.employment, JSON.stringify))
        return [
          customerId,
          connectionId,
          record.individualId,
          entityId,
          individual,
          employment,
          contentDigest(entityId, individual, employment),
          stamp,
          stamp,
        ]
          .map(copyField)
          .join("\t")
      })
      await pipeline(
        async function* () {
          for (let i = 0; i < lines.length; i += 1000) yield `${lines.slice(i, i + 1000).join("\n")}\n`
        },
        copyClient.query(
          copyFrom(`copy copy_target (customer_id, connection_id, individual_id, entity_id, individual, employment,
            content_digest, first_seen_at, updated_at) from stdin`),
        ),
      )
    }
    const clear = async () => {
      await sql`truncate employee_records, copy_target`.execute(owner)
    }

    const first = employees(connectionId, rows, 1)
    const second = employees(connectionId, rows, 2)
    // Warm up both paths once (plans, caches, JIT of the client).
    await replace(first)
    await copyRows(first)
    const inserts: Array<number> = []
    const updates: Array<number> = []
    const unchanged: Array<number> = []
    const copies: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      await clear()
      await sql`vacuum analyze employee_records, copy_target`.execute(owner)
      inserts.push(await timed(() => replace(first)))
      updates.push(await timed(() => replace(second)))
      unchanged.push(await timed(() => replace(second)))
      copies.push(await timed(() => copyRows(first)))
    }
    return { inserts: median(inserts), updates: median(updates), unchanged: median(unchanged), copy: median(copies) }
  })

  const rate = (seconds: number) => Math.round(rows / seconds)
  const copyRate = rate(result.copy)
  const line = (label: string, seconds: number) =>
    `${label.padEnd(34)} ${String(rate(seconds)).padStart(9)} rows/s  ${(seconds * 1000).toFixed(0).padStart(6)} ms  ` +
    `${(rate(seconds) / copyRate).toFixed(2)}× COPY`
  console.log(
    `bulk employee upsert: ${rows} rows, median of ${rounds} rounds, ${DatabaseServer.displayUrl(server.ownerUrl)}`,
  )
  console.log(line("replaceSnapshot, all new", result.inserts))
  console.log(line("replaceSnapshot, all changed", result.updates))
  console.log(line("replaceSnapshot, all unchanged", result.unchanged))
  console.log(line("raw COPY of the same rows", result.copy))
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerForBench("bench")))).then(
  (exit) => {
    if (exit._tag === "Failure") {
      console.error(`benchmark failed: ${exit.cause}`)
      process.exitCode = 1
    }
  },
)
