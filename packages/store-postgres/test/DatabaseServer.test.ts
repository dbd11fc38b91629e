import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { defaultDataDir } from "../src/DatabaseServer.ts"
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

const postmasterPid = () =>
  Number(fs.readFileSync(path.join(dataDir, "cluster", "postmaster.pid"), "utf8").split("\n")[0])

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

  it("says why in one message when it cannot start", async () => {
    const blocked = path.join(dataDir, "not-a-folder")
    fs.mkdirSync(dataDir, { recursive: true })
    fs.writeFileSync(blocked, "a file where the data folder should be")
    await expect(startEmbeddedServer(blocked)).rejects.toThrow(/could not start: .*not-a-folder/)
  })
})
