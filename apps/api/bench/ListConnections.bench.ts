/**
 * `pnpm bench`: `GET /v1/customers/{id}/connections` for a customer with 20 connections, through the whole API
 * (API key, validation, logging, metrics; the response cache, or without it the row-level-secured PostgreSQL read and
 * the JSON mapping), against a bare Hono route answering the same JSON from memory — all served on loopback and
 * loaded by autocannon in this process (the load generator's cost is in every figure alike).
 * The bare route and the cached API are loaded in alternating rounds after a warm-up of each, so that a slower or
 * busier moment of the machine falls on both alike; the ratio is of their requests over all rounds. The API without
 * the cache is loaded once, last. Prints requests/s, p50/p99 latency (the rounds' medians, and the worst round's
 * p99), this process's CPU time per request, and the ratios (target: ≥ 0.5× the bare route's requests/s, p99 ≤ 10 ms).
 *
 * Runs against `DATABASE_URL` or an embedded server of its own (`.data/bench-api/`), in a scratch database dropped
 * afterwards; the sandbox plays Finch for the 20 connects. `BENCH_SECONDS` (default 10: the load on each variant,
 * split over the rounds), `BENCH_ROUNDS` (default 5) and `BENCH_CONNECTIONS` (default 10) adjust the load.
 */
import { randomBytes } from "node:crypto"
import type { AddressInfo } from "node:net"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import { startSandbox } from "@finch-connections/finch-sandbox/Sandbox"
import { makeKysely, poolOf } from "@finch-connections/store-postgres/Database"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import { serve } from "@hono/node-server"
import autocannon from "autocannon"
import { ConfigProvider, Context, Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted, Runtime } from "effect"
import { Hono } from "hono"
import { sql } from "kysely"
import * as ApiKeys from "../src/ApiKeys.ts"
import { ApiLive } from "../src/ApiLive.ts"
import { createApp } from "../src/App.ts"
import * as Logging from "../src/Logging.ts"
import * as ResponseCache from "../src/ResponseCache.ts"
import * as SyncRequests from "../src/SyncRequests.ts"

const seconds = Number(process.env.BENCH_SECONDS ?? "10")
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? "5"))
const connections = Number(process.env.BENCH_CONNECTIONS ?? "10")
const apiKey = randomBytes(24).toString("base64url")

const listen = (fetch: (request: Request) => Response | Promise<Response>) =>
  new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    )
  })

/** One variant's figures over one or more autocannon runs. */
interface Load {
  readonly requests: number
  readonly seconds: number
  readonly p50: number
  readonly p99: number
  /** The highest round's p99 (a single run's own). */
  readonly worstP99: number
  readonly cpuMicros: number
  readonly non2xx: number
  readonly errors: number
}

