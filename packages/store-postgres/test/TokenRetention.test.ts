import { assert, layer } from "@effect/vitest"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Effect, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import { PgDatabase } from "../src/PgDatabase.ts"
import { destroyRetiredTokens } from "../src/TokenRetention.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { keysOf } from "./fixtures.ts"

const keys = keysOf(AesTokenVault.generateKeyEntry("k1"))

layer(TestDatabase.layerPgDatabase(), { excludeTestServices: true })("destroyRetiredTokens", (it) => {
  it.effect("shreds tokens retired before the cutoff, keeps newer retired ones and every active one", () =>
    Effect.gen(function* () {
      const db = yield* PgDatabase
      const owner = yield* TestDatabase.ownerKysely
      const repository = PgConnectionRepository.make({ db, vault: AesTokenVault.make({ keys }) })
      const customerId = (yield* PgCustomerRepository.make({ db }).create(Fixtures.customer())).id
      const introspection = Fixtures.oldModelToken()
      const record = (token: Redacted.Redacted<string>) =>
        repository.recordToken({ customerId, introspection, accessToken: token })
      const first = yield* record(Fixtures.accessToken())
      const second = yield* record(Fixtures.accessToken())
      const latest = Fixtures.accessToken()
      yield* record(latest)
      // The first token was retired long ago, the second just now.
      yield* Effect.promise(() =>
        owner
          .updateTable("access_tokens")
          .set({ retired_at: new Date("2020-01-01T00:00:00Z") })
          .where("id", "=", first.account.tokenId)
          .execute(),
      )
      assert.strictEqual(yield* destroyRetiredTokens({ db: owner, retiredBefore: new Date("2021-01-01T00:00:00Z") }), 1)
      const rows = yield* Effect.promise(() =>
        owner.selectFrom("access_tokens").select(["id", "status", "ciphertext"]).orderBy("created_at").execute(),
      )
      assert.deepStrictEqual(
        rows.map((row) => [row.id, row.status, row.ciphertext === null]),
        [
          [first.account.tokenId, "destroyed", true],
          [second.account.tokenId, "replaced", false],
          [rows[2]!.id, "active", false],
        ],
      )
      const opened = yield* repository.openToken({
        customerId,
        connectionId: first.connection.id,
        need: { products: [] },
      })
      assert.strictEqual(Redacted.value(opened.token), Redacted.value(latest))
    }).pipe(Effect.scoped),
  )
})
