/**
 * The behaviour every `TokenVault` must have: a sealed token opens only with the binding it was sealed with, tampered
 * bytes never open, and the ciphertext neither repeats nor contains the token.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { ConnectionId, TokenId } from "../src/Ids.ts"
import { type TokenBinding, TokenVault } from "../src/TokenVault.ts"
import * as Fixtures from "./Fixtures.ts"

const binding = (): TokenBinding => ({
  customerId: Fixtures.customerId(),
  connectionId: ConnectionId.make(Fixtures.uuid()),
  tokenId: TokenId.make(Fixtures.uuid()),
})

const contains = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1

/** Registers the `TokenVault` contract for the implementation `layer` provides, under the name `name`. */
export const tokenVaultContract = <E>(name: string, layer_: Layer.Layer<TokenVault, E>): void => {
  layer(layer_, { excludeTestServices: true })(`TokenVault contract: ${name}`, (it) => {
    it.effect("a sealed token opens with its binding", () =>
      Effect.gen(function* () {
        const vault = yield* TokenVault
        const bound = binding()
        const token = Fixtures.accessToken()
        const sealed = yield* vault.seal(bound, token)
        assert.strictEqual(Redacted.value(yield* vault.open(bound, sealed)), Redacted.value(token))
      }),
    )

    it.effect("the ciphertext does not contain the token, and sealing twice differs", () =>
      Effect.gen(function* () {
        const vault = yield* TokenVault
        const bound = binding()
        const token = Fixtures.accessToken()
        const first = yield* vault.seal(bound, token)
        const second = yield* vault.seal(bound, token)
        assert.isFalse(contains(first.ciphertext, new TextEncoder().encode(Redacted.value(token))))
        assert.notDeepEqual(Buffer.from(first.ciphertext), Buffer.from(second.ciphertext))
      }),
    )

    it.effect("another customer, connection or token id does not open it", () =>
      Effect.gen(function* () {
        const vault = yield* TokenVault
        const bound = binding()
        const sealed = yield* vault.seal(bound, Fixtures.accessToken())
        const other = binding()
        for (const wrong of [
          { ...bound, customerId: other.customerId },
          { ...bound, connectionId: other.connectionId },
          { ...bound, tokenId: other.tokenId },
        ]) {
          const error = yield* Effect.flip(vault.open(wrong, sealed))
          assert.strictEqual(error._tag, "TokenUnreadable")
          assert.strictEqual(error.tokenId, wrong.tokenId)
        }
      }),
    )

    it.effect("tampered ciphertext or nonce does not open, and the error never carries the token", () =>
      Effect.gen(function* () {
        const vault = yield* TokenVault
        const bound = binding()
        const token = Fixtures.accessToken()
        const sealed = yield* vault.seal(bound, token)
        const flipped = (bytes: Uint8Array, at: number) => {
          const copy = Uint8Array.from(bytes)
          copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ 0x01
          return copy
        }
        for (const tampered of [
          { ...sealed, ciphertext: flipped(sealed.ciphertext, 0) },
          { ...sealed, ciphertext: flipped(sealed.ciphertext, sealed.ciphertext.length - 1) },
          { ...sealed, nonce: flipped(sealed.nonce, 0) },
        ]) {
          const error = yield* Effect.flip(vault.open(bound, tampered))
          assert.strictEqual(error._tag, "TokenUnreadable")
          assert.notInclude(error.message, Redacted.value(token))
          assert.notInclude(JSON.stringify(error), Redacted.value(token))
        }
      }),
    )
  })
}
