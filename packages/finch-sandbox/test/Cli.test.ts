/** The CLI (`pnpm start`): the same sandbox as a process, with fault flags. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { call, mint, statusesOf } from "./support/Http.ts"

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url))
const running: Array<ChildProcess> = []

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGTERM")
})

/** Starts the CLI and resolves with its base URL and credentials once it prints them. */
const start = (args: ReadonlyArray<string>) =>
  new Promise<{ baseUrl: string; clientId: string; clientSecret: string; output: () => string }>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    running.push(child)
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
      const baseUrl = /FINCH_BASE_URL=(\S+)/.exec(out)?.[1]
      const clientId = /FINCH_CLIENT_ID=(\S+)/.exec(out)?.[1]
      const clientSecret = /FINCH_CLIENT_SECRET=(\S+)/.exec(out)?.[1]
      if (baseUrl !== undefined && clientId !== undefined && clientSecret !== undefined) {
        resolve({ baseUrl, clientId, clientSecret, output: () => out })
      }
    })
    child.once("exit", (code) => reject(new Error(`cli exited with ${code}: ${out}`)))
  })

/** Runs the CLI to completion. */
const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    let stdout = ""
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    child.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    child.once("exit", (code) => resolve({ code, stderr, stdout }))
  })

describe("the CLI", () => {
  it("starts a sandbox with the given credentials and applies fault flags", async () => {
    const started = await start([
      "--",
      "--port",
      "0",
      "--seed",
      "5",
      "--client-id",
      "cli-client",
      "--client-secret",
      "cli-secret",
      "--fail-status",
      "503",
      "--fail-count",
      "2",
      "--fail-path",
      "/employer/company",
    ])
    expect(started.clientId).toBe("cli-client")
    const sandbox = { ...started, port: 0, close: async () => {} }
    const { access_token } = await mint(sandbox)
    expect(await statusesOf(sandbox, "/employer/company", { token: access_token }, 3)).toEqual([503, 503, 200])
  })

  it("applies --rate-limits always", async () => {
    const started = await start(["--port", "0", "--rate-limits", "always", "--retry-after"])
    const sandbox = { ...started, port: 0, close: async () => {} }
    const { access_token } = await mint(sandbox)
    const reply = await call(sandbox, "/employer/directory", { token: access_token })
    expect(reply.status).toBe(429)
    expect(reply.headers.get("retry-after")).toBe("60")
  })

  it("connects providers and scenarios at start and prints their tokens", async () => {
    const child = spawn(
      process.execPath,
      [cli, "--port", "0", "--connect", "gusto:12", "--scenario", "peo", "--customer-id", "cli-customer"],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    running.push(child)
    const out = await new Promise<string>((resolve, reject) => {
      let text = ""
      child.stdout.on("data", (chunk) => {
        text += chunk
        if (text.includes("fjord_peo_admin")) resolve(text)
      })
      child.once("exit", (code) => reject(new Error(`cli exited with ${code}: ${text}`)))
    })
    const baseUrl = /FINCH_BASE_URL=(\S+)/.exec(out)?.[1] ?? ""
    const gustoToken = /gusto: connection \S+ token (\S+)/.exec(out)?.[1] ?? ""
    const sandbox = { baseUrl, clientId: "", clientSecret: "", port: 0, close: async () => {} }
    const directory = await call(sandbox, "/employer/directory", { token: gustoToken })
    expect(directory.body.paging.count).toBe(12)
    expect(out.match(/peo justworks/g)).toHaveLength(4)
    const introspect = await call(sandbox, "/introspect", { token: gustoToken })
    expect(introspect.body.customer_id).toBe("cli-customer")
  })

  it("runs the legacy connection model with --connection-model legacy", async () => {
    const started = await start(["--port", "0", "--connection-model", "legacy"])
    expect(started.output()).toContain("connection model: legacy")
    const sandbox = { ...started, port: 0, close: async () => {} }
    const first = await mint(sandbox, { customer_id: "cli-legacy", username: "cli_co" })
    const second = await mint(sandbox, { customer_id: "cli-legacy", company_id: first.company_id, username: "cli_2" })
    expect(second.connection_id).toBe(first.connection_id)
    const bad = await run(["--connection-model", "newest"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--connection-model must be current or legacy")
  })

  it("refuses a non-loopback host and says so", async () => {
    const result = await run(["--host", "0.0.0.0", "--port", "0"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("refuses to listen on '0.0.0.0'")
    expect(result.stderr).toContain("--allow-non-loopback")
  })

  it("rejects bad flags with usage", async () => {
    const result = await run(["--rate-limits", "sometimes"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--rate-limits")
    expect((await run(["--help"])).stdout).toContain("--fail-status")
  })
})
