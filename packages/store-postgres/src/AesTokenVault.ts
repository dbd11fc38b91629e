/**
 * core's `TokenVault` with AES-256-GCM (node:crypto). The authenticated data binds each ciphertext to its customer,
 * connection and token id, so a ciphertext copied to another row does not open. Several keys, each with an id: the
 * first encrypts, all decrypt, which is how keys rotate (see `TokenRotation.ts`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import type { TokenBinding } from "@finch-connections/core/TokenVault"
import { type SealedToken, TokenUnreadable, TokenVault } from "@finch-connections/core/TokenVault"
import { Array as Arr, Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import { defaultDataDir } from "./DatabaseServer.ts"

/** One encryption key and the id stored beside every ciphertext it made. */
export interface TokenKey {
  readonly id: string
  readonly key: Redacted.Redacted<Uint8Array>
}

const algorithm = "aes-256-gcm"
const nonceBytes = 12
const tagBytes = 16
const keyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * Parses `TOKEN_ENCRYPTION_KEYS`: comma-separated `id:base64` entries of 32-byte keys, the encrypting key first,
 * e.g. `k2:…,k1:…`.
 */
export const parseKeys = (text: string): Either.Either<Arr.NonEmptyReadonlyArray<TokenKey>, string> => {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
  const keys: Array<TokenKey> = []
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(":")
    const id = separator > 0 ? entry.slice(0, separator) : ""
    if (!keyIdPattern.test(id)) {
      return Either.left(`entry ${index + 1} needs the form <id>:<base64 key>, the id made of letters, digits, _ . -`)
    }
    const encoded = entry.slice(separator + 1)
    const key = Buffer.from(encoded, "base64")
    if (key.length !== 32 || key.toString("base64").replace(/=+$/, "") !== encoded.replace(/=+$/, "")) {
      return Either.left(`key ${id} must be 32 bytes in base64 (e.g. from \`openssl rand -base64 32\`)`)
    }
    if (keys.some((known) => known.id === id)) return Either.left(`key id ${id} appears twice`)
    keys.push({ id, key: Redacted.make(new Uint8Array(key)) })
  }
  return Arr.isNonEmptyReadonlyArray(keys) ? Either.right(keys) : Either.left("no key given")
}

/** A fresh key entry in the `TOKEN_ENCRYPTION_KEYS` form. */
export const generateKeyEntry = (id: string): string => `${id}:${randomBytes(32).toString("base64")}`

/** The authenticated data: which customer, connection and token the ciphertext belongs to. */
const associatedData = (binding: TokenBinding): Buffer =>
  Buffer.from(
    `finch-connections/access-token/v1\n${JSON.stringify([binding.customerId, binding.connectionId, binding.tokenId])}`,
    "utf8",
  )

/** Builds the vault over `keys`; the first one encrypts. */
export const make = (options: { readonly keys: Arr.NonEmptyReadonlyArray<TokenKey> }): TokenVault["Type"] => {
  const current = Arr.headNonEmpty(options.keys)
  const byId = new Map(options.keys.map((key) => [key.id, key]))
  return TokenVault.of({
    seal: Effect.fn("TokenVault.seal")(function* (binding, token) {
      yield* Effect.annotateCurrentSpan({ connectionId: binding.connectionId, tokenId: binding.tokenId })
      const nonce = randomBytes(nonceBytes)
      const cipher = createCipheriv(algorithm, Redacted.value(current.key), nonce, { authTagLength: tagBytes })
      cipher.setAAD(associatedData(binding))
      const ciphertext = Buffer.concat([
        cipher.update(Redacted.value(token), "utf8"),
        cipher.final(),
        cipher.getAuthTag(),
      ])
      return { keyId: current.id, nonce: new Uint8Array(nonce), ciphertext: new Uint8Array(ciphertext) }
    }),
    open: Effect.fn("TokenVault.open")(function* (binding, sealed: SealedToken) {
      yield* Effect.annotateCurrentSpan({ connectionId: binding.connectionId, tokenId: binding.tokenId })
      const unreadable = (reason: string) => new TokenUnreadable({ ...binding, reason })
      const key = byId.get(sealed.keyId)
      if (key === undefined) return yield* unreadable(`key ${sealed.keyId} is not configured`)
      if (sealed.nonce.length !== nonceBytes || sealed.ciphertext.length < tagBytes) {
        return yield* unreadable("the stored ciphertext is malformed")
      }
      const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - tagBytes)
      const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - tagBytes)
      return yield* Effect.try({
        try: () => {
          const decipher = createDecipheriv(algorithm, Redacted.value(key.key), sealed.nonce, {
            authTagLength: tagBytes,
          })
          decipher.setAAD(associatedData(binding))
          decipher.setAuthTag(tag)
          return Redacted.make(Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8"))
        },
        catch: () => unreadable("authentication failed: wrong key, another row's ciphertext, or altered bytes"),
      })
    }),
  })
}

