/**
 * Which PostgreSQL server the project talks to: the one `DATABASE_URL` names, or an embedded one started on demand
 * in a data folder under `.data/` (kept between runs).
 */
import * as path from "node:path"
import { Config, Context, Data, Effect, Layer, Option, Redacted } from "effect"
import { startEmbeddedServer } from "./internal/embeddedServer.ts"
import { repositoryRoot } from "./internal/repositoryRoot.ts"

/** The server in use: its connection URL (a secret: it may carry a password) and whether we started it. */
export class DatabaseServer extends Context.Tag("@finch-connections/store-postgres/DatabaseServer")<
  DatabaseServer,
  { readonly url: Redacted.Redacted<string>; readonly embedded: boolean }
>() {}

/** The embedded server could not be started; `reason` says why in words a person can act on. */
export class DatabaseServerError extends Data.TaggedError("DatabaseServerError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** The default folder for everything the project keeps on disk. */
export const defaultDataDir = (): string => path.join(repositoryRoot(), ".data")

/** Starts an embedded server in `dataDir` for the life of the scope. */
export const embedded = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => startEmbeddedServer(dataDir),
      catch: (error) => new DatabaseServerError({ reason: error instanceof Error ? error.message : String(error) }),
    }),
    (server) => Effect.promise(() => server.stop()),
  ).pipe(Effect.map((server) => ({ url: Redacted.make(server.url), embedded: true })))

/** `url` when given, otherwise an embedded server in `<dataDir>/postgres`. */
export const make = (options: { readonly url: Option.Option<Redacted.Redacted<string>>; readonly dataDir: string }) =>
  Option.match(options.url, {
    onSome: (url) => Effect.succeed({ url, embedded: false }),
    onNone: () => embedded(path.join(options.dataDir, "postgres")),
  })

/** The server from `DATABASE_URL`, or an embedded one in `FINCH_CONNECTIONS_DATA_DIR` (default `.data/`). */
export const layerConfig = Layer.scoped(
  DatabaseServer,
  Effect.gen(function* () {
    const url = yield* Config.option(Config.redacted("DATABASE_URL"))
    const dataDir = yield* Config.string("FINCH_CONNECTIONS_DATA_DIR").pipe(Config.withDefault(defaultDataDir()))
    return yield* make({ url: Option.filter(url, (value) => Redacted.value(value) !== ""), dataDir })
  }),
)

/** The URL with its password masked, for logs and banners. */
export const displayUrl = (url: Redacted.Redacted<string>): string => {
  const parsed = new URL(Redacted.value(url))
  if (parsed.password) parsed.password = "****"
  return parsed.toString()
}

/** The same server, another database. */
export const withDatabase = (url: Redacted.Redacted<string>, database: string): Redacted.Redacted<string> => {
  const parsed = new URL(Redacted.value(url))
  parsed.pathname = `/${database}`
  return Redacted.make(parsed.toString())
}
