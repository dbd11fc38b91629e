/**
 * `pnpm demo`: walks the seed's scenarios against the running main job (`pnpm start` in another terminal), through
 * the HTTP API only, printing each step and its outcome; then lists what the demo customer holds.
 */

import { NodeRuntime } from "@effect/platform-node"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import { Config, Console, Effect, Redacted } from "effect"
import * as Demo from "./main/Demo.ts"
import * as StoredApiKey from "./main/StoredApiKey.ts"

const program = Effect.gen(function* () {
  const dataDir = yield* Config.string("FINCH_CONNECTIONS_DATA_DIR").pipe(
    Config.withDefault(DatabaseServer.defaultDataDir()),
  )
  const running = yield* Effect.try({
    try: () => Demo.readRunInfo(dataDir),
    catch: () => new Error(`no running main job found in ${dataDir}: start it with \`pnpm start\` first`),
  })
  const apiKey = Redacted.value(StoredApiKey.readOrCreate(dataDir))
  const target = { ...running, apiKey }
  yield* Console.log(`api: ${target.apiUrl}  finch: ${target.sandboxUrl}`)
  const ids = yield* Demo.walk(target, { onlyIfNew: false, say: (line) => console.log(`  ${line}`) })
  yield* Console.log(`the demo customer has ${ids.length} connections touched by this walk`)
  yield* Console.log(`page: ${yield* Demo.pageLink(target)}`)
})

NodeRuntime.runMain(program)
