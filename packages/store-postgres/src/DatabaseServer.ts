/**
 * Which PostgreSQL server the project talks to, and as whom: the one `DATABASE_URL` names, or an embedded one started
 * on demand in a data folder under `.data/` (kept between runs; as root, when the `postgres` user the server then runs
 * as cannot reach that folder, the cluster itself goes under `/var/lib/finch-connections/`, the passwords stay). Two logins: the application's runtime login (`url`)
 * and the owner's (`ownerUrl`), which migrations and maintenance use.
 */
import * as path from "node:path"
import { Config, Context, Data, Effect, Layer, Option, Redacted } from "effect"
import type { DatabaseRole } from "./Database.ts"
import { startEmbeddedServer } from "./internal/embeddedServer.ts"
import { repositoryRoot } from "./internal/repositoryRoot.ts"
import { redactText, redactUrl } from "./Redaction.ts"

/** The server in use. Both URLs are secrets: they carry passwords. */
export class DatabaseServer extends Context.Tag("@finch-connections/store-postgres/DatabaseServer")<
  DatabaseServer,
  {
    /** The login the application runs as: `DATABASE_URL`, or the embedded server's runtime login for the role. */
    readonly url: Redacted.Redacted<string>
    /** The owner's login, for migrations and maintenance: `DATABASE_MIGRATION_URL`, else `DATABASE_URL`. */
    readonly ownerUrl: Redacted.Redacted<string>
    /**
     * The login another process of the application runs as in `role` (the main job hands the worker its own): the
     * embedded server's runtime login for that role, or `DATABASE_URL` (the role is then a `SET ROLE`).
     */
    readonly loginUrl: (role: DatabaseRole) => Redacted.Redacted<string>
    readonly embedded: boolean
    /**
     * Where the embedded server's cluster is when it is not in the data folder (as root, out of the `postgres` user's
     * reach: under `/var/lib/finch-connections/`); `None` otherwise. Worth saying to the person who started it.
     */
    readonly placedCluster: Option.Option<string>
    /** Fails when the server is gone for good (the embedded launcher died); never settles for a given server. */
    readonly lost: Effect.Effect<never, DatabaseServerLost>
  }
>() {}

/** The embedded server could not be started; `reason` says why in words a person can act on. */
export class DatabaseServerError extends Data.TaggedError("DatabaseServerError")<{ readonly reason: string }> {
  override get message() {
    return redactText(this.reason)
  }
}

/** The embedded server's launcher exited while the application was still running on it. */
export class DatabaseServerLost extends Data.TaggedError("DatabaseServerLost")<{
  readonly dataDir: string
  readonly pid: number | undefined
  readonly exit: string
}> {
  override get message() {
    return (
      `the embedded PostgreSQL launcher (pid ${this.pid ?? "unknown"}) ${this.exit}: the database in ` +
      `${this.dataDir} is no longer served, so finch-connections stops instead of running on without it. ` +
      "Start it again; a server the launcher left behind is cleaned up on the next start."
    )
  }
}

/** The default folder for everything the project keeps on disk. */
export const defaultDataDir = (): string => path.join(repositoryRoot(), ".data")

/** Starts an embedded server in `dataDir` for the life of the scope; the application logs in as `role`'s login. */
export const embedded = (dataDir: string, role: DatabaseRole = "finch_app") =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => startEmbeddedServer(dataDir),
      catch: (error) => new DatabaseServerError({ reason: error instanceof Error ? error.message : String(error) }),
    }),
    (server) => Effect.promise(() => server.stop()),
  ).pipe(
    Effect.map((server) => ({
      url: Redacted.make(server.loginUrl(role)),
      ownerUrl: Redacted.make(server.url),
      loginUrl: (other: DatabaseRole) => Redacted.make(server.loginUrl(other)),
      embedded: true,
      placedCluster: Option.fromNullable(server.placedCluster),
      lost: Effect.flatMap(
        Effect.promise(() => server.lost),
        (exit) =>
          new DatabaseServerLost({
            dataDir,
            pid: exit.pid,
            exit: exit.signal === null ? `exited with code ${exit.code}` : `was killed (${exit.signal})`,
          }),
      ),
    })),
  )