/** autocannon's run of `duration` seconds, with this process's CPU time (server and load generator alike). */
const load = async (url: string, headers: Record<string, string>, duration: number): Promise<Load> => {
  const before = process.cpuUsage()
  const result = await autocannon({ url, connections, duration, headers })
  const used = process.cpuUsage(before)
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    worstP99: result.latency.p99,
    cpuMicros: used.user + used.system,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

/** Rounds of one variant as one: their requests and time summed, the median p50 and p99, and the worst p99. */
const combined = (all: ReadonlyArray<Load>): Load => ({
  requests: all.reduce((sum, round) => sum + round.requests, 0),
  seconds: all.reduce((sum, round) => sum + round.seconds, 0),
  p50: median(all.map((round) => round.p50)),
  p99: median(all.map((round) => round.p99)),
  worstP99: Math.max(...all.map((round) => round.worstP99)),
  cpuMicros: all.reduce((sum, round) => sum + round.cpuMicros, 0),
  non2xx: all.reduce((sum, round) => sum + round.non2xx, 0),
  errors: all.reduce((sum, round) => sum + round.errors, 0),
})

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const requestsPerSecond = (result: Load) => result.requests / Math.max(1e-9, result.seconds)

const main = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const name = `fc_bench_api_${randomBytes(4).toString("hex")}`
  // The scratch database is made (and migrated) by the owner's login; the API's sessions use the runtime login.
  const admin = makeKysely<any>(Redacted.value(server.ownerUrl), { max: 1 })
  yield* Effect.acquireRelease(
    Effect.promise(() => sql.raw(`CREATE DATABASE "${name}"`).execute(admin)),
    () =>
      Effect.promise(async () => {
        await sql.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).execute(admin)
        await admin.destroy()
      }),
  )
  const url = DatabaseServer.withDatabase(server.url, name)
  const sandbox = yield* Effect.acquireRelease(
    Effect.promise(() => startSandbox({ port: 0, seed: 1 })),
    (s) => Effect.promise(() => s.close()),
  )
  const finch = FinchClient.layer({
    baseUrl: sandbox.baseUrl,
    clientId: sandbox.clientId,
    clientSecret: Redacted.make(sandbox.clientSecret),
    rateLimits: "off",
  }).pipe(Layer.provide(FetchHttpClient.layer))
  const services = Layer.mergeAll(
    SyncRequests.layer.pipe(Layer.provideMerge(ApiLive)),
    ApiKeys.layer([Redacted.make(apiKey)]),
  ).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        PgDatabase.layer({ url, ownerUrl: DatabaseServer.withDatabase(server.ownerUrl, name), migrate: true }),
        finch,
      ),
    ),
    Layer.provide(
      Layer.setConfigProvider(
        ConfigProvider.fromMap(new Map([["TOKEN_ENCRYPTION_KEYS", `k1:${randomBytes(32).toString("base64")}`]])),
      ),
    ),
  )
  // the request log is part of the cost measured: written as JSON by the main job's logger, to nowhere
  const quiet = Logger.replace(
    Logger.defaultLogger,
    Logger.map(Logging.jsonLogger, () => undefined),
  )
  const runtime = yield* Effect.acquireRelease(
    Effect.sync(() => ManagedRuntime.make(Layer.mergeAll(services, quiet, Logger.minimumLogLevel(LogLevel.Info)))),
    (managed) => Effect.promise(() => managed.dispose()),
  )
  const cachedRuntime = yield* Effect.promise(() => runtime.runtime())
  const app = createApp(cachedRuntime)
  // The same services with a cache that never keeps anything: what `API_RESPONSE_CACHE=false` gives.
  const uncachedApp = createApp(
    Runtime.make({
      ...cachedRuntime,
      context: Context.add(cachedRuntime.context, ResponseCache.ResponseCache, ResponseCache.make()),
    }),
  )
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await app.request(route, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const json = (await response.json()) as any
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`)
    return json
  }

  yield* Effect.promise(async () => {
    await call("PUT", "/v1/customers/bench", { name: "Bench Inc." })
    for (let i = 0; i < 20; i++) {
      const session = await call("POST", "/v1/customers/bench/connect-sessions", {
        products: ["company", "directory", "individual", "employment"],
        provider_id: "gusto",
      })
      const done = await fetch(`${sandbox.baseUrl}/_sandbox/connect/sessions/${session.session_id}/complete`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ provider_id: "gusto", username: `good_user_${100 + i}`, password: "good_pass" }),
      }).then((response) => response.json() as Promise<{ code: string }>)
      await call("POST", "/v1/customers/bench/connections", { code: done.code })
    }
  })
  const listed = yield* Effect.promise(() => call("GET", "/v1/customers/bench/connections"))
  if (listed.connections.length !== 20) throw new Error(`expected 20 connections, got ${listed.connections.length}`)
  const body = JSON.stringify(listed)
  // The cache keeps bodies once its listening session is up: wait for the list to be kept before loading it.
  const cache = Context.get(cachedRuntime.context, ResponseCache.ResponseCache)
  for (let waited = 0; cache.lookup("bench", "connections") === undefined; waited += 50) {
    if (waited > 10_000) throw new Error("the response cache never kept the list")
    yield* Effect.promise(() => call("GET", "/v1/customers/bench/connections"))
    yield* Effect.sleep("50 millis")
  }

  const bare = new Hono().get("/v1/customers/:customer_id/connections", (c) =>
    c.body(body, 200, { "content-type": "application/json" }),
  )
  const apiServer = yield* Effect.acquireRelease(
    Effect.promise(() => listen(app.fetch)),
    (s) => Effect.promise(() => s.close()),
  )
  const uncachedServer = yield* Effect.acquireRelease(
    Effect.promise(() => listen(uncachedApp.fetch)),
    (s) => Effect.promise(() => s.close()),
  )
  const bareServer = yield* Effect.acquireRelease(
    Effect.promise(() => listen(bare.fetch)),
    (s) => Effect.promise(() => s.close()),
  )
  const route = "/v1/customers/bench/connections"
  const pool = poolOf(Context.get(cachedRuntime.context, PgDatabase.PgDatabase))!
  const results = yield* Effect.promise(async () => {
    const bareUrl = `http://127.0.0.1:${bareServer.port}${route}`
    const apiUrl = `http://127.0.0.1:${apiServer.port}${route}`
    const withKey = { authorization: `Bearer ${apiKey}` }
    await load(bareUrl, {}, 1)
    await load(apiUrl, withKey, 1)
    const bareRounds: Array<Load> = []
    const apiRounds: Array<Load> = []
    for (let round = 0; round < rounds; round++) {
      bareRounds.push(await load(bareUrl, {}, seconds / rounds))
      apiRounds.push(await load(apiUrl, withKey, seconds / rounds))
    }
    // The pool under the uncached load: how many sessions were in use and how many requests waited for one.
    const peak = { total: 0, waiting: 0 }
    const sampling = setInterval(() => {
      peak.total = Math.max(peak.total, pool.totalCount - pool.idleCount)
      peak.waiting = Math.max(peak.waiting, pool.waitingCount)
    }, 2)
    const uncachedResult = await load(`http://127.0.0.1:${uncachedServer.port}${route}`, withKey, seconds).finally(() =>
      clearInterval(sampling),
    )
    const roundRatios = bareRounds.map((bare, round) => requestsPerSecond(apiRounds[round]!) / requestsPerSecond(bare))
    return { bareResult: combined(bareRounds), apiResult: combined(apiRounds), uncachedResult, roundRatios, peak }
  })
  const line = (label: string, result: Load) =>
    `  ${label.padEnd(28)} ${requestsPerSecond(result).toFixed(0).padStart(7)} req/s   p50 ${String(result.p50).padStart(4)} ms   p99 ${String(result.p99).padStart(4)} ms (worst ${String(result.worstP99).padStart(3)})   ${(result.cpuMicros / Math.max(1, result.requests)).toFixed(0).padStart(5)} µs CPU/req   (${result.non2xx} non-2xx, ${result.errors} errors)`
  const apiRatio = requestsPerSecond(results.apiResult) / requestsPerSecond(results.bareResult)
  const uncachedRatio = requestsPerSecond(results.uncachedResult) / requestsPerSecond(results.bareResult)
  console.log(
    [
      `list a customer's 20 connections (${body.length} bytes), ${connections} connections, ${seconds} s on each variant (bare and cached in ${rounds} alternating rounds), ${DatabaseServer.displayUrl(server.url)}`,
      line("bare Hono, JSON from memory", results.bareResult),
      line("API, response cache on", results.apiResult),
      line("API, cache off (PostgreSQL)", results.uncachedResult),
      `  pool without the cache: ${pool.options.max} sessions, at most ${results.peak.total} in use, at most ${results.peak.waiting} requests waiting for one`,
      `  rounds' ratios (cached API / bare): ${results.roundRatios.map((ratio) => ratio.toFixed(2)).join(", ")}`,
      `  ratio ${apiRatio.toFixed(2)}x of the bare route's requests/s with the cache (over all rounds; target >= 0.5x), ${uncachedRatio.toFixed(2)}x without; API p99 ${results.apiResult.p99} ms with the cache (target <= 10 ms), ${results.uncachedResult.p99} ms without`,
    ].join("\n"),
  )
})

Effect.runPromise(Effect.scoped(main).pipe(Effect.provide(DatabaseServer.layerForBench("bench-api")))).catch(
  (error) => {
    console.error(error)
    process.exitCode = 1
  },
)