/** The vault over the given keys. */
export const layer = (options: { readonly keys: Arr.NonEmptyReadonlyArray<TokenKey> }) =>
  Layer.succeed(TokenVault, make(options))

/** The file holding the key generated for local use, in the data folder. */
export const localKeyFile = (dataDir: string): string => path.join(dataDir, "token-encryption-keys")

/**
 * The key generated once into `dataDir` for local use (made on first call, readable by its owner only). Concurrent
 * first calls agree on one key: only one of them creates the file.
 */
export const localKeys = (
  dataDir: string,
): Effect.Effect<Arr.NonEmptyReadonlyArray<TokenKey>, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const file = localKeyFile(dataDir)
    const created = yield* Effect.sync(() => {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      try {
        fs.writeFileSync(file, `${generateKeyEntry("local1")}\n`, { mode: 0o600, flag: "wx" })
        return true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
        throw error
      }
    })
    yield* Effect.logWarning(
      `TOKEN_ENCRYPTION_KEYS is not set: access tokens are encrypted with a key ${created ? "just generated" : "generated earlier"} ` +
        `in ${file}. This is for local use only: set TOKEN_ENCRYPTION_KEYS in any shared environment, and keep ` +
        "the key file — without it the stored tokens cannot be decrypted.",
    )
    const text = yield* Effect.sync(() => fs.readFileSync(file, "utf8"))
    return yield* Either.match(parseKeys(text), {
      onLeft: (reason) => Effect.fail(ConfigError.InvalidData([], `${file}: ${reason}`)),
      onRight: Effect.succeed,
    })
  })

/** The keys from `TOKEN_ENCRYPTION_KEYS` (a secret, never logged). */
export const keysConfig: Config.Config<Arr.NonEmptyReadonlyArray<TokenKey>> = Config.redacted(
  "TOKEN_ENCRYPTION_KEYS",
).pipe(
  Config.mapOrFail((text) =>
    Either.mapLeft(parseKeys(Redacted.value(text)), (reason) =>
      ConfigError.InvalidData(["TOKEN_ENCRYPTION_KEYS"], reason),
    ),
  ),
)

/**
 * Keys from `TOKEN_ENCRYPTION_KEYS`. Without it, and only with the embedded database (no `DATABASE_URL`), a key
 * generated once into the data folder (`FINCH_CONNECTIONS_DATA_DIR`), with a warning; with a real server and no keys
 * it refuses to start.
 */
export const configuredKeys: Effect.Effect<Arr.NonEmptyReadonlyArray<TokenKey>, ConfigError.ConfigError> = Effect.gen(
  function* () {
    const configured = yield* Config.option(keysConfig)
    if (Option.isSome(configured)) return configured.value
    const databaseUrl = yield* Config.option(Config.redacted("DATABASE_URL"))
    if (Option.exists(databaseUrl, (url) => Redacted.value(url) !== "")) {
      return yield* Effect.fail(
        ConfigError.MissingData(
          ["TOKEN_ENCRYPTION_KEYS"],
          "TOKEN_ENCRYPTION_KEYS is required when DATABASE_URL is set (e.g. k1:$(openssl rand -base64 32))",
        ),
      )
    }
    const dataDir = yield* Config.string("FINCH_CONNECTIONS_DATA_DIR").pipe(Config.withDefault(defaultDataDir()))
    return yield* localKeys(dataDir)
  },
)

/** The vault over `configuredKeys`. */
export const layerConfig = Layer.effect(
  TokenVault,
  Effect.map(configuredKeys, (keys) => make({ keys })),
)
