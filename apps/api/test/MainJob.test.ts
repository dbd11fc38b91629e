/**
 * The README's first command as a user runs it: `pnpm start`'s process on an empty data folder prints where to look,
 * the printed key opens the API, the demo customer is there with the seed's scenarios connected (and, once the
 * worker has synced and reconciled, its people); SIGTERM stops it cleanly; a second start reuses the data.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { createFreshDatabase, type FreshDatabase } from "@finch-connections/store-postgres/testing/TestDatabase"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const main = path.resolve(import.meta.dirname, "../src/main.ts")

interface Started {
  readonly child: ChildProcess
  readonly lines: Record<string, string>
  readonly output: () => string
}

/** Starts the main job and waits for its four lines (`api:`, `api key:`, `page:`, `finch:`). */
const start = (env: Record<string, string>): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let output = ""
    const lines: Record<string, string> = {}
    const timer = setTimeout(() => reject(new Error(`no banner within 90 s:\n${output.slice(-3000)}`)), 90_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      for (const line of output.split("\n")) {
        const match = /^(api|api key|page|finch): (\S+)/.exec(line)
        if (match?.[1] !== undefined && match[2] !== undefined) lines[match[1]] = match[2]
      }
      if (["api", "api key", "page", "finch"].every((name) => lines[name] !== undefined)) {
        clearTimeout(timer)
        resolve({ child, lines, output: () => output })
      }
    }
    child.stdout?.on("data", read)
    child.stderr?.on("data", read)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the main job exited (${code}) before its banner:\n${output.slice(-3000)}`))
    })
  })

/** SIGTERM, and the exit code. */
const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once("exit", (code) => resolve(code))
    child.kill("SIGTERM")
  })

const getJson = async (started: Started, route: string) => {
  const response = await fetch(`${started.lines["api"]}${route}`, {
    headers: { authorization: `Bearer ${started.lines["api key"]}` },
  })
  return { status: response.status, body: (await response.json()) as any }
}

describe("pnpm start (the main job)", () => {
  let database: FreshDatabase
  let dataDir: string
  let env: Record<string, string>

  beforeAll(async () => {
    database = await createFreshDatabase()
    dataDir = mkdtempSync(path.join(tmpdir(), "finch-main-job-"))
    env = {
      DATABASE_URL: Redacted.value(database.url),
      FINCH_CONNECTIONS_DATA_DIR: dataDir,
      PORT: "0",
      TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      API_KEYS: "",
      FINCH_CLIENT_ID: "",
      FINCH_CLIENT_SECRET: "",
    }
  })

  afterAll(async () => {
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("prints where to look, serves the demo customer's connections with the printed key, and stops on SIGTERM", async () => {
    const first = await start(env)
    try {
      expect(first.lines["api"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(first.lines["finch"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const listed = await getJson(first, "/v1/customers/demo/connections")
      expect(listed.status).toBe(200)
      const connections = listed.body.connections as ReadonlyArray<any>
      expect(connections).toHaveLength(5)
      // multi-provider (Gusto and ADP for Borealis), multi-entity (Rippling), multi-account (two Acme logins, one connection)
      expect(new Set(connections.map((c) => c.provider_id))).toEqual(
        new Set(["gusto", "adp_workforce_now", "rippling", "deel"]),
      )
      expect(connections.some((c) => c.accounts.length === 2)).toBe(true)
      expect(connections.some((c) => c.entities.length > 1)).toBe(true)
      const unauthorized = await fetch(`${first.lines["api"]}/v1/customers/demo/connections`)
      expect(unauthorized.status).toBe(401)
      // The worker syncs every connection and reconciles the customer: its people appear.
      let people: ReadonlyArray<unknown> = []
      for (let attempt = 0; attempt < 120 && people.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        people = (await getJson(first, "/v1/customers/demo/employees?limit=5")).body.employees ?? []
      }
      expect(people.length).toBeGreaterThan(0)
    } finally {
      expect(await stop(first.child)).toBe(0)
    }

    // The second start reuses the data: the same key, the same demo customer, no second set of connections.
    const second = await start(env)
    try {
      expect(second.lines["api key"]).toBe(first.lines["api key"])
      const listed = await getJson(second, "/v1/customers/demo/connections")
      expect(listed.body.connections).toHaveLength(5)
    } finally {
      expect(await stop(second.child)).toBe(0)
    }
  }, 240_000)
})
