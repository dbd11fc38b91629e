/**
 * `pnpm --filter @finch-connections/store-postgres destroy-retired-tokens`: clears the ciphertext of tokens retired
 * more than `TOKEN_RETENTION_DAYS` (default 30) days ago (see `src/TokenRetention.ts`); deleting the key that sealed
 * them is what destroys every copy (see `src/TokenRotation.ts`). Runs as the owner's login.
 */
import { Config, Effect, Redacted } from "effect"
import { type Database, makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import { redactText } from "../src/Redaction.ts"
import { destroyRetiredTokens } from "../src/TokenRetention.ts"

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const days = yield* Config.integer("TOKEN_RETENTION_DAYS").pipe(Config.withDefault(30))
  const db = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(Redacted.value(server.ownerUrl), { max: 1, acrossCustomers: true })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const retiredBefore = new Date(Date.now() - days * 24 * 60 * 60 * 1000)
  const destroyed = yield* destroyRetiredTokens({ db, retiredBefore })
  yield* Effect.log(`cleared the ciphertext of ${destroyed} token(s) retired before ${retiredBefore.toISOString()}`)
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerConfig))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error(`destroying retired tokens failed: ${redactText(String(exit.cause))}`)
    process.exitCode = 1
  }
})
