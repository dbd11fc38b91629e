/**
 * The main job's worker: `apps/worker` run as a child process (an app never imports another app), on the same
 * database as the worker's own runtime login (a member of `finch_worker` only, graphile-worker included), with the
 * same Finch. It is stopped (SIGTERM, then SIGKILL) when the main job stops; if the main job is killed outright, the
 * child sees its IPC channel close and stops itself.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { localKeyFile } from "@finch-connections/store-postgres/AesTokenVault"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import { Config, Effect, Option, Redacted } from "effect"

/** The worker's entry point, by path. */
const workerMain = path.resolve(import.meta.dirname, "../../../worker/src/main.ts")

/**
 * The worker's runtime login: `WORKER_DATABASE_URL` when set, else the server's login for `finch_worker` (the embedded
 * server's `finch_worker_login`; with `DATABASE_URL`, that URL, whose login must then be a member of `finch_worker`).
 * Never the owner's: the main job has migrated already, graphile-worker's schema and the worker's grants included.
 */
export const databaseUrl = Effect.gen(function* () {
  const server = yield* DatabaseServer.DatabaseServer
  const given = yield* Config.option(Config.redacted("WORKER_DATABASE_URL"))
  return Option.getOrElse(
    Option.filter(given, (url) => Redacted.value(url) !== ""),
    () => server.loginUrl("finch_worker"),
  )
})

/** Starts the worker for the life of the scope with `env` on top of this process's environment. */
export const start = (options: {
  readonly databaseUrl: Redacted.Redacted<string>
  readonly dataDir: string
  readonly env: Readonly<Record<string, string>>
}) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      // The owner's login stays with the main job.
      const { DATABASE_MIGRATION_URL: _owner, WORKER_DATABASE_URL: _worker, ...inherited } = process.env
      // The token key the main job generated into the data folder (local use), when none is configured.
      const localKey = localKeyFile(options.dataDir)
      const tokenKeys =
        (inherited["TOKEN_ENCRYPTION_KEYS"] ?? "") === "" && existsSync(localKey)
          ? { TOKEN_ENCRYPTION_KEYS: readFileSync(localKey, "utf8").trim() }
          : {}
      return spawn(process.execPath, [workerMain], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        env: {
          ...inherited,
          ...options.env,
          ...tokenKeys,
          DATABASE_URL: Redacted.value(options.databaseUrl),
          DATABASE_ROLE: "finch_worker",
          // The main job migrated already, as the owner.
          DATABASE_MIGRATE: "false",
          FINCH_CONNECTIONS_DATA_DIR: options.dataDir,
        },
      })
    }),
    (child) => stop(child),
  )

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.once("exit", () => {
      clearTimeout(kill)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })
