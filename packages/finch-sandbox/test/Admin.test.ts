/** The `/_sandbox` control API beyond what the other suites already exercise. */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, control, mint, requestLog, useSandbox } from "./support/Http.ts"

describe("the /_sandbox control API", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("describes itself", async () => {
    const info = await control(sandbox(), "")
    expect(info).toMatchObject({
      base_url: sandbox().baseUrl,
      client_id: sandbox().clientId,
      rate_limits: "off",
      connection_model: "current",
    })
    expect(info.providers).toContain("deel")
  })

  it("POST /connections mints a connected token with the contract's fields", async () => {
    const reply = await call(sandbox(), "/_sandbox/connections", {
      noVersion: true,
      body: { provider_id: "paychex_flex", employee_size: 7, products: ["directory"], customer_id: "cust-9" },
    })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({
      token_type: "bearer",
      provider_id: "paychex_flex",
      products: ["directory"],
      customer_id: "cust-9",
      employee_count: 7,
    })
    for (const field of ["access_token", "connection_id", "company_id", "account_id", "entity_id"]) {
      expect(typeof reply.body[field], field).toBe("string")
    }
    const introspect = await call(sandbox(), "/introspect", { token: reply.body.access_token })
    expect(introspect.body).toMatchObject({ customer_id: "cust-9", connection_id: reply.body.connection_id })
  })

  it("POST /connections joins an existing company by company_id or a scenario, and can start in a status", async () => {
    const first = await mint(sandbox(), { customer_id: "joiner" })
    const second = await mint(sandbox(), {
      customer_id: "joiner",
      company_id: first.company_id,
      username: "other_admin",
    })
    // A second login is a Finch connection of its own (current model), with its own account.
    expect(second.company_id).toBe(first.company_id)
    expect(second.connection_id).not.toBe(first.connection_id)
    expect(second.account_id).not.toBe(first.account_id)
    const fromScenario = await mint(sandbox(), { provider_id: "deel", scenario: "foreign-contractors" })
    const truth = await control(sandbox(), "/scenarios/foreign-contractors/truth")
    expect(truth.people.some((p: any) => p.records.some((r: any) => r.company_id === fromScenario.company_id))).toBe(
      true,
    )
    const reauth = await mint(sandbox(), { status: "reauth" })
    expect((await call(sandbox(), "/employer/company", { token: reauth.access_token })).status).toBe(401)
    const bad = await call(sandbox(), "/_sandbox/connections", { noVersion: true, body: { provider_id: "nope" } })
    expect(bad.status).toBe(400)
  })

  it("lists connections with their accounts and token counts", async () => {
    const minted = await mint(sandbox(), { customer_id: "lister" })
    const { connections } = await control(sandbox(), "/connections")
    const listed = connections.find((c: any) => c.connection_id === minted.connection_id)
    expect(listed).toMatchObject({ customer_id: "lister", status: "connected", tokens: 1 })
    expect(listed.accounts.map((a: any) => a.account_id)).toEqual([minted.account_id])
    const one = await control(sandbox(), `/connections/${minted.connection_id}`)
    expect(one.connection_id).toBe(minted.connection_id)
    expect((await call(sandbox(), "/_sandbox/connections/nope", { noVersion: true })).status).toBe(404)
  })

  it("POST /connections with a connection_id mints another token for that Finch connection", async () => {
    const first = await mint(sandbox(), { customer_id: "again", products: ["company", "directory"] })
    const again = await mint(sandbox(), { connection_id: first.connection_id })
    expect(again).toMatchObject({
      connection_id: first.connection_id,
      account_id: first.account_id,
      company_id: first.company_id,
      products: ["company", "directory"],
      customer_id: "again",
    })
    expect(again.access_token).not.toBe(first.access_token)
    const narrower = await mint(sandbox(), { connection_id: first.connection_id, products: ["company"] })
    expect(narrower.products).toEqual(["company"])
    for (const body of [{ connection_id: "nope" }, { connection_id: first.connection_id, account_id: "nope" }]) {
      expect((await call(sandbox(), "/_sandbox/connections", { noVersion: true, body })).status).toBe(404)
    }
  })

  it("lists Finch connections filtered by customer, company, provider, status or username", async () => {
    const a = await mint(sandbox(), { customer_id: "filtered", username: "filter_co" })
    const b = await mint(sandbox(), { customer_id: "filtered", company_id: a.company_id, username: "filter_co_2" })
    await control(sandbox(), `/connections/${b.connection_id}/status`, { status: "reauth" })
    const ids = async (query: string) =>
      (await control(sandbox(), `/connections?${query}`)).connections.map((c: any) => c.connection_id)
    expect(await ids("customer_id=filtered")).toEqual([a.connection_id, b.connection_id])
    expect(await ids(`company_id=${a.company_id}&status=reauth`)).toEqual([b.connection_id])
    expect(await ids("customer_id=filtered&username=filter_co")).toEqual([a.connection_id])
    expect(await ids("customer_id=filtered&provider_id=deel")).toEqual([])
    expect((await control(sandbox(), "/connections?customer_id=filtered")).connection_model).toBe("current")
  })

  it("revokes a single token, leaving the connection's other tokens working", async () => {
    const a = await mint(sandbox(), { customer_id: "rev", username: "rev_co" })
    const b = await mint(sandbox(), { connection_id: a.connection_id })
    expect(a.connection_id).toBe(b.connection_id)
    const revoked = await control(sandbox(), "/tokens/revoke", { access_token: a.access_token })
    expect(revoked).toEqual({ status: "revoked", connection_id: a.connection_id })
    expect((await call(sandbox(), "/introspect", { token: a.access_token })).body.name).toBe("invalid_token_error")
    expect((await call(sandbox(), "/introspect", { token: b.access_token })).status).toBe(200)
    const unknown = await call(sandbox(), "/_sandbox/tokens/revoke", {
      noVersion: true,
      body: { access_token: "nope" },
    })
    expect(unknown.status).toBe(404)
  })

  it("can disconnect a connection like POST /disconnect would", async () => {
    const minted = await mint(sandbox())
    await control(sandbox(), `/connections/${minted.connection_id}/status`, { status: "disconnected" })
    expect((await call(sandbox(), "/introspect", { token: minted.access_token })).status).toBe(401)
    const bad = await call(sandbox(), `/_sandbox/connections/${minted.connection_id}/status`, {
      noVersion: true,
      body: { status: "asleep" },
    })
    expect(bad.status).toBe(400)
  })

  it("only lets webhooks target loopback", async () => {
    const refused = await call(sandbox(), "/_sandbox/webhook", {
      method: "PUT",
      noVersion: true,
      body: { url: "https://hooks.example.com/finch", secret: "c2VjcmV0" },
    })
    expect(refused.status).toBe(400)
    const accepted = await call(sandbox(), "/_sandbox/webhook", {
      method: "PUT",
      noVersion: true,
      body: { url: "http://127.0.0.1:9/hook", secret: "c2VjcmV0" },
    })
    expect(accepted.status).toBe(200)
  })

  it("does not need the Finch-API-Version header and is not logged", async () => {
    await control(sandbox(), "/requests", undefined, "DELETE")
    await control(sandbox(), "/connections")
    expect((await requestLog(sandbox())).requests).toEqual([])
  })
})
