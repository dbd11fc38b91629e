import { spawn } from "node:child_process"
import * as readline from "node:readline"
import { redactText } from "../Redaction.ts"
import type { ApplicationRole, Credentials, LauncherMessage } from "./embeddedLauncher.ts"

/** How the launcher process ended. */
export interface LauncherExit {
  readonly pid: number | undefined
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A running embedded server, owned by its launcher process. */
export interface EmbeddedServer {
  /** The superuser's URL: migrations, maintenance, tests. */
  readonly url: string
  /** The URL of the runtime login made for `role` (a member of that role only). */
  readonly loginUrl: (role: ApplicationRole) => string
  /**
   * The cluster's folder when it is outside the data folder: as root, where the `postgres` user cannot reach the data
   * folder, it lives under `/var/lib/finch-connections/` (see `clusterPlacement.ts`).
   */
  readonly placedCluster: string | undefined
  /** Settles when the launcher exits without having been asked to stop: the database is gone. */
  readonly lost: Promise<LauncherExit>
  readonly stop: () => Promise<void>
}

const launcherPath = new URL("./embeddedLauncher.ts", import.meta.url).pathname

const urlOf = (credentials: Credentials, port: number) =>
  `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`

/**
 * Starts the launcher for `dataDir` and waits for its one-line answer. Rejects with the launcher's own reason
 * when the server cannot start.
 */
export const startEmbeddedServer = (dataDir: string, timeoutMs = 120_000): Promise<EmbeddedServer> =>
  new Promise((resolve, reject) => {
    // `detached` puts the launcher in its own process group: a Ctrl+C in the terminal reaches us, and we stop it
    // in order, after our own shutdown. Its stdin is our lifeline: when we die, even by -9, it stops the server.
    const child = spawn(process.execPath, [launcherPath, dataDir], {
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    })
    let stopping = false
    const exited = new Promise<LauncherExit>((done) =>
      child.once("exit", (code, signal) => done({ pid: child.pid, code, signal })),
    )
    // Never settles once we asked the launcher to stop: that exit is expected.
    const lost = exited.then((exit) => (stopping ? new Promise<LauncherExit>(() => {}) : exit))
    const timer = setTimeout(() => {
      child.kill("SIGTERM")
      reject(new Error(`the embedded PostgreSQL in ${dataDir} did not start within ${timeoutMs / 1000}s`))
    }, timeoutMs)
    const lines = readline.createInterface({ input: child.stdout })
    lines.once("line", (line) => {
      clearTimeout(timer)
      let message: LauncherMessage
      try {
        message = JSON.parse(line) as LauncherMessage
      } catch {
        reject(new Error(`the embedded PostgreSQL launcher said something unexpected: ${redactText(line)}`))
        return
      }
      if (message.type === "failed") {
        reject(new Error(`the embedded PostgreSQL in ${dataDir} could not start: ${message.reason}`))
        return
      }
      resolve({
        url: urlOf(message, message.port),
        loginUrl: (role) => urlOf(message.logins[role], message.port),
        placedCluster: message.cluster ?? undefined,
        lost,
        stop: async () => {
          stopping = true
          if (child.exitCode === null) child.stdin.end()
          await exited
        },
      })
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the embedded PostgreSQL launcher exited (code ${code}) before the server was ready`))
    })
  })
