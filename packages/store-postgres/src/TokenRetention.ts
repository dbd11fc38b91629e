/**
 * Retention of retired tokens: a token replaced after reauthentication (or revoked) keeps its ciphertext for a while,
 * so nothing is lost if the new one turns out bad; once retired long enough its key material is destroyed. The row
 * stays for the audit trail. Runs as the schema owner, across customers.
 */
import { Effect } from "effect"
import type { Kysely } from "kysely"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"

/** Destroys the key material of tokens retired before `retiredBefore`; returns how many were destroyed. */
export const destroyRetiredTokens = (options: { readonly db: Kysely<Database>; readonly retiredBefore: Date }) =>
  query(() =>
    options.db
      .updateTable("access_tokens")
      .set({ status: "destroyed", key_id: null, nonce: null, ciphertext: null })
      .where("status", "in", ["replaced", "revoked"])
      .where("retired_at", "<", options.retiredBefore)
      .executeTakeFirst(),
  ).pipe(
    Effect.map((result) => Number(result.numUpdatedRows)),
    Effect.orDie,
    Effect.withSpan("TokenRetention.destroyRetiredTokens"),
  )
