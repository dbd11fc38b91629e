/**
 * The port that encrypts access tokens at rest. The ciphertext is bound to its customer, connection and token id:
 * copied to another row it does not decrypt.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { ConnectionId, CustomerId, TokenId } from "./Ids.ts"

/** What a ciphertext is bound to (the authenticated data). */
export interface TokenBinding {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly tokenId: TokenId
}

/** An encrypted token as stored: which key, the nonce, and the ciphertext with its authentication tag. */
export interface SealedToken {
  readonly keyId: string
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
}

/** The ciphertext does not open: wrong binding, unknown key, or tampered bytes. */
export class TokenUnreadable extends Schema.TaggedError<TokenUnreadable>()("TokenUnreadable", {
  customerId: CustomerId,
  connectionId: ConnectionId,
  tokenId: TokenId,
  reason: Schema.String,
}) {
  override get message() {
    return `token ${this.tokenId} of connection ${this.connectionId} cannot be decrypted: ${this.reason}`
  }
}

/** Encryption of tokens at rest. */
export class TokenVault extends Context.Tag("@finch-connections/core/TokenVault")<
  TokenVault,
  {
    /** Encrypts `token` with the current key, bound to `binding`. */
    readonly seal: (binding: TokenBinding, token: Redacted.Redacted<string>) => Effect.Effect<SealedToken>
    /** Decrypts a sealed token; fails when the binding or the bytes do not match. */
    readonly open: (
      binding: TokenBinding,
      sealed: SealedToken,
    ) => Effect.Effect<Redacted.Redacted<string>, TokenUnreadable>
  }
>() {}

const fnv1a = (bytes: Uint8Array): number => {
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash
}

const bindingText = (binding: TokenBinding) =>
  `${binding.customerId}\u0000${binding.connectionId}\u0000${binding.tokenId}\u0000`

const mask = (bytes: Uint8Array, nonce: Uint8Array) =>
  bytes.map((byte, i) => byte ^ (nonce[i % nonce.length] ?? 0) ^ (i & 0xff))

/**
 * A fake vault for tests: NOT encryption (the bytes are only masked), but it keeps the contract — a ciphertext opens
 * only with the binding it was sealed with, tampered bytes are refused, and two seals of one token differ.
 */
export const makeMemory: TokenVault["Type"] = {
  seal: (binding, token) =>
    Effect.sync(() => {
      const nonce = globalThis.crypto.getRandomValues(new Uint8Array(12))
      const payload = new TextEncoder().encode(bindingText(binding) + Redacted.value(token))
      const ciphertext = new Uint8Array(payload.length + 4)
      ciphertext.set(mask(payload, nonce))
      new DataView(ciphertext.buffer).setUint32(payload.length, fnv1a(payload))
      return { keyId: "memory", nonce, ciphertext }
    }),
  open: (binding, sealed) =>
    Effect.suspend(() => {
      const refuse = (reason: string) => Effect.fail(new TokenUnreadable({ ...pickBinding(binding), reason }))
      if (sealed.keyId !== "memory") return refuse(`unknown key ${sealed.keyId}`)
      if (sealed.ciphertext.length < 4) return refuse("ciphertext too short")
      const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - 4)
      const payload = mask(body, sealed.nonce)
      const tag = new DataView(sealed.ciphertext.buffer, sealed.ciphertext.byteOffset).getUint32(body.length)
      if (tag !== fnv1a(payload)) return refuse("authentication failed")
      const text = new TextDecoder().decode(payload)
      const prefix = bindingText(binding)
      if (!text.startsWith(prefix)) return refuse("authentication failed")
      return Effect.succeed(Redacted.make(text.slice(prefix.length)))
    }),
}

const pickBinding = (binding: TokenBinding): TokenBinding => ({
  customerId: binding.customerId,
  connectionId: binding.connectionId,
  tokenId: binding.tokenId,
})

/** `TokenVault` as the masking fake of `makeMemory`. */
export const layerMemory: Layer.Layer<TokenVault> = Layer.succeed(TokenVault, makeMemory)
