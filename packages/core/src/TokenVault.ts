/**
 * The port that encrypts access tokens at rest. The ciphertext is bound to its customer, connection and token id:
 * copied to another row it does not decrypt.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
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
