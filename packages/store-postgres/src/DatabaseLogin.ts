/**
 * Which login a process talks to the database as, and whether that login could get past row-level security. The
 * API and the worker must run as a runtime login: no superuser, no BYPASSRLS, no CREATEROLE, owning neither a schema
 * of the store (`public`, graphile-worker's queue, `job_queue`, `rate_budget`) nor a table in one, directly or through
 * a role it can become (`SET ROLE`). In production a login that fails this
 * stops the process; elsewhere (a developer's local superuser URL) it is a loud warning.
 */
import { Config, Data, Effect } from "effect"
import { type Kysely, sql } from "kysely"
import { query } from "./DatabaseError.ts"

/** What makes a login unfit to run the application. */
export type LoginProblem =
  | "superuser"
  | "bypasses row-level security"
  | "can create roles"
  | "owns the schema or tables"

/** The login behind a session and what it can get past. */
export interface LoginInspection {
  readonly login: string
  readonly problems: ReadonlyArray<LoginProblem>
}

/** The login may read every customer's rows; `NODE_ENV=production` refuses to start with it. */
export class UnsafeDatabaseLogin extends Data.TaggedError("UnsafeDatabaseLogin")<LoginInspection> {
  override get message() {
    return (
      `the database login "${this.login}" can get past row-level security (${this.problems.join(", ")}): it can ` +
      "read and change every customer's rows. Run the application as a runtime login (NOSUPERUSER NOBYPASSRLS NOCREATEROLE, " +
      "owning nothing, member of finch_app or finch_worker only) and migrate with the owner's login in " +
      "DATABASE_MIGRATION_URL; see the store-postgres README, Deploying."
    )
  }
}

/** The schemas the migrations and `JobQueue.install` create: owning one (or a table in one) is owning the store. */
const ownSchemas = ["public", "graphile_worker", "job_queue", "rate_budget"]

/** Inspects the login of `db`'s sessions (`session_user`: whatever role the session has switched to). */
export const inspect = (db: Kysely<any>): Effect.Effect<LoginInspection> =>
  query(() =>
    sql<{
      login: string
      superuser: boolean
      bypass: boolean
      createrole: boolean
      owns: boolean
    }>`select session_user as login,
      exists (select 1 from pg_roles r where pg_has_role(session_user, r.oid, 'MEMBER') and r.rolsuper) as superuser,
      exists (select 1 from pg_roles r where pg_has_role(session_user, r.oid, 'MEMBER') and r.rolbypassrls) as bypass,
      exists (select 1 from pg_roles r where pg_has_role(session_user, r.oid, 'MEMBER') and r.rolcreaterole)
        as createrole,
      exists (
          select 1 from pg_namespace n
          where n.nspname in (${sql.join(ownSchemas)}) and pg_has_role(session_user, n.nspowner, 'MEMBER')
        )
        or exists (
          select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname in (${sql.join(ownSchemas)}) and pg_has_role(session_user, c.relowner, 'MEMBER')
        ) as owns`.execute(db),
  ).pipe(
    Effect.map(({ rows: [row] }) => ({
      login: row!.login,
      problems: [
        ...(row!.superuser ? (["superuser"] as const) : []),
        ...(row!.bypass ? (["bypasses row-level security"] as const) : []),
        ...(row!.createrole ? (["can create roles"] as const) : []),
        ...(row!.owns ? (["owns the schema or tables"] as const) : []),
      ],
    })),
    Effect.orDie,
    Effect.withSpan("DatabaseLogin.inspect"),
  )

/**
 * Checks the login at start: in production (`production: true`) an unsafe login fails with `UnsafeDatabaseLogin`;
 * otherwise it is logged as a warning nobody can miss.
 */
export const check = (
  db: Kysely<any>,
  options: { readonly production: boolean },
): Effect.Effect<LoginInspection, UnsafeDatabaseLogin> =>
  Effect.gen(function* () {
    const inspection = yield* inspect(db)
    if (inspection.problems.length === 0) return inspection
    const unsafe = new UnsafeDatabaseLogin(inspection)
    if (options.production) return yield* unsafe
    const rule = "!".repeat(78)
    yield* Effect.logWarning(
      [rule, `UNSAFE DATABASE LOGIN: ${unsafe.message}`, "With NODE_ENV=production this refuses to start.", rule].join(
        "\n",
      ),
    )
    return inspection
  })

/** Whether `NODE_ENV` is `production`. */
export const productionConfig: Config.Config<boolean> = Config.string("NODE_ENV").pipe(
  Config.map((value) => value === "production"),
  Config.withDefault(false),
)
