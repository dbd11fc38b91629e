import { assert, layer } from "@effect/vitest"
import { ConnectionId, CustomerId, TokenId } from "@finch-connections/core/Ids"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Effect, Either, Redacted } from "effect"
import { type Kysely, sql } from "kysely"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import type { Database } from "../src/Database.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import { PgDatabase } from "../src/PgDatabase.ts"
import { destroyRetiredTokens } from "../src/TokenRetention.ts"
import { reencryptTokens } from "../src/TokenRotation.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { keysOf } from "./fixtures.ts"

const k1 = AesTokenVault.generateKeyEntry("k1")
const k2 = AesTokenVault.generateKeyEntry("k2")

/** A value as stored on a heap page: a varlena with its 1-byte or 4-byte header (too small to be compressed). */
const varlena = (raw: Uint8Array | null): Buffer | null => {
  if (raw === null) return null
  const bytes = Buffer.from(raw)
  if ((bytes[0]! & 0x01) === 0x01) return bytes.subarray(1, bytes[0]! >> 1)
  if ((bytes[0]! & 0x03) === 0x00) return bytes.subarray(4, bytes.readUInt32LE(0) >> 2)
  throw new Error("a compressed or external value: not expected for a token")
}

const uuid = (raw: Uint8Array) => {
  const hex = Buffer.from(raw).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Every version of every `access_tokens` row still on the table's pages, dead ones included, read raw. */
const rawTokenVersions = (owner: Kysely<Database>) =>
  Effect.promise(async () => {
    const { rows } = await sql<{ attributes: Array<Uint8Array | null> }>`
      select tuple_data_split('access_tokens'::regclass, t_data, t_infomask, t_infomask2, t_bits) as attributes
      from generate_series(0, (pg_relation_size('access_tokens') / current_setting('block_size')::int)::int - 1) block
        cross join lateral heap_page_items(get_raw_page('access_tokens', block))
      where t_data is not null`.execute(owner)
    // Columns in table order: id, customer_id, connection_id, account_id, key_id, nonce, ciphertext, …
    return rows.map(({ attributes: [id, customer, connection, , keyId, nonce, ciphertext] }) => ({
      id: uuid(id!),
      customerId: varlena(customer!)!.toString("utf8"),
      connectionId: uuid(connection!),
      keyId: varlena(keyId ?? null)?.toString("utf8") ?? null,
      nonce: varlena(nonce ?? null),
      ciphertext: varlena(ciphertext ?? null),
    }))
  })

layer(TestDatabase.layerPgDatabase())("reencryptTokens", (it) => {
  it.effect("re-encrypts every live token under the new first key; the old key can then go", () =>
    Effect.gen(function* () {
      const db = yield* PgDatabase
      const owner = yield* TestDatabase.ownerKysely
      const customers = PgCustomerRepository.make({ db })
      const before = PgConnectionRepository.make({ db, vault: AesTokenVault.make({ keys: keysOf(k1) }) })
      const customerId = (yield* customers.create(Fixtures.customer())).id
      const tokens = Array.from({ length: 7 }, () => Fixtures.accessToken())
      const recorded = yield* Effect.forEach(tokens, (token, i) =>
        before.recordToken({
          customerId,
          introspection: Fixtures.introspection({ provider: "gusto", company: `c-${i}`, account: "a" }),
          accessToken: token,
        }),
      )
      // One token sealed under a key nobody has any more: reported, left alone.
      const lost = AesTokenVault.make({ keys: keysOf(AesTokenVault.generateKeyEntry("k0")) })
      const orphan = yield* PgConnectionRepository.make({ db, vault: lost }).recordToken({
        customerId,
        introspection: Fixtures.introspection({ provider: "gusto", company: "c-lost", account: "a" }),
        accessToken: Fixtures.accessToken(),
      })

      const summary = yield* reencryptTokens({ db: owner, keys: keysOf(`${k2},${k1}`), batchSize: 3 })
      assert.strictEqual(summary.reencrypted, 7)
      assert.deepStrictEqual(summary.unreadable, [orphan.account.tokenId])
      const keyIds = yield* Effect.promise(() =>
        owner.selectFrom("access_tokens").select(["id", "key_id"]).orderBy("id").execute(),
      )
      for (const row of keyIds) assert.strictEqual(row.key_id, row.id === orphan.account.tokenId ? "k0" : "k2")

      const after = PgConnectionRepository.make({ db, vault: AesTokenVault.make({ keys: keysOf(k2) }) })
      for (const [i, result] of recorded.entries()) {
        const opened = yield* after.openToken({
          customerId,
          connectionId: result.connection.id,
          need: { products: [] },
        })
        assert.strictEqual(Redacted.value(opened.token), Redacted.value(tokens[i]!))
      }
      const again = yield* reencryptTokens({ db: owner, keys: keysOf(`${k2},${k1}`) })
      assert.strictEqual(again.reencrypted, 0)
    }).pipe(Effect.scoped),
  )
})

// A database of its own: only this case's row versions on the pages, far from full, so none is pruned early.
layer(TestDatabase.layerPgDatabase())("reencryptTokens and the pages", (it) => {
  it.effect(
    "leaves retired tokens under their key: once it is dropped, no copy opens, not even read raw from the pages",
    () =>
      Effect.gen(function* () {
        const db = yield* PgDatabase
        const owner = yield* TestDatabase.ownerKysely
        yield* Effect.promise(async () => {
          await sql`create extension if not exists pageinspect`.execute(owner)
          // Keep every dead row version where it is: the point is what a copy of the files would hold.
          await sql`alter table access_tokens set (autovacuum_enabled = false)`.execute(owner)
        })
        const repository = PgConnectionRepository.make({ db, vault: AesTokenVault.make({ keys: keysOf(k1) }) })
        const customerId = (yield* PgCustomerRepository.make({ db }).create(Fixtures.customer())).id
        const introspection = Fixtures.oldModelToken()
        const retiredToken = Fixtures.accessToken()
        const retired = yield* repository.recordToken({ customerId, introspection, accessToken: retiredToken })
        const live = yield* repository.recordToken({ customerId, introspection, accessToken: Fixtures.accessToken() })

        const summary = yield* reencryptTokens({ db: owner, keys: keysOf(`${k2},${k1}`) })
        const keyOf = (id: string) =>
          Effect.promise(() =>
            owner
              .selectFrom("access_tokens")
              .select(["key_id", "status"])
              .where("id", "=", id)
              .executeTakeFirstOrThrow(),
          )
        assert.deepStrictEqual(yield* keyOf(retired.account.tokenId), { key_id: "k1", status: "replaced" })
        assert.deepStrictEqual(yield* keyOf(live.account.tokenId), { key_id: "k2", status: "active" })
        const underK1 = summary.retiredUnderOlderKeys.find((older) => older.keyId === "k1")
        assert.isAtLeast(underK1?.tokens ?? 0, 1)
        // Clearing the ciphertext from the table is not destroying it: the old row version is still on the page.
        yield* destroyRetiredTokens({ db: owner, retiredBefore: new Date(Date.now() + 60_000) })

        const versions = (yield* rawTokenVersions(owner)).filter((version) => version.id === retired.account.tokenId)
        const sealed = versions.filter((version) => version.ciphertext !== null)
        assert.isAtLeast(versions.length, 2)
        assert.isAtLeast(sealed.length, 1)
        const open = (keys: string) =>
          Effect.forEach(sealed, (version) =>
            AesTokenVault.make({ keys: keysOf(keys) })
              .open(
                {
                  customerId: CustomerId.make(version.customerId),
                  connectionId: ConnectionId.make(version.connectionId),
                  tokenId: TokenId.make(version.id),
                },
                { keyId: version.keyId!, nonce: version.nonce!, ciphertext: version.ciphertext! },
              )
              .pipe(Effect.map(Redacted.value), Effect.either),
          )
        // With k1 still around, the page copy opens: this is what a backup plus the old key would give.
        for (const opened of yield* open(`${k2},${k1}`)) {
          assert.deepStrictEqual(opened, Either.right(Redacted.value(retiredToken)))
        }
        // k1 dropped: every copy of the retired token is unreadable.
        for (const opened of yield* open(k2)) {
          assert.isTrue(Either.isLeft(opened))
          if (Either.isLeft(opened)) assert.strictEqual(opened.left._tag, "TokenUnreadable")
        }
        // The live token moved to k2 and still opens without k1.
        const after = PgConnectionRepository.make({ db, vault: AesTokenVault.make({ keys: keysOf(k2) }) })
        const opened = yield* after.openToken({
          customerId,
          connectionId: live.connection.id,
          need: { products: [] },
        })
        assert.isString(Redacted.value(opened.token))
      }).pipe(Effect.scoped),
  )
})
