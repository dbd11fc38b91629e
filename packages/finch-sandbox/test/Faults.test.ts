import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { call, control, finchRateLimitedBody, mint, requestLog, statusesOf, useSandbox } from "./support/Http.ts"

describe("injected faults", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })
  afterEach(async () => {
    await control(sandbox(), "/faults", undefined, "DELETE")
    await control(sandbox(), "/requests", undefined, "DELETE")
  })

  it("answers a 5xx for the next N matching calls, then recovers", async () => {
    const { access_token } = await mint(sandbox())
    const created = await control<{ fault_id: string }>(sandbox(), "/faults", {
      path: "/employer/directory",
      status: 503,
      count: 2,
    })
    expect(created.fault_id).not.toBe("")
    expect(await statusesOf(sandbox(), "/employer/directory", { token: access_token }, 3)).toEqual([503, 503, 200])
    // Other paths are untouched.
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(200)
  })

  it("uses Finch's error body for the status", async () => {
    const { access_token } = await mint(sandbox())
    const expected: Array<[number, string]> = [
      [500, "server_error"],
      [502, "bad_gateway_error"],
      [408, "client_connection_closed"],
      [409, "conflict_error"],
      [429, "rate_limit_exceeded_error"],
    ]
    for (const [status, name] of expected) {
      await control(sandbox(), "/faults", { status, count: 1 })
      const reply = await call(sandbox(), "/introspect", { token: access_token })
      expect(reply.status).toBe(status)
      expect(reply.body).toMatchObject({ code: status, name })
      expect(reply.headers.get("finch-request-id")).not.toBeNull()
    }
  })

  it("answers 202 for N calls", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/faults", { path: "/employer/company", status: 202, count: 1 })
    const pending = await call(sandbox(), "/employer/company", { token: access_token })
    expect(pending.status).toBe(202)
    expect(pending.body).toMatchObject({ code: 202, finch_code: "data_sync_in_progress" })
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(200)
  })

  it("sends Retry-After and retry-after-ms when asked", async () => {
    await control(sandbox(), "/faults", { status: 429, count: 1, retry_after: 3 })
    await control(sandbox(), "/faults", { status: 429, count: 1, retry_after_ms: 250 })
    const first = await call(sandbox(), "/providers")
    expect(first.headers.get("retry-after")).toBe("3")
    const second = await call(sandbox(), "/providers")
    expect(second.headers.get("retry-after-ms")).toBe("250")
    expect(second.body).toEqual(finchRateLimitedBody)
  })

  it("matches on method", async () => {
    const { access_token } = await mint(sandbox(), { products: ["directory", "individual"] })
    await control(sandbox(), "/faults", { method: "POST", status: 500, count: 1 })
    expect((await call(sandbox(), "/employer/directory", { token: access_token })).status).toBe(200)
    const post = await call(sandbox(), "/employer/individual", { token: access_token, body: { requests: [] } })
    expect(post.status).toBe(500)
  })

  it("adds latency: a client with a short timeout gives up", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/faults", { path: "/introspect", latency_ms: 3000, count: 1 })
    const slow = fetch(`${sandbox().baseUrl}/introspect`, {
      headers: { authorization: `Bearer ${access_token}`, "finch-api-version": "2020-09-17" },
      signal: AbortSignal.timeout(200),
    })
    await expect(slow).rejects.toThrow()
  })

  it("latency alone still answers normally", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/faults", { path: "/introspect", latency_ms: 20, count: 1 })
    expect((await call(sandbox(), "/introspect", { token: access_token })).status).toBe(200)
  })

  it("drops the connection without an answer, and logs it with status 0", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/faults", { path: "/employer/directory", drop: true, count: 1 })
    await expect(call(sandbox(), "/employer/directory", { token: access_token })).rejects.toThrow()
    expect((await call(sandbox(), "/employer/directory", { token: access_token })).status).toBe(200)
    const log = await requestLog(sandbox())
    expect(log.requests.filter((r) => r.path === "/employer/directory").map((r) => r.status)).toEqual([0, 200])
  })

  it("lists pending faults and clears them all", async () => {
    await control(sandbox(), "/faults", { status: 500, count: 5 })
    const listed = await control<{ faults: Array<{ remaining: number }> }>(sandbox(), "/faults")
    expect(listed.faults.map((fault) => fault.remaining)).toEqual([5])
    await control(sandbox(), "/faults", undefined, "DELETE")
    expect((await call(sandbox(), "/providers")).status).toBe(200)
  })

  it("refuses a fault that does nothing", async () => {
    const reply = await call(sandbox(), "/_sandbox/faults", { body: { count: 1 }, noVersion: true })
    expect(reply.status).toBe(400)
  })

  it("never faults the control API", async () => {
    await control(sandbox(), "/faults", { status: 500, count: 1 })
    expect((await call(sandbox(), "/_sandbox/requests", { noVersion: true })).status).toBe(200)
  })
})

describe("the request log", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("records every API call with its status and counts per endpoint, but not control calls", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/requests", undefined, "DELETE")
    await control(sandbox(), "/faults", { path: "/employer/directory", status: 500, count: 2 })
    for (let i = 0; i < 3; i++) {
      await call(sandbox(), `/employer/directory?offset=${i}`, {
        token: access_token,
        headers: { "X-Stainless-Retry-Count": String(i) },
      })
    }
    await call(sandbox(), "/introspect", { token: access_token })
    const log = await requestLog(sandbox())
    expect(log.counts).toEqual({ "GET /employer/directory": 3, "GET /introspect": 1 })
    expect(log.requests.map((r) => [r.path, r.query, r.status, r.retry_count])).toEqual([
      ["/employer/directory", "offset=0", 500, 0],
      ["/employer/directory", "offset=1", 500, 1],
      ["/employer/directory", "offset=2", 200, 2],
      ["/introspect", "", 200, undefined],
    ])
    await control(sandbox(), "/requests", undefined, "DELETE")
    expect((await requestLog(sandbox())).requests).toEqual([])
  })
})
