/**
 * `pnpm --filter @finch-connections/store-postgres reencrypt-tokens`: re-encrypts every stored access token under the
 * first key of `TOKEN_ENCRYPTION_KEYS` (see `src/TokenRotation.ts`). Run it as the owner of the schema.
 */
import { Effect, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import { reencryptTokens } from "../src/TokenRotation.ts"

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const keys = yield* AesTokenVault.configuredKeys
  const db = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(Redacted.value(server.url), { max: 1 })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const summary = yield* reencryptTokens({ db, keys })
  yield* Effect.log(`re-encrypted ${summary.reencrypted} token(s) under key ${keys[0].id}`)
  if (summary.unreadable.length > 0) {
    yield* Effect.logWarning(
      `${summary.unreadable.length} token(s) open with none of the configured keys and were left as they are: ` +
        summary.unreadable.join(", "),
    )
  }
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerConfig))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error(`re-encryption failed: ${exit.cause}`)
    process.exitCode = 1
  }
})
