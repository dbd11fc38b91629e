/**
 * The main job: the database (embedded unless DATABASE_URL is set), migrated, and the HTTP API on it (Finch from the
 * FINCH_* variables, API keys from API_KEYS). As later issues land: the worker and the sandbox Finch. Prints where to
 * look, then runs until SIGINT/SIGTERM.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { NodeRuntime } from "@effect/platform-node"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import { Console, Effect, Layer, Logger } from "effect"
import * as ApiKeys from "./ApiKeys.ts"
import { ApiLive } from "./ApiLive.ts"
import * as HttpServer from "./HttpServer.ts"
import * as SyncRequests from "./SyncRequests.ts"

/** The pool on the chosen server, migrated before anything else starts; the one place the database is wired. */
const DatabaseLive = Layer.unwrapEffect(
  Effect.map(DatabaseServer.DatabaseServer, (server) => PgDatabase.layer({ url: server.url, migrate: true })),
).pipe(Layer.provideMerge(DatabaseServer.layerConfig))

const DatabaseReady = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    const where = DatabaseServer.displayUrl(server.url)
    yield* Console.log(`database: ${where}${server.embedded ? " (embedded, data in .data/postgres)" : ""}, migrated`)
  }),
)

const FinchLive = FinchClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

// TODO(issue 14): SyncRequests on the worker's queue port instead of `layerUnwired`.
const ServicesLive = Layer.mergeAll(ApiLive, ApiKeys.layerConfigOrGenerated, SyncRequests.layerUnwired).pipe(
  Layer.provideMerge(Layer.mergeAll(DatabaseLive, FinchLive)),
)

const MainLive = Layer.mergeAll(DatabaseReady, HttpServer.layer).pipe(Layer.provide(ServicesLive))

// JSON log lines, for everything the layers build and every request they serve.
NodeRuntime.runMain(Layer.launch(MainLive).pipe(Effect.provide(Logger.json)), { disablePrettyLogger: true })
