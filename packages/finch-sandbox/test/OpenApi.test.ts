/**
 * The sandbox's responses validate against Finch's own 2024 OpenAPI documents (copied into test/fixtures) for every
 * field those documents define.
 */
import type { ValidateFunction } from "ajv"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectionModels } from "../src/Sandbox.ts"
import { basicOf, call, control, mint, useSandbox } from "./support/Http.ts"
import { explain, FinchSchemas } from "./support/OpenApi.ts"

const schemas = new FinchSchemas()

const expectValid = (validate: ValidateFunction, body: unknown) => {
  const valid = validate(body)
  expect(valid, explain(validate)).toBe(true)
}

const all = ["company", "directory", "individual", "employment", "payment", "pay_statement", "ssn"]

describe("the OpenAPI validators", () => {
  it("reject what Finch's documents forbid (so a pass means something)", () => {
    const individual = schemas.response("employer", "/employer/individual", "post", "200")
    const body = (patch: object) => ({
      responses: [{ individual_id: "a", code: 200, body: { id: "5d0b10a1-a09a-430f-81f1-20be735dc5e9", ...patch } }],
    })
    expect(individual(body({ gender: "female", dob: null, residence: null, emails: null }))).toBe(true)
    expect(individual(body({ gender: "robot" }))).toBe(false)
    expect(individual(body({ dob: "01/01/2000" }))).toBe(false)
    expect(individual(body({ emails: [{ data: "a@example.com", type: "home" }] }))).toBe(false)
    const directory = schemas.response("employer", "/employer/directory", "get", "200")
    expect(directory({ paging: { count: "many", offset: 0 }, individuals: [] })).toBe(false)
    expect(directory({ paging: { count: 1, offset: 0 }, individuals: [{ id: "x", is_active: "yes" }] })).toBe(false)
  })
})

