/**
 * The main job: the database (embedded unless DATABASE_URL is set) as a checked runtime login, migrated, and the HTTP
 * API on it (Finch from the FINCH_* variables, API keys from API_KEYS). As later issues land: the worker and the
 * sandbox Finch. Prints where to look, then runs until SIGINT/SIGTERM, or stops when the embedded database is lost.
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

/**
 * The one place the database is wired: the pool as `DATABASE_ROLE`, its login checked and the schema migrated
 * (unless `DATABASE_MIGRATE=false`) before anything else starts; the server comes along.
 */
const DatabaseLive = PgDatabase.layerConfig

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

// The server stays in the output: `DatabaseServer.launch` watches it for a lost embedded database.
const MainLive = Layer.mergeAll(DatabaseReady, HttpServer.layer).pipe(Layer.provideMerge(ServicesLive))

// JSON log lines, for everything the layers build and every request they serve.
NodeRuntime.runMain(DatabaseServer.launch(MainLive).pipe(Effect.provide(Logger.json)), { disablePrettyLogger: true })
