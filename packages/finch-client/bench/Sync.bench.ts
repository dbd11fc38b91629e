/**
 * Fetches a whole company — directory, individuals, employments — through the client from the sandbox with Finch's
 * rate limits on, and checks it took the fewest requests Finch's page (10,000) and batch (10,000) maxima allow.
 * Run with `pnpm bench` (BENCH_EMPLOYEES overrides the company size, default 10,000).
 *
 * `BENCH_SMALL_COMPANIES=<n>` adds a second run: n small companies synced one after another, more calls per endpoint
 * than Finch's 20 a minute, to show the client's limiter waiting instead of collecting 429s (takes over a minute
 * once n > 20).
 */
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { maxBatchSize } from "../src/Batching.ts"
import { maxDirectoryPageSize } from "../src/Pagination.ts"
import { sandbox } from "../test/fixtures/Sandbox.ts"

const program = Effect.gen(function* () {
  const employees = yield* Config.integer("BENCH_EMPLOYEES").pipe(Config.withDefault(10_000))
  const finch = yield* sandbox({ rateLimits: "finch" })
  const connection = yield* finch.connect({ employee_size: employees })
  const client = yield* finch.client({ rateLimits: "finch" })
  yield* finch.clearRequests

  const started = performance.now()
  const directory = yield* Stream.runCollect(client.directory(connection.token))
  const ids = Chunk.toReadonlyArray(directory).map((person) => person.id)
  const individuals = yield* client.individuals(connection.token, ids)
  const employments = yield* client.employments(connection.token, ids)
  const wallMs = performance.now() - started

  const log = yield* finch.requests
  const made = log.requests.length
  const rateLimited = log.requests.filter((r) => r.status === 429).length
  const found = (items: ReadonlyArray<{ readonly _tag: string }>) => items.filter((i) => i._tag === "Found").length
  const minimum = Math.max(1, Math.ceil(ids.length / maxDirectoryPageSize)) + 2 * Math.ceil(ids.length / maxBatchSize)

  const rows: ReadonlyArray<readonly [string, string]> = [
    ["employees in the company", String(employees)],
    ["directory entries fetched", String(ids.length)],
    ["individuals found / employments found", `${found(individuals)} / ${found(employments)}`],
    ["requests made (counted at the sandbox)", String(made)],
    ["  by endpoint", JSON.stringify(log.counts)],
    ["  answered 429", String(rateLimited)],
    [
      "minimum Finch's maxima allow",
      `${minimum} (directory pages of ${maxDirectoryPageSize}, batches of ${maxBatchSize})`,
    ],
    ["wall time", `${wallMs.toFixed(0)} ms`],
    ["requests per employee", (made / Math.max(1, employees)).toFixed(6)],
    ["employees per request", (employees / Math.max(1, made)).toFixed(1)],
    ["requests made / minimum", (made / minimum).toFixed(2)],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  console.log("finch-client sync benchmark (sandbox, Finch rate limits on)")
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`)

  const complete = ids.length === employees && found(individuals) === employees && found(employments) === employees
  if (made !== minimum || !complete) {
    console.error(made !== minimum ? `FAIL: ${made} requests, minimum is ${minimum}` : "FAIL: incomplete fetch")
    process.exitCode = 1
  } else {
    console.log("  OK: the client used exactly the minimum number of requests")
  }
})

const manySmallCompanies = Effect.gen(function* () {
  const companies = yield* Config.integer("BENCH_SMALL_COMPANIES").pipe(Config.withDefault(0))
  if (companies <= 0) return
  const finch = yield* sandbox({ rateLimits: "finch" })
  const client = yield* finch.client({ rateLimits: "finch" })
  const connections = yield* Effect.forEach(Array.from({ length: companies }), () =>
    finch.connect({ employee_size: 25 }),
  )
  yield* finch.clearRequests
  const started = performance.now()
  let employees = 0
  for (const connection of connections) {
    const ids = Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(connection.token))).map((p) => p.id)
    yield* client.individuals(connection.token, ids)
    yield* client.employments(connection.token, ids)
    employees += ids.length
  }
  const wallMs = performance.now() - started
  const log = yield* finch.requests
  const rateLimited = log.requests.filter((r) => r.status === 429).length
  console.log(`\nmany small companies (sandbox and client both at Finch's limits)`)
  console.log(`  companies / employees        ${companies} / ${employees}`)
  console.log(`  requests made                ${log.requests.length} (minimum ${3 * companies})`)
  console.log(`  answered 429                 ${rateLimited}`)
  console.log(`  wall time                    ${(wallMs / 1000).toFixed(1)} s (the limiter waited for Finch's window)`)
  if (rateLimited > 0 || log.requests.length !== 3 * companies) process.exitCode = 1
})

Effect.runPromise(Effect.scoped(Effect.zipRight(program, manySmallCompanies))).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
