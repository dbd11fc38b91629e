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
        `  database: ${where}${server.embedded ? " (embedded, data in .data/postgres)" : ""}`,
        "  Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    )
  }),
)

/**
 * The pool on the chosen server as `DATABASE_ROLE`, its login checked and the schema migrated (unless
 * `DATABASE_MIGRATE=false`) before anything else starts; the run stops if the embedded database is lost.
 */
const MainLive = Ready.pipe(Layer.provideMerge(PgDatabase.layerConfig))

NodeRuntime.runMain(DatabaseServer.launch(MainLive))
