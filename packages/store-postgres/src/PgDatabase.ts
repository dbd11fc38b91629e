/**
 * The store's connection pool as a service. Sessions run as an application role (`finch_app` by default), which
 * owns nothing and is bound by row-level security; migrations run first on a separate session of the login itself.
 */
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { Kysely } from "kysely"
import { type Database, type DatabaseRole, makeKysely } from "./Database.ts"
import { query } from "./DatabaseError.ts"
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
  readonly url: Redacted.Redacted<string>
  /** The role sessions run as; `finch_app` unless given. */
  readonly role?: DatabaseRole
  /** Pool size; 10 unless given. */
  readonly max?: number
  /**
   * Bring the schema (and graphile-worker's job queue) up to date before anything queries (the login must own the
   * schema); off unless given.
   */
  readonly migrate?: boolean
}

/** Opens the pool for the life of the scope, migrating first when asked (a failed migration is a `DatabaseError`). */
export const make = (options: PgDatabaseOptions) =>
  Effect.gen(function* () {
    if (options.migrate === true) {
      yield* Effect.acquireUseRelease(
        Effect.sync(() => makeKysely<any>(Redacted.value(options.url), { max: 1 })),
        (owner) => query(() => migrateToLatest(owner).then(() => JobQueue.install(Redacted.value(options.url)))),
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

/** The pool as a layer. */
export const layer = (options: PgDatabaseOptions) => Layer.scoped(PgDatabase, make(options))

/**
 * The server from `DATABASE_URL` (or the embedded one), migrated on start unless `DATABASE_MIGRATE=false`, sessions
 * as `DATABASE_ROLE` (`finch_app` or `finch_worker`, default `finch_app`).
 */
export const layerConfig = Layer.scoped(
  PgDatabase,
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    const role = yield* Config.literal(
      "finch_app",
      "finch_worker",
    )("DATABASE_ROLE").pipe(Config.withDefault("finch_app"))
    const migrate = yield* Config.boolean("DATABASE_MIGRATE").pipe(Config.withDefault(true))
    return yield* make({ url: server.url, role, migrate })
  }),
).pipe(Layer.provide(DatabaseServer.layerConfig))
