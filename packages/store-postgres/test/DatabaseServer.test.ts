import { execFileSync, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { makeKysely } from "../src/Database.ts"
import * as DatabaseLogin from "../src/DatabaseLogin.ts"
import { defaultDataDir } from "../src/DatabaseServer.ts"
import { placedRoot, reachable } from "../src/internal/clusterPlacement.ts"
import { startEmbeddedServer } from "../src/internal/embeddedServer.ts"

const dataDir = path.join(defaultDataDir(), "test", `embedded-${randomBytes(4).toString("hex")}`)
const launcher = new URL("../src/internal/embeddedLauncher.ts", import.meta.url).pathname

const query = async (url: string, statement: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(statement)).rows
  } finally {
    await client.end()
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const postmasterPid = (dir = dataDir) =>
  Number(fs.readFileSync(path.join(dir, "cluster", "postmaster.pid"), "utf8").split("\n")[0])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A process started as the API's main is (`test/support/startProcess.ts`) on the embedded server in `dataDir`, once it
 * said it is ready.
 */
const startMain = async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, FINCH_CONNECTIONS_DATA_DIR: dataDir }
  delete env.DATABASE_URL
  delete env.DATABASE_MIGRATION_URL
  const main = spawn(process.execPath, [new URL("./support/startProcess.ts", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  })
  let stdout = ""
  let stderr = ""
  main.stderr.on("data", (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => main.once("exit", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    main.stdout.on("data", (chunk) => {
      stdout += chunk
      if (stdout.includes("ready")) resolve()
    })
    main.once("exit", () => reject(new Error(`exited before ready: ${stderr}`)))
  })
  return { exited, stdout: () => stdout, stderr: () => stderr }
}

describe("the embedded PostgreSQL server", () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  it("starts, keeps its data across restarts, and stops cleanly", async () => {
    const first = await startEmbeddedServer(dataDir)
    await query(first.url, "create table kept (value text); insert into kept values ('still here')")
    const pid = postmasterPid()
    await first.stop()
    expect(isAlive(pid)).toBe(false)
    expect(fs.existsSync(path.join(dataDir, "cluster", "postmaster.pid"))).toBe(false)

    const second = await startEmbeddedServer(dataDir)
    expect(await query(second.url, "select value from kept")).toEqual([{ value: "still here" }])
    await second.stop()
  })

  it("recovers when the launcher and its parent were killed with -9", async () => {
    // A launcher whose parent dies closes the server; kill the launcher itself so the server is left behind.
    const child = spawn(process.execPath, [launcher, dataDir], { stdio: ["pipe", "pipe", "inherit"] })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    const orphan = postmasterPid()
    child.kill("SIGKILL")
    await new Promise((resolve) => child.once("exit", resolve))
    expect(isAlive(orphan)).toBe(true)

    const restarted = await startEmbeddedServer(dataDir)
    expect(isAlive(orphan)).toBe(false)
    expect(await query(restarted.url, "select value from kept")).toEqual([{ value: "still here" }])
    await restarted.stop()
  })

  it("stops the server when its parent process is killed with -9", async () => {
    const parentScript = `
      import { startEmbeddedServer } from ${JSON.stringify(new URL("../src/internal/embeddedServer.ts", import.meta.url).pathname)}
      await startEmbeddedServer(${JSON.stringify(dataDir)})
      console.log("up")
      setInterval(() => {}, 1000)
    `
    const parent = spawn(process.execPath, ["--input-type=module", "-e", parentScript], {
      stdio: ["ignore", "pipe", "inherit"],
    })
    await new Promise<void>((resolve) => parent.stdout.once("data", () => resolve()))
    const server = postmasterPid()
    parent.kill("SIGKILL")
    for (let waited = 0; isAlive(server) && waited < 20_000; waited += 200) await new Promise((r) => setTimeout(r, 200))
    expect(isAlive(server)).toBe(false)
  })

  it("makes a runtime login per application role, its password in the data folder readable by its owner only", async () => {
    const server = await startEmbeddedServer(dataDir)
    try {
      const credentials = path.join(dataDir, "credentials.json")
      expect(fs.statSync(credentials).mode & 0o777).toBe(0o600)
      for (const role of ["finch_app", "finch_worker"] as const) {
        const url = server.loginUrl(role)
        expect(fs.readFileSync(credentials, "utf8")).toContain(decodeURIComponent(new URL(url).password))
        const login = makeKysely<any>(url, { max: 1, role })
        try {
          const inspection = await Effect.runPromise(DatabaseLogin.inspect(login))
          expect(inspection).toEqual({ login: `${role}_login`, problems: [] })
        } finally {
          await login.destroy()
        }
        // A member of its own role only: it cannot become the other one.
        const other = role === "finch_app" ? "finch_worker" : "finch_app"
        await expect(query(url, `set role ${other}`)).rejects.toThrow(/permission denied/)
      }
      const [superuser] = await query(server.url, "select rolsuper from pg_roles where rolname = current_user")
      expect(superuser).toEqual({ rolsuper: true })
    } finally {
      await server.stop()
    }
  })

  it("stops the process running on it, with a message saying why, when its launcher is killed", async () => {
    const main = await startMain()
    // The application runs as the runtime login, not as the superuser.
    expect(main.stdout()).toMatch(
      /ready: postgres:\/\/finch_app_login:\*\*\*\*@127\.0\.0\.1:\d+\/postgres as finch_app_login/,
    )
    const orphan = postmasterPid(path.join(dataDir, "postgres"))
    process.kill(Number(fs.readFileSync(path.join(dataDir, "postgres", "launcher.pid"), "utf8")), "SIGKILL")
    try {
      expect(await main.exited).toBe(1)
      expect(main.stderr()).toMatch(
        /DatabaseServerLost: the embedded PostgreSQL launcher \(pid \d+\) was killed \(SIGKILL\)/,
      )
    } finally {
      // Killed with -9, the launcher left its server behind: stop it as the next start would.
      if (isAlive(orphan)) process.kill(orphan, "SIGINT")
      for (let waited = 0; isAlive(orphan) && waited < 15_000; waited += 200) await sleep(200)
    }
  })

  it("stops the process running on it when the server itself dies", async () => {
    const main = await startMain()
    const server = postmasterPid(path.join(dataDir, "postgres"))
    process.kill(server, "SIGKILL")
    expect(await main.exited).toBe(1)
    expect(main.stderr()).toMatch(new RegExp(`the embedded PostgreSQL server \\(pid ${server}\\) .* has stopped`))
    expect(main.stderr()).toMatch(/DatabaseServerLost: the embedded PostgreSQL launcher \(pid \d+\) exited with code 1/)
  })

  it("says why in one message when it cannot start", async () => {
    const blocked = path.join(dataDir, "not-a-folder")
    fs.mkdirSync(dataDir, { recursive: true })
    fs.writeFileSync(blocked, "a file where the data folder should be")
    await expect(startEmbeddedServer(blocked)).rejects.toThrow(/could not start: .*not-a-folder/)
  })
})

