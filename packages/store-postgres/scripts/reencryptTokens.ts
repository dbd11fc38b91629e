/**
 * `pnpm --filter @finch-connections/store-postgres reencrypt-tokens`: re-encrypts every stored access token under the
 * first key of `TOKEN_ENCRYPTION_KEYS`, and says which older keys still seal retired tokens (see
 * `src/TokenRotation.ts`). Runs as the owner's login (`DATABASE_MIGRATION_URL`, else `DATABASE_URL`).
 */
import { Effect, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import * as DatabaseServer from "../src/DatabaseServer.ts"
import { redactText } from "../src/Redaction.ts"
import { reencryptTokens } from "../src/TokenRotation.ts"

const program = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const keys = yield* AesTokenVault.configuredKeys
  const db = yield* Effect.acquireRelease(
    Effect.sync(() => makeKysely<Database>(Redacted.value(server.ownerUrl), { max: 1, acrossCustomers: true })),
    (db) => Effect.promise(() => db.destroy()),
  )
  const summary = yield* reencryptTokens({ db, keys })
  yield* Effect.log(`re-encrypted ${summary.reencrypted} token(s) under key ${keys[0].id}`)
  for (const older of summary.retiredUnderOlderKeys) {
    yield* Effect.log(
      `key ${older.keyId} still seals ${older.tokens} retired token(s), the last retired ${older.lastRetiredAt.toISOString()}: ` +
        "deleting the key destroys them for good (backups included); keep it only while they may still be needed",
    )
  }
  if (summary.unreadable.length > 0) {
    yield* Effect.logWarning(
      `${summary.unreadable.length} token(s) open with none of the configured keys and were left as they are: ` +
        summary.unreadable.join(", "),
    )
  }
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(DatabaseServer.layerConfig))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error(`re-encryption failed: ${redactText(String(exit.cause))}`)
    process.exitCode = 1
  }
})
