/**
 * The store's connection pool as a service. Sessions run as an application role (`finch_app` by default), which
 * owns nothing and is bound by row-level security; migrations run first, on a session of the owner's login.
 */
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { Kysely } from "kysely"
import { type Database, type DatabaseRole, makeKysely } from "./Database.ts"
import { query } from "./DatabaseError.ts"
import * as DatabaseLogin from "./DatabaseLogin.ts"
import * as DatabaseServer from "./DatabaseServer.ts"
import * as JobQueue from "./JobQueue.ts"
import { migrateToLatest } from "./Migrations.ts"

/** The Kysely instance every repository of the store queries through. */
export class PgDatabase extends Context.Tag("@finch-connections/store-postgres/PgDatabase")<
  PgDatabase,
  Kysely<Database>
>() {}

/** How to reach the database and as whom. */
export interface PgDatabaseOptions {
  /** The login the pool's sessions start as (then switch to `role`). */
  readonly url: Redacted.Redacted<string>
  /** The role sessions run as; `finch_app` unless given. */
  readonly role?: DatabaseRole
  /** Pool size; 10 unless given. */
  readonly max?: number
  /**
   * Bring the schema (and graphile-worker's job queue) up to date before anything queries (as the owner's login); off unless given.
   */
  readonly migrate?: boolean
  /** The owner's login migrations run as; `url` unless given (then `url` must own the schema). */
  readonly ownerUrl?: Redacted.Redacted<string>
}

/** Opens the pool for the life of the scope, migrating first when asked (a failed migration is a `DatabaseError`). */
export const make = (options: PgDatabaseOptions) =>
  Effect.gen(function* () {
    if (options.migrate === true) {
      yield* Effect.acquireUseRelease(
        Effect.sync(() =>
          makeKysely<any>(Redacted.value(options.ownerUrl ?? options.url), { max: 1, acrossCustomers: true }),
        ),
        (owner) =>
          query(() =>
            migrateToLatest(owner).then(() => JobQueue.install(Redacted.value(options.ownerUrl ?? options.url))),
          ),
        (owner) => Effect.promise(() => owner.destroy()),
      )
    }
    return yield* Effect.acquireRelease(
      Effect.sync(() =>
        makeKysely<Database>(Redacted.value(options.url), {
          role: options.role ?? "finch_app",
          ...(options.max === undefined ? {} : { max: options.max }),
        }),
      ),
      (db) => Effect.promise(() => db.destroy()),
    )
  })

/**
 * Checks the login of `url` on a session of its own (`DatabaseLogin.check`): with `production` an unsafe login fails
 * with `UnsafeDatabaseLogin`, otherwise it is a loud warning.
 */
export const checkLogin = (url: Redacted.Redacted<string>, options: { readonly production: boolean }) =>
  Effect.acquireUseRelease(
    Effect.sync(() => makeKysely<any>(Redacted.value(url), { max: 1 })),
    (login) => DatabaseLogin.check(login, options),
    (login) => Effect.promise(() => login.destroy()),
  )

/** The pool as a layer. */
export const layer = (options: PgDatabaseOptions) => Layer.scoped(PgDatabase, make(options))

/**
 * What a process (the API, the worker) starts with: the server from `DATABASE_URL` (or the embedded one), migrated
 * first with the owner's login (`DATABASE_MIGRATION_URL`, else `DATABASE_URL`) unless `DATABASE_MIGRATE=false`,
 * sessions as `DATABASE_ROLE` (`finch_app` or `finch_worker`, default `finch_app`). The login is checked first
 * (`DatabaseLogin.check`): with `NODE_ENV=production` an unsafe one stops the start before anything changes. The
 * `DatabaseServer` comes along (for the banner, and for `DatabaseServer.launch`).
 */
export const layerConfig = Layer.scoped(
  PgDatabase,
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    const role = yield* DatabaseServer.roleConfig
    const migrate = yield* Config.boolean("DATABASE_MIGRATE").pipe(Config.withDefault(true))
    const production = yield* DatabaseLogin.productionConfig
    // Before migrating: a refused login changes nothing.
    yield* checkLogin(server.url, { production })
    return yield* make({ url: server.url, ownerUrl: server.ownerUrl, role, migrate }).pipe(
      Effect.tapErrorTag("DatabaseError", (error) =>
        error.reason === "InsufficientPrivilege"
          ? Effect.logError(
              `migrating as ${DatabaseServer.displayUrl(server.ownerUrl)} was refused: migrations need the owner's ` +
                "login (DATABASE_MIGRATION_URL), or run them separately and set DATABASE_MIGRATE=false",
            )
          : Effect.void,
      ),
    )
  }),
).pipe(Layer.provideMerge(DatabaseServer.layerConfig))
