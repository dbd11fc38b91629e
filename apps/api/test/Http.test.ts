/**
 * What every route shares: the error body for unknown routes, wrong methods, oversized and non-JSON bodies and
 * malformed JSON; `x-request-id` on every answer; and the system routes (health, readiness, metrics, OpenAPI, docs).
 */
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
beforeAll(async () => {
  api = await makeTestApi()
  await api.createCustomer("acme")
})
afterAll(() => api?.close())

describe("the HTTP contract", () => {
  it("answers an unknown route with 404 not_found", async () => {
    for (const path of ["/nope", "/v1", "/v1/customers/acme/nothing-here", "/v1/webhooks/other"]) {
      const answer = await api.call("GET", path)
      expect(answer.status).toBe(404)
      expect(answer.body.error.code).toBe("not_found")
    }
  })

  it("answers a wrong method with 405 method_not_allowed and an Allow header", async () => {
    const answer = await api.call("PATCH", "/v1/customers/acme", { body: { name: "x" } })
    expect(answer.status).toBe(405)
    expect(answer.body.error.code).toBe("method_not_allowed")
    expect(answer.headers.get("allow")).toContain("PUT")
    expect(answer.headers.get("allow")).toContain("GET")
    expect((await api.call("DELETE", "/healthz")).status).toBe(405)
    expect((await api.call("GET", "/v1/webhooks/finch")).status).toBe(405)
  })

  it("answers a body over 1 MiB with 413 payload_too_large", async () => {
    const answer = await api.call("PUT", "/v1/customers/big", { body: { name: "x".repeat(1024 * 1024 + 10) } })
    expect(answer.status).toBe(413)
    expect(answer.body.error.code).toBe("payload_too_large")
  })

  it("answers a non-JSON body with 415 unsupported_media_type", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
      const answer = await api.call("PUT", "/v1/customers/acme", {
        raw: "name=x",
        headers: { "content-type": contentType },
      })
      expect(answer.status).toBe(415)
      expect(answer.body.error.code).toBe("unsupported_media_type")
    }
    // a string body without a content type is sent as text/plain
    const none = await api.call("POST", "/v1/customers/acme/connections", { raw: '{"code":"x"}' })
    expect(none.status).toBe(415)
    const unlabelled = await api.app.request("/v1/customers/acme/connections", {
      method: "POST",
      headers: { authorization: "Bearer test-key-current-0123456789", "content-length": "12" },
    })
    expect(unlabelled.status).toBe(415)
  })

  it("answers malformed JSON with 400 malformed_json", async () => {
    const answer = await api.call("PUT", "/v1/customers/acme", {
      raw: '{"name": ',
      headers: { "content-type": "application/json" },
    })
    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe("malformed_json")
  })

  it("puts x-request-id on every answer, keeping a well-formed one the caller sent", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/nope"],
      ["GET", "/v1/customers/acme"],
      ["DELETE", "/healthz"],
    ] as const) {
      const answer = await api.call(method, path, { key: path === "/v1/customers/acme" ? null : undefined })
      expect(answer.headers.get("x-request-id")).toMatch(/^[\w-]+$/)
    }
    const given = await api.call("GET", "/healthz", { headers: { "x-request-id": "abc-123" } })
    expect(given.headers.get("x-request-id")).toBe("abc-123")
  })

  // Hono's SmartRouter falls back to its slower TrieRouter for a route set the RegExpRouter cannot hold (a static
  // segment beside a parameter with children, such as `/pages/x/new` beside `/pages/x/:id/edit`): every request pays.
  it("routes every request with Hono's RegExpRouter", async () => {
    await api.call("GET", "/healthz")
    expect(api.app.router.name).toBe("SmartRouter + RegExpRouter")
  })
})