/** The server's options: given URLs, or an embedded server in `<dataDir>/postgres`. */
export interface DatabaseServerOptions {
  readonly url: Option.Option<Redacted.Redacted<string>>
  /** The owner's login when it is not `url`'s. */
  readonly migrationUrl?: Option.Option<Redacted.Redacted<string>>
  readonly dataDir: string
  /** Which runtime login of the embedded server the application uses; `finch_app` unless given. */
  readonly role?: DatabaseRole
}

/** `url` when given, otherwise an embedded server in `<dataDir>/postgres`. */
export const make = (options: DatabaseServerOptions) =>
  Option.match(options.url, {
    onSome: (url) =>
      Effect.succeed({
        url,
        ownerUrl: Option.getOrElse(options.migrationUrl ?? Option.none(), () => url),
        loginUrl: () => url,
        embedded: false,
        placedCluster: Option.none(),
        lost: Effect.never,
      }),
    onNone: () => embedded(path.join(options.dataDir, "postgres"), options.role),
  })

/** `DATABASE_ROLE`: `finch_app` (default) or `finch_worker`. */
export const roleConfig: Config.Config<DatabaseRole> = Config.literal(
  "finch_app",
  "finch_worker",
)("DATABASE_ROLE").pipe(Config.withDefault("finch_app" as const))

const nonEmpty = (url: Option.Option<Redacted.Redacted<string>>) =>
  Option.filter(url, (value) => Redacted.value(value) !== "")

/**
 * The server from `DATABASE_URL` (owner: `DATABASE_MIGRATION_URL` when set), or an embedded one in
 * `FINCH_CONNECTIONS_DATA_DIR` (default `.data/`) whose runtime login for `DATABASE_ROLE` the application uses.
 */
export const layerConfig = Layer.scoped(
  DatabaseServer,
  Effect.gen(function* () {
    const url = yield* Config.option(Config.redacted("DATABASE_URL"))
    const migrationUrl = yield* Config.option(Config.redacted("DATABASE_MIGRATION_URL"))
    const role = yield* roleConfig
    const dataDir = yield* Config.string("FINCH_CONNECTIONS_DATA_DIR").pipe(Config.withDefault(defaultDataDir()))
    return yield* make({ url: nonEmpty(url), migrationUrl: nonEmpty(migrationUrl), dataDir, role })
  }),
)

/**
 * A benchmark's server: `DATABASE_URL`, or an embedded server of its own in `.data/<name>/`, apart from the main
 * job's (benchmarks make their scratch databases with its `ownerUrl`).
 */
export const layerForBench = (name: string) =>
  Layer.scoped(
    DatabaseServer,
    Effect.flatMap(Config.option(Config.redacted("DATABASE_URL")), (url) =>
      make({ url: nonEmpty(url), dataDir: path.join(defaultDataDir(), name) }),
    ),
  )

/**
 * Runs a process's layer (it must provide the `DatabaseServer`) until it is interrupted, or until the embedded
 * server is lost: then it fails with `DatabaseServerLost`, whose message says what happened. `main` ends in this.
 *
 * @example
 * NodeRuntime.runMain(DatabaseServer.launch(MainLive))
 */
export const launch = <ROut, E, RIn>(
  layer: Layer.Layer<ROut | DatabaseServer, E, RIn>,
): Effect.Effect<never, E | DatabaseServerLost, RIn> =>
  Effect.scoped(Effect.flatMap(Layer.build(layer), (context) => Context.get(context, DatabaseServer).lost))

/** The URL with its credentials masked, for logs and banners. */
export const displayUrl = (url: Redacted.Redacted<string>): string => redactUrl(Redacted.value(url))

/** The same server, another database. */
export const withDatabase = (url: Redacted.Redacted<string>, database: string): Redacted.Redacted<string> => {
  const parsed = new URL(Redacted.value(url))
  parsed.pathname = `/${database}`
  return Redacted.make(parsed.toString())
}
