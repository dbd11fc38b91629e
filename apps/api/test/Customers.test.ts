/**
 * `PUT`/`GET /v1/customers/{customer_id}` and API-key authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTestApi, oldApiKey, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
beforeAll(async () => {
  api = await makeTestApi()
})
afterAll(() => api?.close())

describe("PUT /v1/customers/{customer_id}", () => {
  it("registers a customer (201), confirms it with the same name (200), refuses another name (409)", async () => {
    const created = await api.call("PUT", "/v1/customers/acme", { body: { name: "  Acme Inc.  " } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ id: "acme", name: "Acme Inc." })
    expect(created.body.created_at).toEqual(expect.any(String))
    const again = await api.call("PUT", "/v1/customers/acme", { body: { name: "Acme Inc." } })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(created.body)
    const other = await api.call("PUT", "/v1/customers/acme", { body: { name: "Other" } })
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe("customer_already_exists")
  })

  it("answers a bad body with 400 invalid_request naming the field", async () => {
    for (const body of [{}, { name: 42 }, { name: "" }, { name: "x".repeat(256) }, { name: "a\u0000b" }]) {
      const answer = await api.call("PUT", "/v1/customers/acme2", { body })
      expect(answer.status).toBe(400)
      expect(answer.body.error.code).toBe("invalid_request")
      expect(answer.body.error.message).toMatch(/^body name/)
      expect(answer.body.error.details.issues[0]).toMatchObject({ field: "name", in: "body" })
    }
    expect((await api.call("GET", "/v1/customers/acme2")).status).toBe(404)
  })

  it("answers a bad customer id with 400 naming customer_id", async () => {
    const answer = await api.call("PUT", `/v1/customers/${"x".repeat(300)}`, { body: { name: "X" } })
    expect(answer.status).toBe(400)
    expect(answer.body.error.details.issues[0]).toMatchObject({ field: "customer_id", in: "path" })
  })
})

describe("GET /v1/customers/{customer_id}", () => {
  it("reads the customer; an unknown one is 404 customer_not_found", async () => {
    await api.createCustomer("initech", "Initech")
    const read = await api.call("GET", "/v1/customers/initech")
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({ id: "initech", name: "Initech" })
    const unknown = await api.call("GET", "/v1/customers/nobody")
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ error: { code: "customer_not_found", message: "no customer with that id" } })
  })
})

describe("API keys", () => {
  it("accepts every configured key (rotation)", async () => {
    expect((await api.call("GET", "/v1/customers/initech", { key: oldApiKey })).status).toBe(200)
  })

  it("answers a missing, wrong or malformed key with the same 401 unauthorized", async () => {
    const answers = await Promise.all([
      api.call("GET", "/v1/customers/initech", { key: null }),
      api.call("GET", "/v1/customers/initech", { key: "wrong" }),
      api.call("GET", "/v1/customers/initech", { key: "" }),
      api.call("GET", "/v1/customers/initech", { key: null, headers: { authorization: "Basic abc" } }),
      api.call("PUT", "/v1/customers/new", { key: "wrong", body: { name: "New" } }),
    ])
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      expect(answer.text).toBe(answers[0]?.text)
      expect(answer.body.error.code).toBe("unauthorized")
    }
    expect((await api.call("GET", "/v1/customers/new")).status).toBe(404)
  })
})
