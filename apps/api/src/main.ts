/**
 * The main job: the database (embedded unless DATABASE_URL is set), migrated, and — as later issues land — the API,
 * the worker and the sandbox Finch. Prints where to look, then runs until SIGINT/SIGTERM.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as PgDatabase from "@finch-connections/store-postgres/PgDatabase"
import { Console, Effect, Layer } from "effect"

const Ready = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    yield* PgDatabase.PgDatabase
    const where = DatabaseServer.displayUrl(server.url)
    yield* Console.log(
      [
        "",
        "finch-connections is ready.",
        `  database: ${where}${server.embedded ? " (embedded, data in .data/postgres)" : ""}, migrated`,
        "  Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    )
  }),
)

/** The pool on the chosen server, migrated before anything else starts. */
const DatabaseLive = Layer.unwrapEffect(
  Effect.map(DatabaseServer.DatabaseServer, (server) => PgDatabase.layer({ url: server.url, migrate: true })),
)

const MainLive = Ready.pipe(Layer.provide(DatabaseLive), Layer.provide(DatabaseServer.layerConfig))

NodeRuntime.runMain(Layer.launch(MainLive))