describe("the embedded PostgreSQL server started where a newcomer cloned it", () => {
  // A private temporary folder (mkdtemp makes it mode 0700), as a clone under /root is.
  const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), "finch-private-"))
  const data = path.join(privateDir, "data", "postgres")
  const isRoot = process.getuid?.() === 0
  let placed: string | undefined
  afterAll(() => {
    fs.rmSync(privateDir, { recursive: true, force: true })
    if (placed !== undefined) fs.rmSync(path.dirname(placed), { recursive: true, force: true })
  })

  it("tells which folders another user can pass through", () => {
    const other = { uid: 4242, gid: 4242 }
    expect(reachable(data, other)).toBe(false) // the private folder stops it
    expect(reachable(path.join(privateDir, "not-made-yet"), { uid: fs.statSync(privateDir).uid, gid: -1 })).toBe(true)
    const open = fs.mkdtempSync(path.join(os.tmpdir(), "finch-open-"))
    try {
      fs.chmodSync(open, 0o711)
      expect(reachable(open, other)).toBe(true)
    } finally {
      fs.rmSync(open, { recursive: true, force: true })
    }
  })

  it("starts, answers, stops and starts again on the same data, even as root in a folder postgres cannot enter", async () => {
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700)
    const first = await startEmbeddedServer(data)
    placed = first.placedCluster
    try {
      await query(first.url, "create table kept (value text); insert into kept values ('still here')")
    } finally {
      await first.stop()
    }
    // The passwords stay in the data folder, readable by its owner only.
    expect(fs.statSync(path.join(data, "credentials.json")).mode & 0o777).toBe(0o600)
    if (isRoot) {
      // The server runs as `postgres`, which cannot pass through the private folder: its cluster is placed where it
      // can, in a folder of its own keyed by the data folder; nothing of the cluster is in the data folder.
      expect(placed).toMatch(new RegExp(`^${placedRoot}/[0-9a-f]{16}/cluster$`))
      const folder = fs.statSync(path.dirname(placed!))
      expect(folder.mode & 0o777).toBe(0o700)
      const postgresUid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
      expect([folder.uid, fs.statSync(placed!).uid]).toEqual([postgresUid, postgresUid])
      expect(fs.existsSync(path.join(data, "cluster"))).toBe(false)
    } else {
      // Not root: the server runs as us and the cluster stays in the data folder.
      expect(placed).toBeUndefined()
      expect(fs.existsSync(path.join(data, "cluster", "PG_VERSION"))).toBe(true)
    }

    const second = await startEmbeddedServer(data)
    try {
      expect(second.placedCluster).toBe(placed)
      expect(await query(second.url, "select value from kept")).toEqual([{ value: "still here" }])
    } finally {
      await second.stop()
    }
  })

  it("starts again after its launcher was killed with -9, the server it left behind stopped", async () => {
    const cluster = placed ?? path.join(data, "cluster")
    const child = spawn(process.execPath, [launcher, data], { stdio: ["pipe", "pipe", "inherit"] })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    const orphan = postmasterPid(path.dirname(cluster))
    child.kill("SIGKILL")
    await new Promise((resolve) => child.once("exit", resolve))
    expect(isAlive(orphan)).toBe(true)

    const restarted = await startEmbeddedServer(data)
    try {
      expect(isAlive(orphan)).toBe(false)
      expect(await query(restarted.url, "select value from kept")).toEqual([{ value: "still here" }])
    } finally {
      await restarted.stop()
    }
  })
})
