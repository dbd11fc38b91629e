/**
 * Key rotation, which is also how retired tokens are destroyed for good. `reencryptTokens` moves every live token to
 * the current (first) key and leaves retired ones (replaced, revoked) under the key that sealed them. Once that old
 * key is removed from `TOKEN_ENCRYPTION_KEYS` and deleted, every ciphertext it sealed is noise wherever a copy of it
 * survives: old row versions, WAL, replicas, backups. Nulling a ciphertext (`TokenRetention`) cannot reach those
 * copies; deleting the key does. Runs as the schema owner, across customers, in small batches, each its own
 * transaction.
 */

import { ConnectionId, CustomerId, TokenId } from "@finch-connections/core/Ids"
import type { TokenVault } from "@finch-connections/core/TokenVault"
import { type Array as Arr, Effect } from "effect"
import type { Kysely, Transaction } from "kysely"
import * as AesTokenVault from "./AesTokenVault.ts"
import { acrossCustomers } from "./CustomerTransaction.ts"
import type { Database } from "./Database.ts"
import { query } from "./DatabaseError.ts"

/** What a rotation did. */
export interface RotationSummary {
  readonly reencrypted: number
  /** Live tokens none of the keys opens (their key is missing, or the bytes were altered); left as they are. */
  readonly unreadable: ReadonlyArray<string>
  /** The older keys still sealing retired tokens: deleting a key destroys every token it sealed. */
  readonly retiredUnderOlderKeys: ReadonlyArray<RetiredUnderKey>
}

/** Retired tokens sealed by one key other than the current one. */
export interface RetiredUnderKey {
  readonly keyId: string
  readonly tokens: number
  /** When the most recently retired of them was retired: keep the key until that plus the retention period. */
  readonly lastRetiredAt: Date
}

/**
 * Re-encrypts, under the first of `keys`, every live token sealed with another key. Retired tokens stay under their
 * key, so that deleting it shreds them.
 */
export const reencryptTokens = (options: {
  readonly db: Kysely<Database>
  readonly keys: Arr.NonEmptyReadonlyArray<AesTokenVault.TokenKey>
  readonly batchSize?: number
}) =>
  Effect.gen(function* () {
    const vault = AesTokenVault.make({ keys: options.keys })
    const currentKeyId = options.keys[0].id
    const batchSize = options.batchSize ?? 500
    let reencrypted = 0
    const unreadable: Array<string> = []
    let after = "00000000-0000-0000-0000-000000000000"
    for (;;) {
      const batch = yield* acrossCustomers(options.db, (trx) =>
        reencryptBatch(trx, vault, { currentKeyId, after, batchSize }),
      ).pipe(Effect.orDie)
      reencrypted += batch.reencrypted
      unreadable.push(...batch.unreadable)
      if (batch.last === undefined) break
      after = batch.last
    }
    const retiredUnderOlderKeys = yield* acrossCustomers(options.db, (trx) =>
      query(() =>
        trx
          .selectFrom("access_tokens")
          .select((eb) => [
            "key_id",
            eb.fn.countAll<string>().as("tokens"),
            eb.fn.max<Date>("retired_at").as("last_retired_at"),
          ])
          .where("status", "in", ["replaced", "revoked"])
          .where("key_id", "<>", currentKeyId)
          .groupBy("key_id")
          .orderBy("key_id")
          .execute(),
      ),
    ).pipe(Effect.orDie)
    return {
      reencrypted,
      unreadable,
      retiredUnderOlderKeys: retiredUnderOlderKeys.map((row) => ({
        keyId: row.key_id ?? "",
        tokens: Number(row.tokens),
        lastRetiredAt: row.last_retired_at,
      })),
    } satisfies RotationSummary
  }).pipe(Effect.withSpan("TokenRotation.reencryptTokens"))

/** The next `batchSize` live tokens after id `after` not under the current key, locked and re-encrypted in `trx`. */
const reencryptBatch = (
  trx: Transaction<Database>,
  vault: TokenVault["Type"],
  batch: { readonly currentKeyId: string; readonly after: string; readonly batchSize: number },
) =>
  Effect.gen(function* () {
    const rows = yield* query(() =>
      trx
        .selectFrom("access_tokens")
        .select(["id", "customer_id", "connection_id", "key_id", "nonce", "ciphertext"])
        .where("status", "=", "active")
        .where("key_id", "<>", batch.currentKeyId)
        .where("id", ">", batch.after)
        .orderBy("id")
        .limit(batch.batchSize)
        .forUpdate()
        .execute(),
    )
    let reencrypted = 0
    const unreadable: Array<string> = []
    for (const row of rows) {
      const binding = {
        customerId: CustomerId.make(row.customer_id),
        connectionId: ConnectionId.make(row.connection_id),
        tokenId: TokenId.make(row.id),
      }
      const sealed = { keyId: row.key_id ?? "", nonce: row.nonce!, ciphertext: row.ciphertext! }
      const resealed = yield* vault.open(binding, sealed).pipe(
        Effect.flatMap((token) => vault.seal(binding, token)),
        Effect.option,
      )
      if (resealed._tag === "None") {
        unreadable.push(row.id)
        continue
      }
      yield* query(() =>
        trx
          .updateTable("access_tokens")
          .set({ key_id: resealed.value.keyId, nonce: resealed.value.nonce, ciphertext: resealed.value.ciphertext })
          .where("id", "=", row.id)
          .execute(),
      )
      reencrypted++
    }
    return { last: rows.at(-1)?.id, reencrypted, unreadable }
  })
