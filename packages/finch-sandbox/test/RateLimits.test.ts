import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { startSandbox } from "../src/Sandbox.ts"
import { call, control, finchRateLimitedBody, mint, statusesOf, useSandbox } from "./support/Http.ts"

describe("Finch's rate limits", () => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { rateLimits: "finch" })
  afterEach(async () => {
    vi.useRealTimers()
    await control(sandbox(), "/rate-limits", { mode: "finch", retry_after: false }, "PUT")
  })

  const hit = (token: string, path: string, times: number) => statusesOf(sandbox(), path, { token }, times)

  it("allows 20 directory calls a minute per application, across tokens, then answers Finch's 429", async () => {
    const a = await mint(sandbox())
    const b = await mint(sandbox())
    expect(await hit(a.access_token, "/employer/directory", 12)).toEqual(Array(12).fill(200))
    expect(await hit(b.access_token, "/employer/directory", 8)).toEqual(Array(8).fill(200))
    const limited = await call(sandbox(), "/employer/directory", { token: a.access_token })
    expect(limited.status).toBe(429)
    expect(limited.body).toEqual(finchRateLimitedBody)
    expect(limited.headers.get("retry-after")).toBeNull()
    // Each endpoint has its own bucket; unlimited endpoints are untouched.
    expect((await call(sandbox(), "/employer/company", { token: a.access_token })).status).toBe(200)
    expect((await call(sandbox(), "/introspect", { token: a.access_token })).status).toBe(200)
  })

  it("holds the limit under concurrent requests", async () => {
    const { access_token } = await mint(sandbox(), { products: ["employment"] })
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        call(sandbox(), "/employer/employment", { token: access_token, body: { requests: [] } }),
      ),
    )
    const statuses = replies.map((reply) => reply.status).sort()
    expect(statuses).toEqual([...Array(20).fill(200), ...Array(10).fill(429)])
  })

  it("slides the window: a call is allowed again 60 s after the oldest one", async () => {
    const { access_token } = await mint(sandbox())
    vi.useFakeTimers({ toFake: ["Date"] })
    const start = Date.now()
    vi.setSystemTime(start)
    await hit(access_token, "/employer/company", 10)
    vi.setSystemTime(start + 30_000)
    await hit(access_token, "/employer/company", 10)
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(429)
    vi.setSystemTime(start + 59_000)
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(429)
    vi.setSystemTime(start + 60_001)
    // The first ten left the window; the last ten are still in it.
    expect(await hit(access_token, "/employer/company", 10)).toEqual(Array(10).fill(200))
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(429)
  })

  it("runs sandbox time faster when asked: at 4× the wall clock a minute's window passes in 15 s", async () => {
    const { access_token } = await mint(sandbox(), { products: ["directory"] })
    vi.useFakeTimers({ toFake: ["Date"] })
    const start = Date.now()
    vi.setSystemTime(start)
    const sped = await control(sandbox(), "/clock/speed", { speed: 4 }, "PUT")
    expect(sped.speed).toBe(4)
    try {
      await hit(access_token, "/employer/directory", 20)
      vi.setSystemTime(start + 14_000)
      expect((await call(sandbox(), "/employer/directory", { token: access_token })).status).toBe(429)
      vi.setSystemTime(start + 15_001)
      expect(await hit(access_token, "/employer/directory", 20)).toEqual(Array(20).fill(200))
    } finally {
      expect((await control(sandbox(), "/clock/speed", { speed: 1 }, "PUT")).speed).toBe(1)
    }
    for (const speed of [0, -1, "fast", 5000]) {
      expect((await call(sandbox(), "/_sandbox/clock/speed", { method: "PUT", body: { speed } })).status).toBe(400)
    }
  })

  it("lets the control API move sandbox time past the window", async () => {
    const { access_token } = await mint(sandbox(), { products: ["directory"] })
    await control(sandbox(), "/rate-limits", { mode: "finch" }, "PUT")
    await hit(access_token, "/employer/directory", 20)
    expect((await call(sandbox(), "/employer/directory", { token: access_token })).status).toBe(429)
    const moved = await control(sandbox(), "/clock/advance", { seconds: 61 })
    expect(moved.offset_ms).toBeGreaterThanOrEqual(61_000)
    expect((await call(sandbox(), "/employer/directory", { token: access_token })).status).toBe(200)
  })

  it("counts only successful requests", async () => {
    const narrow = await mint(sandbox(), { products: ["company"] })
    const wide = await mint(sandbox(), { products: ["company", "individual"] })
    const individuals = (token: string, times: number) =>
      statusesOf(sandbox(), "/employer/individual", { token, body: { requests: [] } }, times)
    expect(await individuals(narrow.access_token, 25)).toEqual(Array(25).fill(403))
    expect(await individuals(wide.access_token, 21)).toEqual([...Array(20).fill(200), 429])
  })

  it("allows 12 payment calls a minute", async () => {
    const { access_token } = await mint(sandbox(), { products: ["payment"] })
    const statuses = await hit(access_token, "/employer/payment?start_date=2026-01-01&end_date=2026-12-31", 13)
    expect(statuses).toEqual([...Array(12).fill(200), 429])
  })

  it("allows 12 pay-group calls a minute", async () => {
    const { access_token } = await mint(sandbox(), { products: ["payment"] })
    expect(await hit(access_token, "/employer/pay-groups", 13)).toEqual([...Array(12).fill(200), 429])
  })

  it("allows 12 pay-statement calls a minute", async () => {
    const { access_token } = await mint(sandbox(), { products: ["pay_statement"] })
    const statuses = await statusesOf(
      sandbox(),
      "/employer/pay-statement",
      {
        token: access_token,
        body: { requests: [] },
      },
      13,
    )
    expect(statuses).toEqual([...Array(12).fill(200), 429])
  })

  it("can send Retry-After with the seconds until the window frees up", async () => {
    await control(sandbox(), "/rate-limits", { mode: "finch", retry_after: true }, "PUT")
    const { access_token } = await mint(sandbox(), { products: ["employment"] })
    const statuses: Array<number> = []
    let retryAfter: string | null = null
    for (let i = 0; i < 21; i++) {
      const reply = await call(sandbox(), "/employer/employment", { token: access_token, body: { requests: [] } })
      statuses.push(reply.status)
      retryAfter = reply.headers.get("retry-after")
    }
    expect(statuses.at(-1)).toBe(429)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Number(retryAfter)).toBeLessThanOrEqual(60)
  })

  it("'always' limits every limited endpoint at once; 'off' limits nothing", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/rate-limits", { mode: "always" }, "PUT")
    const always = await call(sandbox(), "/employer/company", { token: access_token })
    expect(always.status).toBe(429)
    expect(always.body).toEqual(finchRateLimitedBody)
    expect((await call(sandbox(), "/introspect", { token: access_token })).status).toBe(200)
    await control(sandbox(), "/rate-limits", { mode: "off" }, "PUT")
    expect(await hit(access_token, "/employer/company", 30)).toEqual(Array(30).fill(200))
  })

  it("refuses an unknown mode", async () => {
    const reply = await call(sandbox(), "/_sandbox/rate-limits", {
      method: "PUT",
      body: { mode: "sometimes" },
      noVersion: true,
    })
    expect(reply.status).toBe(400)
  })
})

describe("rate limits at start-up", () => {
  it("are off by default", async () => {
    const sandbox = await startSandbox()
    try {
      const { access_token } = await mint(sandbox)
      expect(await statusesOf(sandbox, "/employer/company", { token: access_token }, 25)).toEqual(Array(25).fill(200))
    } finally {
      await sandbox.close()
    }
  })

  it("can start as 'always'", async () => {
    const sandbox = await startSandbox({ rateLimits: "always" })
    try {
      const { access_token } = await mint(sandbox)
      expect((await call(sandbox, "/employer/directory", { token: access_token })).status).toBe(429)
    } finally {
      await sandbox.close()
    }
  })
})
