/** Finch's own `/sandbox/*` endpoints, mirrored (reference §9). */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectionModels, type Sandbox } from "../src/Sandbox.ts"
import { basicOf, call, control, useSandbox } from "./support/Http.ts"

const createConnection = async (sandbox: Sandbox, body: Record<string, unknown> = {}) => {
  const reply = await call(sandbox, "/sandbox/connections", {
    basic: basicOf(sandbox),
    body: { provider_id: "gusto", ...body },
  })
  expect(reply.status).toBe(200)
  return reply.body
}

const sync = async (sandbox: Sandbox, token: string) => {
  const reply = await call(sandbox, "/sandbox/jobs", { token, body: { type: "data_sync_all" } })
  expect(reply.status).toBe(201)
  return reply.body
}

describe.each(connectionModels)("POST /sandbox/connections and /sandbox/connections/accounts (%s model)", (model) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })

  it("creates a new company and connection with 20 employees and the organization products by default", async () => {
    const created = await createConnection(sandbox())
    expect(created).toMatchObject({
      token_type: "bearer",
      provider_id: "gusto",
      authentication_type: "oauth",
      products: ["company", "directory", "individual", "employment"],
    })
    const directory = await call(sandbox(), "/employer/directory", { token: created.access_token })
    expect(directory.body.paging.count).toBe(20)
    const another = await createConnection(sandbox())
    expect(another.company_id).not.toBe(created.company_id)
  })

  it("takes employee_size, products and authentication_type, and validates them", async () => {
    const created = await createConnection(sandbox(), {
      employee_size: 3,
      products: ["directory"],
      authentication_type: "credential",
    })
    expect(created.products).toEqual(["directory"])
    expect(created.authentication_type).toBe("credential")
    expect((await call(sandbox(), "/employer/directory", { token: created.access_token })).body.paging.count).toBe(3)
    for (const body of [
      { provider_id: "nope" },
      { provider_id: "gusto", employee_size: 0 },
      { provider_id: "gusto", products: ["x"] },
    ]) {
      const reply = await call(sandbox(), "/sandbox/connections", { basic: basicOf(sandbox()), body })
      expect(reply.status).toBe(400)
    }
  })

  it("needs the application's Basic credentials", async () => {
    const bearer = await call(sandbox(), "/sandbox/connections", { token: "x", body: { provider_id: "gusto" } })
    expect(bearer.status).toBe(401)
    const wrong = await call(sandbox(), "/sandbox/connections", {
      basic: { id: sandbox().clientId, secret: "wrong" },
      body: { provider_id: "gusto" },
    })
    expect(wrong.body.name).toBe("invalid_client_error")
  })

  it("a second login to the same company keeps company_id, with a new account_id and (current) connection_id", async () => {
    const created = await createConnection(sandbox())
    const reply = await call(sandbox(), "/sandbox/connections/accounts", {
      basic: basicOf(sandbox()),
      body: { provider_id: "gusto", company_id: created.company_id, products: ["company", "payment"] },
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ company_id: created.company_id, products: ["company", "payment"] })
    expect(reply.body.account_id).not.toBe(created.account_id)
    // Finch since 2024-10-29: every login its own connection; the legacy model: an account of the first one.
    expect(reply.body.connection_id === created.connection_id).toBe(model === "legacy")
    const introspect = await call(sandbox(), "/introspect", { token: reply.body.access_token })
    expect(introspect.body).toMatchObject({
      connection_id: reply.body.connection_id,
      account_id: reply.body.account_id,
      company_id: created.company_id,
      products: ["company", "payment"],
    })
    const unknown = await call(sandbox(), "/sandbox/connections/accounts", {
      basic: basicOf(sandbox()),
      body: { provider_id: "gusto", company_id: "00000000-0000-4000-8000-000000000000" },
    })
    expect(unknown.status).toBe(400)
  })

  it("PUT /sandbox/connections/accounts sets the status (error_reauth is accepted for reauth)", async () => {
    const created = await createConnection(sandbox())
    const put = (connection_status: string) =>
      call(sandbox(), "/sandbox/connections/accounts", {
        method: "PUT",
        token: created.access_token,
        body: { connection_status },
      })
    expect((await put("error_reauth")).status).toBe(200)
    const reauth = await call(sandbox(), "/employer/company", { token: created.access_token })
    expect(reauth.body.finch_code).toBe("reauthenticate_user")
    await put("connected")
    expect((await call(sandbox(), "/employer/company", { token: created.access_token })).status).toBe(200)
    expect((await put("sideways")).status).toBe(400)
  })

  it("an assisted sandbox connection answers 202 until set to connected", async () => {
    const created = await createConnection(sandbox(), { authentication_type: "assisted" })
    expect((await call(sandbox(), "/employer/directory", { token: created.access_token })).status).toBe(202)
    const jobs = await call(sandbox(), "/jobs/automated", {
      token: created.access_token,
      body: { type: "data_sync_all" },
    })
    expect(jobs.status).toBe(400)
    await call(sandbox(), "/sandbox/connections/accounts", {
      method: "PUT",
      token: created.access_token,
      body: { connection_status: "connected" },
    })
    expect((await call(sandbox(), "/employer/directory", { token: created.access_token })).status).toBe(200)
  })
})

