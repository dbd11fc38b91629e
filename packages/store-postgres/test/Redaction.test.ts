import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { describe, expect, inject, it } from "vitest"
import { redactText, redactUrl } from "../src/Redaction.ts"
import { createFreshDatabase } from "../src/testing/TestDatabase.ts"

describe("redaction", () => {
  it("masks the password in the user info and every secret query parameter, and keeps the rest", () => {
    expect(
      redactUrl(
        "postgres://app:s3cret@db.internal:5432/finch?sslmode=require&password=p2&sslpassword=p3&sslkey=/k.pem",
      ),
    ).toBe("postgres://app:****@db.internal:5432/finch?sslmode=require&password=****&sslpassword=****&sslkey=****")
    expect(redactUrl("postgres://app@db.internal/finch")).toBe("postgres://app@db.internal/finch")
    expect(redactUrl("host=db user=app password='two words' dbname=finch")).toBe(
      "host=db user=app password=**** dbname=finch",
    )
  })

  it("finds connection URLs and key=value secrets inside free text", () => {
    expect(
      redactText("could not reach postgresql://app:s3cret@db/finch?password=p2 (sslpassword=p3)\nretrying"),
    ).not.toMatch(/s3cret|p2|p3/)
    expect(redactText("Key (id)=(acme) already exists")).toBe("Key (id)=(acme) already exists")
    expect(redactText("STATEMENT:  ALTER ROLE x LOGIN PASSWORD 'it''s secret'")).toBe(
      "STATEMENT:  ALTER ROLE x LOGIN PASSWORD '****'",
    )
  })
})

/** Runs the start-up of `test/support/startProcess.ts` with `env`; its whole output once it said ready or exited. */
const start = (env: Record<string, string>) =>
  new Promise<{ output: string; code: number | null }>((resolve) => {
    const child = spawn(process.execPath, [new URL("./support/startProcess.ts", import.meta.url).pathname], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    })
    let output = ""
    const collect = (chunk: Buffer) => {
      output += chunk
      if (output.includes("ready:")) child.kill("SIGTERM")
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.once("exit", (code) => resolve({ output, code }))
  })

describe("a process started with a password in DATABASE_URL's query", () => {
  it("never prints it: not in the banner, not in a refusal, not in a connection failure", async () => {
    const database = await createFreshDatabase()
    try {
      const secret = `pw${randomBytes(8).toString("hex")}`
      const url = new URL(inject("testDatabase").serverUrl)
      url.pathname = `/${database.name}`
      // The server's real password (the embedded one has one; the shared one trusts) moves to the query.
      const password = url.password === "" ? secret : decodeURIComponent(url.password)
      url.password = ""
      url.searchParams.set("password", password)
      url.searchParams.set("sslpassword", secret)
      const started = await start({ DATABASE_URL: url.toString(), NODE_ENV: "development" })
      expect(started.output).toContain("ready: postgres://")
      expect(started.output).toContain("password=****")
      const refused = await start({ DATABASE_URL: url.toString(), NODE_ENV: "production" })
      expect(refused.code).toBe(1)
      expect(refused.output).toContain("UnsafeDatabaseLogin")
      url.port = "1"
      const unreachable = await start({ DATABASE_URL: url.toString(), DATABASE_MIGRATION_URL: url.toString() })
      expect(unreachable.code).toBe(1)
      for (const { output } of [started, refused, unreachable]) {
        expect(output).not.toContain(secret)
        expect(output).not.toContain(password)
      }
    } finally {
      await database.drop()
    }
  })
})
