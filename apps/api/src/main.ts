/**
 * The main job (`pnpm start`): the database (embedded unless DATABASE_URL is set) as a checked runtime login and
 * migrated; Finch (real with FINCH_CLIENT_ID/FINCH_CLIENT_SECRET, else the sandbox started here); the HTTP API; the
 * worker as a child process; and, on the sandbox, a demo customer with the seed's scenarios connected and syncing.
 * Prints where to look, one greppable line each, then runs until SIGINT/SIGTERM — or stops when the embedded
 * database is lost.
 */
import * as path from "node:path"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { NodeRuntime } from "@effect/platform-node"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import { Config, ConfigProvider, Console, Effect, Layer, Option, Redacted } from "effect"
import * as ApiKeys from "./ApiKeys.ts"
import { ApiLive } from "./ApiLive.ts"
import * as HttpServer from "./HttpServer.ts"
import * as Logging from "./Logging.ts"
import * as Demo from "./main/Demo.ts"
import * as MainFinch from "./main/MainFinch.ts"
import * as StoredApiKey from "./main/StoredApiKey.ts"
import * as WorkerProcess from "./main/WorkerProcess.ts"
import * as SyncRequests from "./SyncRequests.ts"

const dataDirConfig = Config.string("FINCH_CONNECTIONS_DATA_DIR").pipe(
  Config.withDefault(DatabaseServer.defaultDataDir()),
)

const MainLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const dataDir = yield* dataDirConfig
    const finch = yield* MainFinch.start
    const { keys, stored } = yield* StoredApiKey.resolve(dataDir)
    // The sandbox's FINCH_* variables come first for this process's config (and go to the worker's environment).
    const config = ConfigProvider.fromMap(new Map(Object.entries(finch.env))).pipe(
      ConfigProvider.orElse(() => ConfigProvider.fromEnv()),
    )

    const FinchLive = FinchClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
    const ServicesLive = Layer.mergeAll(SyncRequests.layer.pipe(Layer.provideMerge(ApiLive)), ApiKeys.layer(keys)).pipe(
      Layer.provideMerge(Layer.mergeAll(PgDatabase.layerConfig, FinchLive)),
    )

    /** Once the API listens: the worker, Finch's webhooks, the demo customer, and where to look. */
    const Started = Layer.scopedDiscard(
      Effect.gen(function* () {
        const server = yield* DatabaseServer.DatabaseServer
        const { url: apiUrl } = yield* HttpServer.ApiAddress
        yield* MainFinch.deliverWebhooksTo(finch, apiUrl)
        // The worker on its own runtime login (finch_worker only), graphile-worker included.
        yield* WorkerProcess.start({ databaseUrl: yield* WorkerProcess.databaseUrl, dataDir, env: finch.env })
        const key = Redacted.value(keys[0]!)
        const where = Option.match(server.placedCluster, {
          onNone: () => `embedded, in ${path.join(dataDir, "postgres")}`,
          onSome: (cluster) => `embedded: cluster in ${cluster}, passwords in ${path.join(dataDir, "postgres")}`,
        })
        yield* Console.log(`database: ${DatabaseServer.displayUrl(server.url)}${server.embedded ? ` (${where})` : ""}`)
        yield* Console.log(
          `api key: ${key}            (${stored ? `kept in ${StoredApiKey.keyFile(dataDir)}` : "API_KEYS"})`,
        )
        if (Option.isSome(finch.sandboxUrl)) {
          const target = { apiUrl, apiKey: key, sandboxUrl: finch.sandboxUrl.value }
          yield* Demo.walk(target, { onlyIfNew: true, say: () => {} }).pipe(
            Effect.catchAllDefect((defect) =>
              Effect.logWarning("the demo customer could not be set up", String(defect)),
            ),
          )
          yield* Demo.writeRunInfo(dataDir, target)
        }
        yield* Console.log(`page: ${yield* Demo.pageLink({ apiUrl, apiKey: key })}`)
        if (Option.isSome(finch.sandboxUrl)) yield* Console.log(`finch: ${finch.sandboxUrl.value}`)
        yield* Console.log("Press Ctrl+C to stop.")
      }),
    )

    return Started.pipe(
      Layer.provideMerge(HttpServer.layer),
      Layer.provideMerge(ServicesLive),
      Layer.provide(Layer.setConfigProvider(config)),
    )
  }),
)

// JSON log lines (Effect's JSON format, `Logging.ts`), for everything the layers build and every request they serve.
NodeRuntime.runMain(DatabaseServer.launch(MainLive).pipe(Effect.provide(Logging.layer)), { disablePrettyLogger: true })
