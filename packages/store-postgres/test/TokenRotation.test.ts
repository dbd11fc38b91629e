import { assert, layer } from "@effect/vitest"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Effect, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import { PgDatabase } from "../src/PgDatabase.ts"
import { reencryptTokens } from "../src/TokenRotation.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { keysOf } from "./fixtures.ts"

const k1 = AesTokenVault.generateKeyEntry("k1")
const k2 = AesTokenVault.generateKeyEntry("k2")

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