describe("sandbox jobs", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("configures how the next data sync ends; reauth_error puts the connection in reauth", async () => {
    const created = await createConnection(sandbox())
    const get = await call(sandbox(), "/sandbox/jobs/configuration", { token: created.access_token })
    expect(get.body).toEqual([{ type: "data_sync_all", completion_status: "complete" }])
    const put = await call(sandbox(), "/sandbox/jobs/configuration", {
      method: "PUT",
      token: created.access_token,
      body: { type: "data_sync_all", completion_status: "reauth_error" },
    })
    expect(put.body).toEqual({ type: "data_sync_all", completion_status: "reauth_error" })
    const job = await sync(sandbox(), created.access_token)
    const status = await call(sandbox(), `/jobs/automated/${job.job_id}`, { token: created.access_token })
    expect(status.body.status).toBe("reauth_error")
    expect((await call(sandbox(), "/employer/company", { token: created.access_token })).status).toBe(401)
  })

  it("reports the last sync attempt in Finch's data headers, failed ones included", async () => {
    const created = await createConnection(sandbox())
    const before = await call(sandbox(), "/employer/company", { token: created.access_token })
    const retrieved = before.headers.get("finch-data-retrieved")
    expect(before.headers.get("finch-last-attempted-update-result")).toBe("success")
    await call(sandbox(), "/sandbox/jobs/configuration", {
      method: "PUT",
      token: created.access_token,
      body: { type: "data_sync_all", completion_status: "error" },
    })
    await control(sandbox(), "/clock/advance", { seconds: 5 })
    await sync(sandbox(), created.access_token)
    const after = await call(sandbox(), "/employer/company", { token: created.access_token })
    expect(after.status).toBe(200)
    expect(after.headers.get("finch-data-retrieved")).toBe(retrieved)
    expect(after.headers.get("finch-last-attempted-update-result")).toBe("error")
    expect(Date.parse(after.headers.get("finch-last-attempted-update-date") ?? "")).toBeGreaterThan(
      Date.parse(retrieved ?? ""),
    )
  })

  it("allows one forced refresh per hour per connection", async () => {
    const created = await createConnection(sandbox())
    const first = await sync(sandbox(), created.access_token)
    expect(first).toMatchObject({ allowed_refreshes: 1, remaining_refreshes: 0 })
    expect(first.job_url).toBe(`${sandbox().baseUrl}/jobs/automated/${first.job_id}`)
    const second = await call(sandbox(), "/sandbox/jobs", {
      token: created.access_token,
      body: { type: "data_sync_all" },
    })
    expect(second.status).toBe(429)
    expect(second.body.remaining_refreshes).toBe(0)
    expect(Date.parse(second.body.retry_at)).toBeGreaterThan(Date.now())
  })
})

describe("sandbox writes show after the next data sync", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("company, individual, employment, new people and payments", async () => {
    const created = await createConnection(sandbox(), {
      products: ["company", "directory", "individual", "employment", "payment"],
    })
    const token = created.access_token
    const directory = await call(sandbox(), "/employer/directory", { token })
    const someone = directory.body.individuals[0].id
    const company = await call(sandbox(), "/sandbox/company", {
      method: "PUT",
      token,
      body: { legal_name: "Renamed LLC" },
    })
    expect(company.body.legal_name).toBe("Renamed LLC")
    expect(company.body.id).toBeUndefined()
    const individual = await call(sandbox(), `/sandbox/individual/${someone}`, {
      method: "PUT",
      token,
      body: { last_name: "Newname", dob: "1990-02-03" },
    })
    expect(individual.body).toMatchObject({ id: someone, last_name: "Newname", dob: "1990-02-03" })
    const employment = await call(sandbox(), `/sandbox/employment/${someone}`, {
      method: "PUT",
      token,
      body: { title: "Chief Sandbox Officer" },
    })
    expect(employment.body).toMatchObject({ id: someone, title: "Chief Sandbox Officer", last_name: "Newname" })
    const added = await call(sandbox(), "/sandbox/directory", {
      token,
      body: [{ first_name: "Ada", last_name: "Lovelace", title: "Analyst" }, {}],
    })
    expect(added.body).toHaveLength(2)
    expect(added.body[0]).toMatchObject({ first_name: "Ada", last_name: "Lovelace", title: "Analyst" })
    const payment = await call(sandbox(), "/sandbox/payment", {
      token,
      body: {
        start_date: "2026-05-01",
        end_date: "2026-05-15",
        pay_statements: [{ individual_id: someone, gross_pay: { amount: 100000, currency: "usd" } }],
      },
    })
    expect(payment.body.pay_date).toBe("2026-05-15")
    const unknown = await call(sandbox(), "/sandbox/individual/00000000-0000-4000-8000-000000000000", {
      method: "PUT",
      token,
      body: {},
    })
    expect(unknown.status).toBe(404)

    // Nothing shows before a sync.
    expect((await call(sandbox(), "/employer/company", { token })).body.legal_name).not.toBe("Renamed LLC")
    expect((await call(sandbox(), "/employer/directory", { token })).body.paging.count).toBe(20)

    await sync(sandbox(), token)
    expect((await call(sandbox(), "/employer/company", { token })).body.legal_name).toBe("Renamed LLC")
    const after = await call(sandbox(), "/employer/directory", { token })
    expect(after.body.paging.count).toBe(22)
    const read = await call(sandbox(), "/employer/individual", {
      token,
      body: { requests: [{ individual_id: someone }] },
    })
    expect(read.body.responses[0].body).toMatchObject({ last_name: "Newname", dob: "1990-02-03" })
    const job = await call(sandbox(), "/employer/employment", {
      token,
      body: { requests: [{ individual_id: someone }] },
    })
    expect(job.body.responses[0].body.title).toBe("Chief Sandbox Officer")
    const ada = await call(sandbox(), "/employer/individual", {
      token,
      body: { requests: [{ individual_id: added.body[0].id }] },
    })
    expect(ada.body.responses[0].body.first_name).toBe("Ada")
    const payments = await call(sandbox(), "/employer/payment?start_date=2026-05-15&end_date=2026-05-15", { token })
    expect(payments.body.map((p: { id: string }) => p.id)).toEqual([payment.body.payment_id])
  })
})
