/**
 * Retention of retired tokens: a token replaced after reauthentication (or revoked) keeps its ciphertext for a while,
 * so nothing is lost if the new one turns out bad; once retired long enough its ciphertext is cleared from the table,
 * so no session can use it any more. The row stays for the audit trail. Clearing is not destroying: old row versions,
 * WAL and backups still hold the ciphertext, and it opens as long as its key exists. What destroys it is deleting the
 * key that sealed it after a rotation (see `TokenRotation.ts`). Runs as the schema owner, across customers.
 */
import { Effect } from "effect"
import type { Kysely } from "kysely"
import { acrossCustomers } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"

/**
 * Clears the ciphertext of tokens retired before `retiredBefore` (status `destroyed`); returns how many. The key
 * that sealed them must still be deleted for the copies outside the table to become unreadable.
 */
export const destroyRetiredTokens = (options: { readonly db: Kysely<Database>; readonly retiredBefore: Date }) =>
  acrossCustomers(options.db, (trx) =>
    query(() =>
      trx
        .updateTable("access_tokens")
        .set({ status: "destroyed", key_id: null, nonce: null, ciphertext: null })
        .where("status", "in", ["replaced", "revoked"])
        .where("retired_at", "<", options.retiredBefore)
        .executeTakeFirst(),
    ),
  ).pipe(
    Effect.map((result) => Number(result.numUpdatedRows)),
    Effect.orDie,
    Effect.withSpan("TokenRetention.destroyRetiredTokens"),
  )
