/**
 * The main job: the database (embedded unless DATABASE_URL is set), migrated, and — as later issues land — the API,
 * the worker and the sandbox Finch. Prints where to look, then runs until SIGINT/SIGTERM.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Database from "@finch-connections/store-postgres/Database"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import * as Migrations from "@finch-connections/store-postgres/Migrations"
import { Effect, Layer, Redacted } from "effect"

const Migrated = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    const applied = yield* Effect.acquireUseRelease(
      Effect.sync(() => Database.makeKysely<any>(Redacted.value(server.url), { max: 1 })),
      (db) => Effect.promise(() => Migrations.migrateToLatest(db)),
      (db) => Effect.promise(() => db.destroy()),
    )
    yield* Effect.logInfo("database ready").pipe(
      Effect.annotateLogs({
        database: DatabaseServer.displayUrl(server.url),
        embedded: server.embedded,
        migrationsApplied: applied.length,
      }),
    )
    yield* Effect.sync(() =>
      console.log(
        [
          "",
          "finch-connections is ready.",
          `  database: ${DatabaseServer.displayUrl(server.url)}${server.embedded ? " (embedded, data in .data/postgres)" : ""}`,
          "  Press Ctrl+C to stop.",
          "",
        ].join("\n"),
      ),
    )
  }),
)

const MainLive = Migrated.pipe(Layer.provide(DatabaseServer.layerConfig))

NodeRuntime.runMain(Layer.launch(MainLive))
