/**
 * `pnpm --filter @finch-connections/worker bench`: the worker syncing BENCH_CONNECTIONS (20) connections of
 * BENCH_EMPLOYEES (2,000) employees from the sandbox with Finch's rate limits on, BENCH_ROUNDS (3) times, through
 * the queue in PostgreSQL and the rate budget shared there, by BENCH_WORKERS (2) worker processes of
 * BENCH_CONCURRENCY (2) jobs each, on Finch's real one-minute window. BENCH_SPEED=<n> runs the sandbox's clock n
 * times faster and shrinks the budget's window to match (60 s / n), for a shorter run; the budget keeps its default
 * margin. Prints total requests, wall time against the rate limit's floor for that many requests,
 * data requests per sync, and the time from a sync request to its job starting on an idle worker.
 * BENCH_REQUEST_LOG=<file> keeps the sandbox's request log; BENCH_WORKER_LOG=<file> keeps the worker processes' JSON
 * log lines; BENCH_CPU_PROF=<dir> has each worker process write a V8 CPU profile there (`--cpu-prof`) when it stops.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { openSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { Customer } from "@finch-connections/core/Customer"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { CustomerId } from "@finch-connections/core/Ids"
import { SyncQueue, type SyncRun } from "@finch-connections/core/SyncQueue"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import { finchLimits } from "@finch-connections/finch-client/RateLimiter"
import { type MintedConnection, type RequestLogSnapshot, startSandbox } from "@finch-connections/finch-sandbox/Sandbox"
import * as AesTokenVault from "@finch-connections/store-postgres/AesTokenVault"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as PgConnectionRepository from "@finch-connections/store-postgres/PgConnectionRepository"
import * as PgCustomerRepository from "@finch-connections/store-postgres/PgCustomerRepository"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import { Config, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import pg from "pg"

const packageRoot = path.resolve(import.meta.dirname, "..")

const adminQuery = async (url: string, text: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

const dataPaths = ["/employer/directory", "/employer/individual", "/employer/employment"]

const program = Effect.gen(function* () {
  const connectionsCount = yield* Config.integer("BENCH_CONNECTIONS").pipe(Config.withDefault(20))
  const employees = yield* Config.integer("BENCH_EMPLOYEES").pipe(Config.withDefault(2_000))
  const rounds = yield* Config.integer("BENCH_ROUNDS").pipe(Config.withDefault(3))
  const speed = yield* Config.number("BENCH_SPEED").pipe(Config.withDefault(1))
  const workers = yield* Config.integer("BENCH_WORKERS").pipe(Config.withDefault(2))
  const concurrency = yield* Config.integer("BENCH_CONCURRENCY").pipe(Config.withDefault(2))
  const window = Duration.millis(60_000 / speed)

  // a database of its own on the server, created and migrated by the owner's login (the embedded server's runtime
  // logins may not create databases); the API's side and the workers on their runtime logins, as in production
  const server = yield* DatabaseServer.DatabaseServer
  const name = `fc_bench_worker_${randomBytes(4).toString("hex")}`
  yield* Effect.acquireRelease(
    Effect.promise(() => adminQuery(Redacted.value(server.ownerUrl), `CREATE DATABASE "${name}"`)),
    () =>
      Effect.promise(() =>
        adminQuery(Redacted.value(server.ownerUrl), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ),
  )
  const url = DatabaseServer.withDatabase(server.url, name)
  const ownerUrl = DatabaseServer.withDatabase(server.ownerUrl, name)
  const workerUrl = DatabaseServer.withDatabase(server.loginUrl("finch_worker"), name)

  const sandbox = yield* Effect.acquireRelease(
    Effect.promise(() => startSandbox({ port: 0, seed: 1, rateLimits: "finch" })),
    (s) => Effect.promise(() => s.close()),
  )
  const admin = <A>(method: string, route: string, body?: unknown) =>
    Effect.promise(async () => {
      const response = await fetch(`${sandbox.baseUrl}/_sandbox${route}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      if (!response.ok) throw new Error(`sandbox ${method} ${route}: ${response.status} ${await response.text()}`)
      const text = await response.text()
      return (text === "" ? undefined : JSON.parse(text)) as A
    })

  const keyEntry = AesTokenVault.generateKeyEntry("k1")
  const keys = Either.getOrThrow(AesTokenVault.parseKeys(keyEntry))
  const app = yield* Layer.build(
    Layer.mergeAll(PgSyncQueue.layer, PgCustomerRepository.layer, PgConnectionRepository.layer).pipe(
      Layer.provideMerge(AesTokenVault.layer({ keys })),
      Layer.provideMerge(PgDatabase.layer({ url, ownerUrl, role: "finch_app", max: 4, migrate: true })),
    ),
  )
  const client = yield* FinchClient.make({ baseUrl: sandbox.baseUrl, rateLimits: "off" }).pipe(
    Effect.provide(FetchHttpClient.layer),
  )

  // the companies, each a customer of its own, connected as the API would record them
  const connections = yield* Effect.forEach(
    Array.from({ length: connectionsCount }, (_, n) => n),
    (n) =>
      Effect.gen(function* () {
        const customerId = CustomerId.make(`bench-${n}`)
        yield* Effect.orDie(
          Effect.flatMap(CustomerRepository, (customers) =>
            customers.create(new Customer({ id: customerId, name: `Bench ${n}`, createdAt: new Date() })),
          ),
        ).pipe(Effect.provide(app))
        const minted = yield* admin<MintedConnection>("POST", "/connections", {
          provider_id: "gusto",
          employee_size: employees,
        })
        const accessToken = Redacted.make(minted.access_token)
        const introspection = yield* Effect.orDie(client.introspect(accessToken))
        const recorded = yield* Effect.orDie(
          Effect.flatMap(ConnectionRepository, (repository) =>
            repository.recordToken({ customerId, introspection, accessToken }),
          ),
        ).pipe(Effect.provide(app))
        return { customerId, connectionId: recorded.connection.id }
      }),
  )

  // the workers: processes of their own (as in production), their budget's window shrunk to the sandbox's minute
  const cpuProf = process.env.BENCH_CPU_PROF ?? ""
  const workerLogFile = process.env.BENCH_WORKER_LOG ?? ""
  const workerLog = workerLogFile === "" ? undefined : openSync(workerLogFile, "w")
  const profArgs = cpuProf === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(cpuProf)}`]
  for (let n = 0; n < workers; n++) {
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [...profArgs, path.join(packageRoot, "src/main.ts")], {
          cwd: packageRoot,
          stdio: ["ignore", workerLog === undefined ? "ignore" : workerLog, "inherit"],
          env: {
            PATH: process.env.PATH ?? "",
            DATABASE_URL: Redacted.value(workerUrl),
            DATABASE_ROLE: "finch_worker",
            DATABASE_MIGRATE: "false",
            TOKEN_ENCRYPTION_KEYS: keyEntry,
            FINCH_BASE_URL: sandbox.baseUrl,
            FINCH_CLIENT_ID: sandbox.clientId,
            FINCH_CLIENT_SECRET: sandbox.clientSecret,
            FINCH_RATE_WINDOW_MS: String(Duration.toMillis(window)),
            WORKER_CONCURRENCY: String(concurrency),
            WORKER_SCHEDULE: "false",
            RECONCILE_MEMORY_RECORDS: String(employees),
          },
        }),
      ),
      (child) =>
        Effect.promise(
          () =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve()
              child.on("exit", () => resolve())
              child.kill("SIGTERM")
            }),
        ),
    )
  }
  yield* admin("DELETE", "/requests")
  yield* admin("PUT", "/rate-limits", { mode: "finch" })
  // sandbox time runs `speed` times faster than ours (its rate-limit minute lasts 60 s / speed)
  yield* admin("PUT", "/clock/speed", { speed })

  const getRun = (run: SyncRun) =>
    Effect.orDie(Effect.flatMap(SyncQueue, (queue) => queue.getRun(run.customerId, run.id))).pipe(Effect.provide(app))
  // Watching the runs end: one plain query on the owner's session (across customers) every 50 ms, rather than a
  // customer transaction per run, so the bench's own polling takes little from the two cores the workers share.
  const watcher = yield* Effect.acquireRelease(
    Effect.sync(
      () => new pg.Pool({ connectionString: Redacted.value(ownerUrl), max: 2, options: "-c app.all_customers=on" }),
    ),
    (pool) => Effect.promise(() => pool.end()),
  )
  const waitFinished = (run: SyncRun): Effect.Effect<{ readonly status: string; readonly error: string | null }> =>
    Effect.flatMap(
      Effect.promise(() =>
        watcher
          .query<{ status: string; error: string | null }>("select status, error from sync_runs where id = $1", [
            run.id,
          ])
          .then((result) => result.rows[0]!),
      ),
      (current) =>
        current.status === "queued" || current.status === "running"
          ? Effect.zipRight(Effect.sleep(Duration.millis(50)), waitFinished(run))
          : Effect.succeed(current),
    )
  const request = ({ connectionId, customerId }: (typeof connections)[number]) =>
    Effect.orDie(Effect.flatMap(SyncQueue, (queue) => queue.requestSync(customerId, connectionId))).pipe(
      Effect.provide(app),
    )

  // wait for every worker to be up (each registers its pool) before the clock starts
  const pools = Effect.promise(async () => {
    const client = new pg.Client({ connectionString: Redacted.value(ownerUrl) })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from job_queue.worker_pools")
      return rows[0]?.n ?? 0
    } finally {
      await client.end()
    }
  })
  const ready: Effect.Effect<void> = Effect.flatMap(pools, (n) =>
    n >= workers ? Effect.void : Effect.zipRight(Effect.sleep(Duration.millis(100)), ready),
  )
  yield* ready

  // every connection synced `rounds` times, each next sync requested as soon as its previous one finished
  const started = Date.now()
  const done = yield* Effect.forEach(
    connections,
    (connection) =>
      Effect.forEach(Array.from({ length: rounds }), () => Effect.flatMap(request(connection), waitFinished)),
    { concurrency: "unbounded" },
  )
  const bad = done.flat().filter((run) => run.status !== "succeeded")
  if (bad.length > 0) throw new Error(`${bad.length} syncs did not succeed: ${bad[0]!.error}`)
  const wallMs = Date.now() - started
  const log = yield* admin<RequestLogSnapshot>("GET", "/requests")
  // BENCH_REQUEST_LOG=<file>: the sandbox's request log (its clock's times), to see where the time went
  const logFile = process.env.BENCH_REQUEST_LOG
  if (logFile !== undefined && logFile !== "") writeFileSync(logFile, JSON.stringify({ speed, log }, null, 1))

  // request → job start on an idle worker, one request at a time (after the previous sync's reconciliation)
  const requestMs: Array<number> = []
  const latencies: Array<number> = []
  const pendingJobs = Effect.promise(async () => {
    const client = new pg.Client({ connectionString: Redacted.value(ownerUrl) })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from graphile_worker._private_jobs")
      return rows[0]?.n ?? 0
    } finally {
      await client.end()
    }
  })
  const idle: Effect.Effect<void> = Effect.flatMap(pendingJobs, (n) =>
    n === 0 ? Effect.void : Effect.zipRight(Effect.sleep(Duration.millis(100)), idle),
  )
  for (const connection of connections.slice(0, 10)) {
    yield* idle
    const before = Date.now()
    const run = yield* request(connection)
    const queued = Date.now()
    requestMs.push(queued - before)
    let current = yield* getRun(run)
    while (Option.isNone(current.startedAt)) {
      yield* Effect.sleep(Duration.millis(2))
      current = yield* getRun(run)
    }
    latencies.push(Option.getOrThrow(current.startedAt).getTime() - queued)
    yield* waitFinished(run)
  }

  const syncs = connectionsCount * rounds
  const data = log.requests.filter((r) => dataPaths.includes(r.path))
  // the floor: one request per endpoint per sync, `limit` of them per window, the first window free
  const perEndpoint = syncs
  const limit = finchLimits["GET /employer/directory"]!
  const floorMs = (Math.ceil(perEndpoint / limit) - 1) * Duration.toMillis(window)
  const rejected = log.requests.filter((r) => r.status === 429).length
  const sorted = [...latencies].sort((a, b) => a - b)
  const medianOf = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  console.log(
    `worker sync: ${connectionsCount} connections × ${employees} employees × ${rounds} rounds, ` +
      `${workers} worker processes × concurrency ${concurrency}, ` +
      `Finch limits on (window ${Duration.toMillis(window)} ms: the sandbox's clock at ${speed}×)`,
  )
  console.log(`  total requests               ${log.requests.length} (${rejected} answered 429)`)
  console.log(
    `  data requests per sync       ${(data.length / syncs).toFixed(2)} (directory, individuals, employments)`,
  )
  console.log(`  wall time                    ${(wallMs / 1000).toFixed(1)} s`)
  console.log(
    `  rate limit's floor           ${(floorMs / 1000).toFixed(1)} s for ${perEndpoint} requests per endpoint at ${limit} per window` +
      (floorMs > 0 ? `  → ${(wallMs / floorMs).toFixed(2)}× the floor` : ""),
  )
  console.log(
    `  queued → job start (idle)    median ${medianOf(latencies)} ms, max ${sorted[sorted.length - 1]} ms ` +
      `(${sorted.length} samples; the request itself: median ${medianOf(requestMs)} ms)`,
  )
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerForBench("bench")))).then(
  (exit) => {
    if (exit._tag === "Failure") {
      console.error(`benchmark failed: ${exit.cause}`)
      process.exitCode = 1
    }
    // the worker's pool and the sandbox are closed with the scope; nothing else keeps the process
  },
)
