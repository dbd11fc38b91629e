/**
 * Server-to-server authentication: the application's API keys from `API_KEYS` (comma-separated, several at once so a
 * key can be rotated without downtime). Only their SHA-256 hashes are kept; a presented key is hashed and compared
 * with every stored hash in constant time, so neither timing nor an early exit tells how close a guess was.
 */
import { hash } from "node:crypto"
import { Config, Context, Layer, Redacted } from "effect"

/** Checks a presented API key. */
export class ApiKeys extends Context.Tag("@finch-connections/api/ApiKeys")<
  ApiKeys,
  {
    /** Whether `presented` is one of the configured keys. */
    readonly verify: (presented: string) => boolean
  }
>() {}

// Hex text: Node's one-shot hash makes a string faster than a Buffer, and this runs on every request.
const sha256 = (text: string) => hash("sha256", text, "hex")

/** Whether two hex digests of one length are equal, looking at every character whatever they hold. */
const sameDigest = (a: string, b: string) => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

/** The checker for `keys` (at least one; blank entries are ignored). */
export const make = (keys: ReadonlyArray<Redacted.Redacted<string>>): ApiKeys["Type"] => {
  const hashes = keys
    .map((key) => Redacted.value(key).trim())
    .filter((key) => key !== "")
    .map(sha256)
  if (hashes.length === 0) throw new Error("at least one API key is needed")
  return ApiKeys.of({
    verify: (presented) => {
      const hash = sha256(presented)
      let matched = false
      for (const stored of hashes) matched = sameDigest(hash, stored) || matched
      return matched
    },
  })
}

/** The keys as a layer. */
export const layer = (keys: ReadonlyArray<Redacted.Redacted<string>>) => Layer.sync(ApiKeys, () => make(keys))

/** The keys from `API_KEYS`: `key1,key2` (the new key first while rotating; both are accepted). */
export const config: Config.Config<ReadonlyArray<Redacted.Redacted<string>>> = Config.redacted("API_KEYS").pipe(
  Config.map((all) =>
    Redacted.value(all)
      .split(",")
      .map((key) => key.trim())
      .filter((key) => key !== "")
      .map((key) => Redacted.make(key)),
  ),
  Config.validate({ message: "API_KEYS must name at least one key", validation: (keys) => keys.length > 0 }),
)

/** `layer` with the keys from `API_KEYS`. */
export const layerConfig = Layer.unwrapEffect(Config.map(config, layer))
