/**
 * The main job's API key: `API_KEYS` when set; otherwise one key made on the first start and kept in the data folder
 * (`api-key`, mode 600), so the next start — and `pnpm demo` — use the same one.
 */
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Config, Effect, Option, Redacted } from "effect"
import * as ApiKeys from "../ApiKeys.ts"

/** Where the stored key lives. */
export const keyFile = (dataDir: string) => path.join(dataDir, "api-key")

/** Reads the stored key, making it first if there is none. */
export const readOrCreate = (dataDir: string): Redacted.Redacted<string> => {
  const file = keyFile(dataDir)
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 })
  }
  chmodSync(file, 0o600)
  return Redacted.make(readFileSync(file, "utf8").trim())
}

/** The keys the API accepts, and the one to print (the first). */
export const resolve = (dataDir: string) =>
  Effect.gen(function* () {
    // A blank API_KEYS counts as unset.
    const raw = yield* Config.option(Config.string("API_KEYS"))
    const configured = Option.exists(raw, (value) => value.trim() !== "")
      ? Option.some(yield* ApiKeys.config)
      : Option.none()
    const keys = Option.getOrElse(configured, () => [readOrCreate(dataDir)])
    return { keys, stored: Option.isNone(configured) }
  })