describe("system routes", () => {
  it("GET /healthz answers 200 without a key", async () => {
    const answer = await api.call("GET", "/healthz", { key: null })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ status: "ok" })
  })

  it("GET /readyz is 200 when migrated and 503 when a migration is missing", async () => {
    const ready = await api.call("GET", "/readyz", { key: null })
    expect(ready.status).toBe(200)
    expect(ready.body).toEqual({ status: "ready", database: "reachable", pending_migrations: [] })
    await sql`delete from kysely_migration where name = '0030_create_api_ledgers'`.execute(api.owner)
    try {
      const behind = await api.call("GET", "/readyz", { key: null })
      expect(behind.status).toBe(503)
      expect(behind.body.pending_migrations).toEqual(["0030_create_api_ledgers"])
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values ('0030_create_api_ledgers', now()::text)`.execute(
        api.owner,
      )
    }
  })

  it("GET /metrics counts requests by route and status", async () => {
    await api.call("GET", "/v1/customers/acme")
    const answer = await api.call("GET", "/metrics", { key: null })
    expect(answer.status).toBe(200)
    expect(answer.text).toContain("http_requests_total")
    expect(answer.text).toContain("http_request_duration_seconds")
    expect(answer.text).toMatch(
      /route="\/v1\/customers\/:customer_id"[^\n]*status="200"|status="200"[^\n]*route="\/v1\/customers\/:customer_id"/,
    )
  })

  it("GET /openapi.json documents every route from the Schemas, with the error body", async () => {
    const answer = await api.call("GET", "/openapi.json", { key: null })
    expect(answer.status).toBe(200)
    expect(answer.body.openapi).toBe("3.1.0")
    expect(Object.keys(answer.body.paths).sort()).toEqual(
      [
        "/healthz",
        "/metrics",
        "/readyz",
        "/v1/customers/{customer_id}",
        "/v1/customers/{customer_id}/connect-sessions",
        "/v1/customers/{customer_id}/connections",
        "/v1/customers/{customer_id}/connections/{connection_id}",
        "/v1/customers/{customer_id}/connections/{connection_id}/reauthenticate",
        "/v1/customers/{customer_id}/connections/{connection_id}/syncs",
        "/v1/customers/{customer_id}/employees",
        "/v1/customers/{customer_id}/employees/decisions",
        "/v1/customers/{customer_id}/employees/{person_id}",
        "/v1/customers/{customer_id}/sessions",
        "/v1/customers/{customer_id}/syncs/{sync_id}",
        "/v1/finch/callback",
        "/v1/webhooks/finch",
      ].sort(),
    )
    const put = answer.body.paths["/v1/customers/{customer_id}"].put
    expect(put.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PutCustomer" })
    expect(answer.body.components.schemas.Connection.properties).toHaveProperty("accounts")
    expect(answer.body.components.schemas.Connection.required).toEqual(
      expect.arrayContaining(["last_sync", "current_sync"]),
    )
    expect(Object.keys(answer.body.components.schemas.CurrentSync.properties).sort()).toEqual([
      "id",
      "requested_at",
      "retry_at",
      "started_at",
      "status",
    ])
    expect(answer.body.components.schemas.CurrentSync.properties.status.enum).toEqual(["queued", "running"])
    expect(answer.body.components.schemas.LastSync.properties.status.enum).toEqual(["succeeded", "partial", "failed"])
    expect(answer.body.components.schemas.Account.required).toContain("username")
    expect(answer.body.components.schemas.Account.properties.username.anyOf).toEqual(
      expect.arrayContaining([{ type: "null" }]),
    )
    expect(answer.body.components.schemas.Error).toBeDefined()
    expect(answer.body.security).toEqual([{ apiKey: [] }])
    expect(answer.body.paths["/healthz"].get.security).toEqual([])
    expect(answer.body.paths["/v1/webhooks/finch"].post.security).toEqual([])
  })

  it("GET /docs renders the reference from our own copy of the bundle", async () => {
    const page = await api.call("GET", "/docs", { key: null })
    expect(page.status).toBe(200)
    expect(page.text).toContain('src="/docs/scalar.js"')
    expect(page.text).toContain("/openapi.json")
    expect(page.text).not.toMatch(/https?:\/\//)
    const bundle = await api.app.request("/docs/scalar.js")
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get("content-type")).toContain("javascript")
    expect((await bundle.text()).length).toBeGreaterThan(100_000)
  })
})
