import { spawn } from "node:child_process"
import * as readline from "node:readline"
import type { LauncherMessage } from "./embeddedLauncher.ts"

/** A running embedded server, owned by its launcher process. */
export interface EmbeddedServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

const launcherPath = new URL("./embeddedLauncher.ts", import.meta.url).pathname

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
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
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
        reject(new Error(`the embedded PostgreSQL launcher said something unexpected: ${line}`))
        return
      }
      if (message.type === "failed") {
        reject(new Error(`the embedded PostgreSQL in ${dataDir} could not start: ${message.reason}`))
        return
      }
      const credentials = `${encodeURIComponent(message.user)}:${encodeURIComponent(message.password)}`
      resolve({
        url: `postgres://${credentials}@127.0.0.1:${message.port}/postgres`,
        stop: async () => {
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
