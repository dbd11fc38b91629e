import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConnectionId, CustomerId, TokenId } from "@finch-connections/core/Ids"
import { TokenVault } from "@finch-connections/core/TokenVault"
import { ConfigProvider, Effect, Either, Exit, Layer, Redacted, Schema } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import { keysOf } from "./fixtures.ts"

const k1 = AesTokenVault.generateKeyEntry("k1")
const k2 = AesTokenVault.generateKeyEntry("k2")
const binding = {
  customerId: CustomerId.make("acme"),
  connectionId: ConnectionId.make("8d2f8c5e-3d1b-4c39-9a55-0b8b7f6a0c11"),
  tokenId: TokenId.make("4a9f2c1e-7b6d-4e5f-8a9b-0c1d2e3f4a5b"),
}
const token = Redacted.make("tok_sandbox_9f8e7d6c5b4a")

describe("AesTokenVault", () => {
  const vault = AesTokenVault.make({ keys: keysOf(k1) })

  it.effect("opens what it sealed, and the ciphertext does not contain the token", () =>
    Effect.gen(function* () {
      const sealed = yield* vault.seal(binding, token)
      assert.strictEqual(sealed.keyId, "k1")
      assert.strictEqual(sealed.nonce.length, 12)
      assert.isFalse(Buffer.from(sealed.ciphertext).toString("latin1").includes(Redacted.value(token)))
      const opened = yield* vault.open(binding, sealed)
      assert.strictEqual(Redacted.value(opened), Redacted.value(token))
      assert.strictEqual(String(opened), "<redacted>")
    }),
  )

  it.effect("uses a fresh nonce each time", () =>
    Effect.gen(function* () {
      const first = yield* vault.seal(binding, token)
      const second = yield* vault.seal(binding, token)
      assert.notStrictEqual(Buffer.from(first.nonce).toString("hex"), Buffer.from(second.nonce).toString("hex"))
      assert.notStrictEqual(
        Buffer.from(first.ciphertext).toString("hex"),
        Buffer.from(second.ciphertext).toString("hex"),
      )
    }),
  )

  it.effect("refuses a ciphertext moved to another customer, connection or token", () =>
    Effect.gen(function* () {
      const sealed = yield* vault.seal(binding, token)
      for (const elsewhere of [
        { ...binding, customerId: CustomerId.make("globex") },
        { ...binding, connectionId: ConnectionId.make("0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b") },
        { ...binding, tokenId: TokenId.make("1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e") },
      ]) {
        const error = yield* Effect.flip(vault.open(elsewhere, sealed))
        assert.strictEqual(error._tag, "TokenUnreadable")
        assert.strictEqual(error.tokenId, elsewhere.tokenId)
        assert.match(error.reason, /authentication failed/)
        assert.notInclude(error.message, Redacted.value(token))
      }
    }),
  )

  it.effect("refuses altered bytes and unknown keys", () =>
    Effect.gen(function* () {
      const sealed = yield* vault.seal(binding, token)
      const altered = new Uint8Array(sealed.ciphertext)
      altered[0] = (altered[0] ?? 0) ^ 1
      assert.match((yield* Effect.flip(vault.open(binding, { ...sealed, ciphertext: altered }))).reason, /failed/)
      assert.match((yield* Effect.flip(vault.open(binding, { ...sealed, keyId: "k9" }))).reason, /k9 is not configured/)
      const truncated = { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 4) }
      assert.match((yield* Effect.flip(vault.open(binding, truncated))).reason, /malformed/)
    }),
  )

  it.effect("encrypts with the first key and decrypts with any", () =>
    Effect.gen(function* () {
      const before = yield* vault.seal(binding, token)
      const rotated = AesTokenVault.make({ keys: keysOf(`${k2},${k1}`) })
      assert.strictEqual(Redacted.value(yield* rotated.open(binding, before)), Redacted.value(token))
      const after = yield* rotated.seal(binding, token)
      assert.strictEqual(after.keyId, "k2")
      assert.strictEqual((yield* Effect.flip(vault.open(binding, after))).reason, "key k2 is not configured")
    }),
  )

  it.effect.prop("round-trips any token text", [Schema.String], ([text]) =>
    Effect.gen(function* () {
      const opened = yield* vault.open(binding, yield* vault.seal(binding, Redacted.make(text)))
      assert.strictEqual(Redacted.value(opened), text)
    }),
  )
})

describe("AesTokenVault.parseKeys", () => {
  it("reads several keys, the first one first", () => {
    const keys = keysOf(` ${k2} , ${k1} `)
    assert.deepStrictEqual(
      keys.map((key) => key.id),
      ["k2", "k1"],
    )
    assert.strictEqual(Redacted.value(keys[0].key).length, 32)
  })

  it("says what is wrong without echoing the key", () => {
    const secret = Buffer.alloc(16, 7).toString("base64")
    const cases: Array<[string, RegExp]> = [
      ["", /no key given/],
      [`k1:${secret}`, /k1 must be 32 bytes/],
      ["k1:not base64!", /k1 must be 32 bytes/],
      [Buffer.alloc(32).toString("base64"), /<id>:<base64 key>/],
      [`${k1},${k1}`, /k1 appears twice/],
    ]
    for (const [text, expected] of cases) {
      const reason = Either.getLeft(AesTokenVault.parseKeys(text)).pipe((left) =>
        left._tag === "Some" ? left.value : "",
      )
      assert.match(reason, expected)
      assert.notInclude(reason, secret)
    }
  })
})

describe("AesTokenVault.layerConfig", () => {
  const withConfig = (values: Record<string, string>) =>
    Layer.provide(
      AesTokenVault.layerConfig,
      Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(values)))),
    )

  it.effect("reads TOKEN_ENCRYPTION_KEYS", () =>
    Effect.gen(function* () {
      const vault = yield* TokenVault
      assert.strictEqual((yield* vault.seal(binding, token)).keyId, "k2")
    }).pipe(Effect.provide(withConfig({ TOKEN_ENCRYPTION_KEYS: `${k2},${k1}`, DATABASE_URL: "postgres://db/x" }))),
  )

  it.effect("refuses to start against a real server without keys", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Layer.build(withConfig({ DATABASE_URL: "postgres://db/x" })).pipe(Effect.scoped))
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(exit), /TOKEN_ENCRYPTION_KEYS is required/)
    }),
  )

  it.effect("generates one local key into the data folder for the embedded database, and keeps it", () =>
    Effect.gen(function* () {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fc-keys-"))
      try {
        const local = withConfig({ FINCH_CONNECTIONS_DATA_DIR: dataDir })
        const sealed = yield* Effect.flatMap(TokenVault, (vault) => vault.seal(binding, token)).pipe(
          Effect.provide(local),
        )
        const file = AesTokenVault.localKeyFile(dataDir)
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
        const opened = yield* Effect.flatMap(TokenVault, (vault) => vault.open(binding, sealed)).pipe(
          Effect.provide(local),
        )
        assert.strictEqual(Redacted.value(opened), Redacted.value(token))
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    }),
  )
})
