/**
 * `pnpm --filter @finch-connections/store-postgres migrate`: brings the database named by `DATABASE_URL` (or the
 * embedded one) up to the newest migration. Run it as the owner of the schema, never as an application role.
 */
import { Effect, Redacted } from "effect"
import { makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import * as JobQueue from "../src/JobQueue.ts"
import { migrateToLatest } from "../src/Migrations.ts"

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const db = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<any>(Redacted.value(server.url), { max: 1 })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const applied = yield* Effect.tryPromise(() => migrateToLatest(db))
  yield* Effect.tryPromise(() => JobQueue.install(Redacted.value(server.url)))
  yield* Effect.log(
    applied.length === 0
      ? `${DatabaseServer.displayUrl(server.url)} is already up to date`
      : `${DatabaseServer.displayUrl(server.url)}: applied ${applied.join(", ")}`,
  )
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerConfig))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error(`migration failed: ${exit.cause}`)
    process.exitCode = 1
  }
})
