import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NonLoopbackRefused, startSandbox } from "../src/Sandbox.ts"
import { call, mint, useSandbox } from "./support/Http.ts"

describe("startSandbox", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("listens on loopback and exposes its base URL and generated client credentials", () => {
    expect(sandbox().baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(sandbox().clientId).not.toBe("")
    expect(sandbox().clientSecret).not.toBe("")
  })

  it("refuses to listen beyond loopback unless told otherwise, and says why", async () => {
    await expect(startSandbox({ host: "0.0.0.0" })).rejects.toBeInstanceOf(NonLoopbackRefused)
    await expect(startSandbox({ host: "0.0.0.0" })).rejects.toThrow(/allowNonLoopback/)
  })

  it("refuses a webhook target beyond loopback", async () => {
    await expect(
      startSandbox({ webhook: { url: "https://hooks.example.com/finch", secret: "c2VjcmV0" } }),
    ).rejects.toBeInstanceOf(NonLoopbackRefused)
  })

  it("uses the client credentials it is given", async () => {
    const own = await startSandbox({ clientId: "my-client", clientSecret: "my-secret" })
    try {
      expect(own.clientId).toBe("my-client")
      expect(own.clientSecret).toBe("my-secret")
    } finally {
      await own.close()
    }
  })

  it("puts a unique Finch-Request-Id on every response, errors included", async () => {
    const { access_token } = await mint(sandbox())
    const ok = await call(sandbox(), "/introspect", { token: access_token })
    const unauthorized = await call(sandbox(), "/introspect")
    const missing = await call(sandbox(), "/no/such/route")
    const ids = [ok, unauthorized, missing].map((reply) => reply.headers.get("finch-request-id"))
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true)
    expect(new Set(ids).size).toBe(3)
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ code: 404, name: "not_found_error" })
  })

  it("requires Finch-API-Version: 2020-09-17", async () => {
    const { access_token } = await mint(sandbox())
    const missing = await call(sandbox(), "/introspect", { token: access_token, noVersion: true })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ code: 400, name: "invalid_request_error", finch_code: "invalid_request" })
    const wrong = await call(sandbox(), "/introspect", {
      token: access_token,
      noVersion: true,
      headers: { "Finch-API-Version": "2024-01-01" },
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body.message).toContain("2024-01-01")
  })

  it("tolerates the official SDK's X-Stainless-* headers", async () => {
    const { access_token } = await mint(sandbox())
    const reply = await call(sandbox(), "/introspect", {
      token: access_token,
      headers: { "X-Stainless-Retry-Count": "0", "X-Stainless-Lang": "js", "User-Agent": "Finch/JS 10.8.1" },
    })
    expect(reply.status).toBe(200)
  })

  it("generates a company's people independently of what was generated before it", async () => {
    const a = await startSandbox({ seed: 3, today: "2026-01-01" })
    const b = await startSandbox({ seed: 3, today: "2026-01-01" })
    try {
      await mint(b, { username: "someone_else", employee_size: 500 })
      await mint(b, { provider_id: "deel", username: "good_user" })
      const [ta, tb] = [await mint(a, { username: "good_user" }), await mint(b, { username: "good_user" })]
      const people = async (sandbox: typeof a, token: string) =>
        (await call(sandbox, "/employer/directory", { token })).body.individuals
      expect(await people(a, ta.access_token)).toEqual(await people(b, tb.access_token))
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("generates the same company from the same seed", async () => {
    const a = await startSandbox({ seed: 42, today: "2026-01-01" })
    const b = await startSandbox({ seed: 42, today: "2026-01-01" })
    try {
      const [ta, tb] = [await mint(a, { username: "good_user" }), await mint(b, { username: "good_user" })]
      const [ca, cb] = [
        await call(a, "/employer/directory", { token: ta.access_token }),
        await call(b, "/employer/directory", { token: tb.access_token }),
      ]
      expect(ca.body).toEqual(cb.body)
      expect(ta.company_id).toBe(tb.company_id)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
