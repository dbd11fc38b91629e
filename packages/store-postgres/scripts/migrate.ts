/**
 * `pnpm --filter @finch-connections/store-postgres migrate`: brings the database up to the newest migration, as the
 * owner's login: `DATABASE_MIGRATION_URL`, else `DATABASE_URL` (or the embedded server's superuser).
 */
import { Effect, Redacted } from "effect"
import { makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import * as JobQueue from "../src/JobQueue.ts"
import { migrateToLatest } from "../src/Migrations.ts"
import { redactText } from "../src/Redaction.ts"

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const db = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<any>(Redacted.value(server.ownerUrl), { max: 1, acrossCustomers: true })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const applied = yield* Effect.tryPromise(() => migrateToLatest(db))
  yield* Effect.tryPromise(() => JobQueue.install(Redacted.value(server.ownerUrl)))
  yield* Effect.log(
    applied.length === 0
      ? `${DatabaseServer.displayUrl(server.ownerUrl)} is already up to date`
      : `${DatabaseServer.displayUrl(server.ownerUrl)}: applied ${applied.join(", ")}`,
  )
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerConfig))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error(`migration failed: ${redactText(String(exit.cause))}`)
    process.exitCode = 1
  }
})