describe.each(connectionModels)("responses against Finch's OpenAPI documents (2024), %s model", (connectionModel) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel })

  it("GET /employer/company", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const reply = await call(sandbox(), "/employer/company", { token: access_token })
    expect(reply.status).toBe(200)
    expectValid(schemas.response("employer", "/employer/company", "get", "200"), reply.body)
  })

  it("GET /employer/directory, POST /employer/individual and /employer/employment for every scenario's people", async () => {
    const directory = schemas.response("employer", "/employer/directory", "get", "200")
    const individual = schemas.response("employer", "/employer/individual", "post", "200")
    const employment = schemas.response("employer", "/employer/employment", "post", "200")
    const { scenarios } = await control<{ scenarios: Array<{ name: string }> }>(sandbox(), "/scenarios")
    let people = 0
    for (const { name } of scenarios) {
      const { connections } = await control<{ connections: Array<{ access_token: string; products: string[] }> }>(
        sandbox(),
        `/scenarios/${name}`,
        {},
      )
      for (const connection of connections.filter((c) => c.products.includes("employment"))) {
        const page = await call(sandbox(), "/employer/directory?limit=10000", { token: connection.access_token })
        expectValid(directory, page.body)
        const requests = page.body.individuals.map((item: { id: string }) => ({ individual_id: item.id }))
        const individuals = await call(sandbox(), "/employer/individual", {
          token: connection.access_token,
          body: { requests, options: { include: ["ssn"] } },
        })
        expectValid(individual, individuals.body)
        const employments = await call(sandbox(), "/employer/employment", {
          token: connection.access_token,
          body: { requests },
        })
        expectValid(employment, employments.body)
        people += requests.length
      }
    }
    expect(people).toBeGreaterThan(200)
  })

  it("per-item 404s inside a batch carry Finch's error shape", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const reply = await call(sandbox(), "/employer/individual", {
      token: access_token,
      body: { requests: [{ individual_id: "00000000-0000-4000-8000-000000000000" }] },
    })
    expectValid(schemas.response("employer", "/employer/individual", "post", "200"), reply.body)
    expectValid(schemas.component("employer", "Error"), reply.body.responses[0].body)
  })

  it("GET /employer/payment", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const reply = await call(sandbox(), "/employer/payment?start_date=2026-01-01&end_date=2026-12-31", {
      token: access_token,
    })
    expect(reply.status).toBe(200)
    expect(reply.body.length).toBeGreaterThan(0)
    expectValid(schemas.response("employer", "/employer/payment", "get", "200"), reply.body)
  })

  it("POST /employer/pay-statement", async () => {
    const { access_token } = await mint(sandbox(), { products: all, employee_size: 40 })
    const payments = await call(sandbox(), "/employer/payment?start_date=2026-01-01&end_date=2026-12-31", {
      token: access_token,
    })
    const reply = await call(sandbox(), "/employer/pay-statement", {
      token: access_token,
      body: { requests: payments.body.map((payment: { id: string }) => ({ payment_id: payment.id })) },
    })
    expect(reply.status).toBe(200)
    expect(reply.body.responses[0].body.pay_statements.length).toBeGreaterThan(10)
    expectValid(schemas.response("employer", "/employer/pay-statement", "post", "200"), reply.body)
  })

  it("GET /introspect, GET /providers and POST /disconnect", async () => {
    const { access_token } = await mint(sandbox(), { products: all, username: "good_user" })
    const introspect = await call(sandbox(), "/introspect", { token: access_token })
    expectValid(schemas.response("management", "/introspect", "get", "200"), introspect.body)
    const providers = await call(sandbox(), "/providers")
    expectValid(schemas.response("management", "/providers", "get", "200"), providers.body)
    const disconnect = await call(sandbox(), "/disconnect", { token: access_token, method: "POST" })
    expectValid(schemas.response("management", "/disconnect", "post", "200"), disconnect.body)
  })

  it("Finch's /sandbox/* endpoints", async () => {
    // SPEC-2024 declares provider_id `format: uuid` here, a documentation slip: provider ids are slugs ("gusto")
    // everywhere else in the same document and in the SDK.
    const slugProvider = (schema: any) => {
      delete schema.properties.provider_id.format
    }
    const created = await call(sandbox(), "/sandbox/connections", {
      basic: basicOf(sandbox()),
      body: { provider_id: "gusto", employee_size: 30 },
    })
    expect(created.status).toBe(200)
    expectValid(schemas.response("management", "/sandbox/connections", "post", "200", slugProvider), created.body)
    const account = await call(sandbox(), "/sandbox/connections/accounts", {
      basic: basicOf(sandbox()),
      body: { provider_id: "gusto", company_id: created.body.company_id },
    })
    expect(account.status).toBe(200)
    expectValid(schemas.response("management", "/sandbox/connections/accounts", "post", "200"), account.body)
    // The second login's own introspection (its own connection in the current model, an account in the legacy one).
    const second = await call(sandbox(), "/introspect", { token: account.body.access_token })
    expect(second.body.connection_id === created.body.connection_id).toBe(connectionModel === "legacy")
    expectValid(schemas.response("management", "/introspect", "get", "200"), second.body)
    const updated = await call(sandbox(), "/sandbox/connections/accounts", {
      method: "PUT",
      token: account.body.access_token,
      body: { connection_status: "reauth" },
    })
    expectValid(schemas.response("management", "/sandbox/connections/accounts", "put", "200"), updated.body)
    const configuration = await call(sandbox(), "/sandbox/jobs/configuration", { token: created.body.access_token })
    expectValid(schemas.response("management", "/sandbox/jobs/configuration", "get", "200"), configuration.body)
  })

  it("Finch's /sandbox/* write endpoints", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const someone = (await call(sandbox(), "/employer/directory", { token: access_token })).body.individuals[0].id
    const company = await call(sandbox(), "/sandbox/company", {
      method: "PUT",
      token: access_token,
      body: { legal_name: "Renamed LLC", ein: "12-3456789" },
    })
    expectValid(schemas.response("management", "/sandbox/company", "put", "200"), company.body)
    const directory = await call(sandbox(), "/sandbox/directory", {
      token: access_token,
      body: [{ first_name: "Ada" }],
    })
    expectValid(schemas.response("management", "/sandbox/directory", "post", "200"), directory.body)
    const individual = await call(sandbox(), `/sandbox/individual/${someone}`, {
      method: "PUT",
      token: access_token,
      body: { preferred_name: "Sam" },
    })
    expectValid(schemas.response("management", "/sandbox/individual/{individual_id}", "put", "200"), individual.body)
    const employment = await call(sandbox(), `/sandbox/employment/${someone}`, {
      method: "PUT",
      token: access_token,
      body: { title: "Lead" },
    })
    expectValid(schemas.response("management", "/sandbox/employment/{individual_id}", "put", "200"), employment.body)
    const payment = await call(sandbox(), "/sandbox/payment", { token: access_token, body: {} })
    expectValid(schemas.response("management", "/sandbox/payment", "post", "200"), payment.body)
  })

  it("POST /jobs/automated, GET /jobs/automated and GET /jobs/automated/{job_id}", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const created = await call(sandbox(), "/jobs/automated", { token: access_token, body: { type: "data_sync_all" } })
    expect(created.status).toBe(201)
    expectValid(schemas.response("management", "/jobs/automated", "post", "201"), created.body)
    const again = await call(sandbox(), "/jobs/automated", { token: access_token, body: { type: "data_sync_all" } })
    expect(again.status).toBe(429)
    expectValid(schemas.response("management", "/jobs/automated", "post", "429"), again.body)
    const list = await call(sandbox(), "/jobs/automated", { token: access_token })
    expectValid(schemas.response("management", "/jobs/automated", "get", "200"), list.body)
    const one = await call(sandbox(), `/jobs/automated/${created.body.job_id}`, { token: access_token })
    expectValid(schemas.response("management", "/jobs/automated/{job_id}", "get", "200"), one.body)
    const missing = await call(sandbox(), "/jobs/automated/00000000-0000-4000-8000-000000000000", {
      token: access_token,
    })
    expectValid(schemas.response("management", "/jobs/automated", "get", "404"), missing.body)
  })

  it("introspection in every connection status and for multi-entity and assisted connections", async () => {
    const introspect = schemas.response("management", "/introspect", "get", "200")
    const tokens = [
      await mint(sandbox(), { products: all }),
      await mint(sandbox(), { provider_id: "rippling", username: "multi_entity" }),
      await mint(sandbox(), { provider_id: "insperity", authentication_type: "assisted" }),
      await mint(sandbox(), { provider_id: "deel" }),
    ]
    for (const status of [
      "pending",
      "processing",
      "connected",
      "error_no_account_setup",
      "error_permissions",
      "reauth",
    ]) {
      await control(sandbox(), `/connections/${tokens[0]?.connection_id}/status`, { status })
      expectValid(introspect, (await call(sandbox(), "/introspect", { token: tokens[0]?.access_token ?? "" })).body)
    }
    for (const token of tokens.slice(1)) {
      expectValid(introspect, (await call(sandbox(), "/introspect", { token: token.access_token })).body)
    }
  })

  it("injected faults answer bodies that match the Error schema", async () => {
    const error = schemas.component("employer", "Error")
    for (const status of [400, 401, 403, 404, 408, 409, 429, 500, 501, 502, 503, 504, 202]) {
      await control(sandbox(), "/faults", { path: "/providers", status, count: 1 })
      const reply = await call(sandbox(), "/providers")
      expect(reply.status).toBe(status)
      expectValid(error, reply.body)
    }
  })

  it("error bodies match the Error schema", async () => {
    const { access_token } = await mint(sandbox(), { products: ["company"] })
    const error = schemas.component("employer", "Error")
    const replies = [
      await call(sandbox(), "/employer/company"),
      await call(sandbox(), "/employer/company", { token: "not-a-token" }),
      await call(sandbox(), "/employer/directory", { token: access_token }),
      await call(sandbox(), "/employer/company", { token: access_token, noVersion: true }),
    ]
    expect(replies.map((reply) => reply.status)).toEqual([401, 401, 403, 400])
    for (const reply of replies) expectValid(error, reply.body)
  })
})
