import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { connectionModels, type Sandbox } from "../src/Sandbox.ts"
import { basicOf, call, control, useSandbox } from "./support/Http.ts"

const redirectUri = "http://127.0.0.1:9/finch/callback"
const organization = ["company", "directory", "individual", "employment"]

const newSession = (sandbox: Sandbox, body: Record<string, unknown> = {}) =>
  call<{ session_id: string; connect_url: string }>(sandbox, "/connect/sessions", {
    basic: basicOf(sandbox),
    body: {
      customer_id: "cust-1",
      customer_name: "Customer One",
      products: organization,
      redirect_uri: redirectUri,
      ...body,
    },
  })

const complete = (sandbox: Sandbox, sessionId: string, body: Record<string, unknown> = {}) =>
  control<{ code: string; redirect_url: string | null; connection_id: string }>(
    sandbox,
    `/connect/sessions/${sessionId}/complete`,
    body,
  )

const exchange = (sandbox: Sandbox, code: string, extra: Record<string, unknown> = { redirect_uri: redirectUri }) =>
  call(sandbox, "/auth/token", {
    body: { client_id: sandbox.clientId, client_secret: sandbox.clientSecret, code, ...extra },
  })

/** Runs a whole Connect flow and returns the token response. */
const connect = async (sandbox: Sandbox, session: Record<string, unknown>, choice: Record<string, unknown>) => {
  const created = await newSession(sandbox, session)
  const { code } = await complete(sandbox, created.body.session_id, choice)
  const token = await exchange(sandbox, code, session["redirect_uri"] === null ? {} : { redirect_uri: redirectUri })
  expect(token.status).toBe(200)
  return token.body
}

describe("Connect sessions", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("creates a session with client credentials and points connect_url at the sandbox's /authorize", async () => {
    const reply = await newSession(sandbox())
    expect(reply.status).toBe(201)
    expect(reply.body.connect_url).toBe(`${sandbox().baseUrl}/authorize?session=${reply.body.session_id}`)
  })

  it("refuses missing, wrong or bearer credentials", async () => {
    const body = { customer_id: "c", customer_name: "C", products: ["company"] }
    const missing = await call(sandbox(), "/connect/sessions", { body })
    expect(missing.status).toBe(401)
    expect(missing.body.name).toBe("unauthorized_request_error")
    const wrong = await call(sandbox(), "/connect/sessions", {
      body,
      basic: { id: sandbox().clientId, secret: "nope" },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.body.name).toBe("invalid_client_error")
    const bearer = await call(sandbox(), "/connect/sessions", { body, token: "whatever" })
    expect(bearer.status).toBe(401)
  })

  it("validates the body like Finch", async () => {
    const bad = async (body: Record<string, unknown>) => {
      const reply = await call(sandbox(), "/connect/sessions", { basic: basicOf(sandbox()), body })
      expect(reply.status).toBe(400)
      expect(reply.body).toMatchObject({ code: 400, name: "invalid_request_error", finch_code: "invalid_request" })
      return reply.body.message as string
    }
    expect(await bad({ customer_name: "C", products: ["company"] })).toContain("customer_id")
    expect(await bad({ customer_id: "c", customer_name: "C", products: ["payroll"] })).toContain("payroll")
    expect(await bad({ customer_id: "c", customer_name: "C", products: [] })).toContain("products")
    expect(await bad({ customer_id: "c", customer_name: "C", products: ["benefits", "deduction"] })).toContain(
      "deduction",
    )
    expect(
      await bad({ customer_id: "c", customer_name: "C", products: ["company"], minutes_to_expire: 200_000 }),
    ).toContain("minutes_to_expire")
    expect(
      await bad({ customer_id: "c", customer_name: "C", products: ["company"], integration: { provider: "nope" } }),
    ).toContain("nope")
    expect(await bad({ customer_id: "x".repeat(256), customer_name: "C", products: ["company"] })).toContain("255")
  })
})

describe("the Connect page", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("serves a form, and submitting it redirects to redirect_uri with a code and the state", async () => {
    const { body } = await newSession(sandbox())
    const page = await fetch(`${body.connect_url}&state=xyz-123`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<form method="post" action="/authorize">')
    expect(html).toContain(`value="${body.session_id}"`)
    const form = new URLSearchParams({
      session: body.session_id,
      state: "xyz-123",
      provider_id: "gusto",
      username: "page_user",
      password: "good_pass",
    })
    const submitted = await fetch(`${sandbox().baseUrl}/authorize`, { method: "POST", body: form, redirect: "manual" })
    expect(submitted.status).toBe(302)
    const location = new URL(submitted.headers.get("location") ?? "")
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri)
    expect(location.searchParams.get("state")).toBe("xyz-123")
    const token = await exchange(sandbox(), location.searchParams.get("code") ?? "")
    expect(token.status).toBe(200)
    expect(token.body.provider_id).toBe("gusto")
  })

  it("lists assisted-only providers only when the session asks for manual ones", async () => {
    const plain = await newSession(sandbox())
    const plainPage = await (await fetch(plain.body.connect_url)).text()
    expect(plainPage).toContain('value="gusto"')
    expect(plainPage).not.toContain('value="insperity"')
    const manual = await newSession(sandbox(), { manual: true })
    expect(await (await fetch(manual.body.connect_url)).text()).toContain('value="insperity"')
  })

  it("rejects a wrong password", async () => {
    const { body } = await newSession(sandbox())
    const form = new URLSearchParams({ session: body.session_id, username: "good_user", password: "wrong" })
    const submitted = await fetch(`${sandbox().baseUrl}/authorize`, { method: "POST", body: form, redirect: "manual" })
    expect(submitted.status).toBe(400)
    expect(submitted.headers.get("content-type")).toContain("text/html")
    expect(await submitted.text()).toContain("Incorrect username or password")
  })

  it("asks which entities when the login reaches several, and the token gets the ones picked", async () => {
    const { body } = await newSession(sandbox())
    const first = await fetch(`${sandbox().baseUrl}/authorize`, {
      method: "POST",
      body: new URLSearchParams({
        session: body.session_id,
        provider_id: "rippling",
        username: "multi_entity",
        password: "good_pass",
      }),
      redirect: "manual",
    })
    expect(first.status).toBe(200)
    const html = await first.text()
    const entityIds = [...html.matchAll(/name="entity_ids" value="([^"]+)"/g)].map((match) => match[1] ?? "")
    const companyId = /name="company_id" value="([^"]+)"/.exec(html)?.[1] ?? ""
    expect(entityIds).toHaveLength(3)
    const form = new URLSearchParams({
      session: body.session_id,
      provider_id: "rippling",
      username: "multi_entity",
      password: "good_pass",
      company_id: companyId,
    })
    form.append("entity_ids", entityIds[0] ?? "")
    form.append("entity_ids", entityIds[2] ?? "")
    const second = await fetch(`${sandbox().baseUrl}/authorize`, { method: "POST", body: form, redirect: "manual" })
    expect(second.status).toBe(302)
    const code = new URL(second.headers.get("location") ?? "").searchParams.get("code") ?? ""
    const token = await exchange(sandbox(), code)
    expect(token.body.entity_ids).toEqual([entityIds[0], entityIds[2]])
    // Finch leaves company_id out for multi-entity connections.
    expect(token.body.company_id).toBeUndefined()
    const introspect = await call(sandbox(), "/introspect", { token: token.body.access_token })
    expect(introspect.body.entities.map((entity: { id: string }) => entity.id)).toEqual([entityIds[0], entityIds[2]])
  })

  it("a scenario's login reaches its companies, even before the scenario is instantiated", async () => {
    const { body } = await newSession(sandbox(), { customer_id: "peo-through-connect" })
    const first = await fetch(`${sandbox().baseUrl}/authorize`, {
      method: "POST",
      body: new URLSearchParams({
        session: body.session_id,
        provider_id: "justworks",
        username: "fjord_owner",
        password: "good_pass",
      }),
      redirect: "manual",
    })
    const html = await first.text()
    expect(html).toContain("Fjord Studios LLC")
    expect(html).toContain("Fjord Post-Production LLC")
    expect(html).toContain("Fjord Rentals LLC")
    const companyIds = [...html.matchAll(/name="company_id" value="([^"]+)"/g)].map((match) => match[1] ?? "")
    expect(companyIds).toHaveLength(3)
    const { code } = await complete(sandbox(), body.session_id, {
      provider_id: "justworks",
      username: "fjord_owner",
      company_id: companyIds[1],
    })
    const token = (await exchange(sandbox(), code)).body
    expect(token.company_id).toBe(companyIds[1])
    const truth = await control(sandbox(), "/scenarios/peo/truth?customer_id=peo-through-connect")
    const records = truth.people.flatMap((person: any) => person.records)
    expect(records.filter((record: any) => record.connection_id === token.connection_id).length).toBeGreaterThan(10)
  })

  it("shows the code itself for the embedded flow (no redirect_uri)", async () => {
    const { body } = await newSession(sandbox(), { redirect_uri: null })
    const submitted = await fetch(`${sandbox().baseUrl}/authorize`, {
      method: "POST",
      body: new URLSearchParams({ session: body.session_id, username: "good_user", password: "good_pass" }),
      redirect: "manual",
    })
    expect(submitted.status).toBe(200)
    const code = /<code id="code">([^<]+)<\/code>/.exec(await submitted.text())?.[1] ?? ""
    expect((await exchange(sandbox(), code, {})).status).toBe(200)
  })

  it("answers 404 for an unknown session", async () => {
    const page = await fetch(`${sandbox().baseUrl}/authorize?session=nope`)
    expect(page.status).toBe(404)
    expect(await page.text()).toContain("Connect session &#39;nope&#39; was not found")
  })
})

describe("POST /auth/token", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("returns the SDK 10.8.1 token response with the session's customer", async () => {
    const token = await connect(
      sandbox(),
      { customer_id: "cust-shape", customer_name: "Shape Co" },
      { username: "shape_user" },
    )
    expect(Object.keys(token).sort()).toEqual(
      [
        "access_token",
        "account_id",
        "client_type",
        "company_id",
        "connection_id",
        "connection_type",
        "customer_id",
        "customer_name",
        "entity_ids",
        "products",
        "provider_id",
        "token_type",
      ].sort(),
    )
    expect(token).toMatchObject({
      token_type: "bearer",
      client_type: "sandbox",
      connection_type: "finch",
      provider_id: "gusto",
      products: organization,
      customer_id: "cust-shape",
      customer_name: "Shape Co",
    })
    expect(token.entity_ids).toHaveLength(1)
  })

  it("takes credentials in the body and refuses wrong ones with invalid_client_error", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    const wrong = await call(sandbox(), "/auth/token", {
      body: { client_id: sandbox().clientId, client_secret: "wrong", code, redirect_uri: redirectUri },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toMatchObject({ code: 401, name: "invalid_client_error" })
    // The code survives a refused attempt.
    expect((await exchange(sandbox(), code)).status).toBe(200)
  })

  it("uses a code once", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    expect((await exchange(sandbox(), code)).status).toBe(200)
    const again = await exchange(sandbox(), code)
    expect(again.status).toBe(400)
    expect(again.body).toMatchObject({ code: 400, name: "invalid_grant_error" })
  })

  it("refuses a code after 10 minutes", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    vi.useFakeTimers({ toFake: ["Date"] })
    vi.setSystemTime(Date.now() + 10 * 60 * 1000 + 1000)
    const late = await exchange(sandbox(), code)
    expect(late.status).toBe(400)
    expect(late.body.name).toBe("invalid_grant_error")
  })

  it("expires codes on sandbox time too (POST /_sandbox/clock/advance)", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    await control(sandbox(), "/clock/advance", { ms: 10 * 60 * 1000 + 1 })
    expect((await exchange(sandbox(), code)).body.name).toBe("invalid_grant_error")
  })

  it("accepts a code just under 10 minutes old", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    vi.useFakeTimers({ toFake: ["Date"] })
    vi.setSystemTime(Date.now() + 9 * 60 * 1000)
    expect((await exchange(sandbox(), code)).status).toBe(200)
  })

  it("refuses a redirect_uri other than the session's, and any redirect_uri for the embedded flow", async () => {
    const { body } = await newSession(sandbox())
    const { code } = await complete(sandbox(), body.session_id)
    const mismatch = await exchange(sandbox(), code, { redirect_uri: "http://127.0.0.1:9/other" })
    expect(mismatch.status).toBe(400)
    expect(mismatch.body.name).toBe("invalid_grant_error")
    const embedded = await newSession(sandbox(), { redirect_uri: null })
    const embeddedCode = await complete(sandbox(), embedded.body.session_id)
    expect(embeddedCode.redirect_url).toBeNull()
    expect((await exchange(sandbox(), embeddedCode.code, { redirect_uri: redirectUri })).status).toBe(400)
  })

  it("refuses to complete a session twice or after it expired", async () => {
    const { body } = await newSession(sandbox(), { minutes_to_expire: 1 })
    await complete(sandbox(), body.session_id)
    const twice = await call(sandbox(), `/_sandbox/connect/sessions/${body.session_id}/complete`, {
      body: {},
      noVersion: true,
    })
    expect(twice.status).toBe(400)
    const short = await newSession(sandbox(), { minutes_to_expire: 1 })
    vi.useFakeTimers({ toFake: ["Date"] })
    vi.setSystemTime(Date.now() + 61_000)
    const expired = await call(sandbox(), `/_sandbox/connect/sessions/${short.body.session_id}/complete`, {
      body: {},
      noVersion: true,
    })
    expect(expired.status).toBe(400)
    expect(expired.body.message).toContain("expired")
  })
})

describe.each(connectionModels)("connections made through Connect (%s model)", (model) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })

  it("the same username reaches the same company; another username another company", async () => {
    const a = await connect(sandbox(), { customer_id: "c-a" }, { username: "good_user" })
    const b = await connect(sandbox(), { customer_id: "c-b" }, { username: "good_user" })
    const c = await connect(sandbox(), { customer_id: "c-a" }, { username: "good_user_2" })
    expect(a.company_id).toBe(b.company_id)
    expect(a.connection_id).not.toBe(b.connection_id)
    expect(c.company_id).not.toBe(a.company_id)
  })

  it("a second login to the same company for the same customer: a new connection (current), an account (legacy)", async () => {
    const first = await connect(sandbox(), { customer_id: "c-multi" }, { username: "shared_co", provider_id: "gusto" })
    const admin = await control(sandbox(), "/connections", { provider_id: "gusto", username: "shared_co_admin_2" })
    const second = await connect(
      sandbox(),
      { customer_id: "c-multi", products: ["company", "payment"] },
      { provider_id: "gusto", company_id: first.company_id, username: "second_admin" },
    )
    expect(admin.company_id).not.toBe(first.company_id)
    expect(second.company_id).toBe(first.company_id)
    expect(second.connection_id === first.connection_id).toBe(model === "legacy")
    expect(second.account_id).not.toBe(first.account_id)
    expect(second.products).toEqual(["company", "payment"])
  })

  it("integration.provider fixes the provider", async () => {
    const { body } = await newSession(sandbox(), { integration: { provider: "paychex_flex" } })
    const refused = await call(sandbox(), `/_sandbox/connect/sessions/${body.session_id}/complete`, {
      body: { provider_id: "gusto" },
      noVersion: true,
    })
    expect(refused.status).toBe(400)
    const { code } = await complete(sandbox(), body.session_id)
    expect((await exchange(sandbox(), code)).body.provider_id).toBe("paychex_flex")
  })

  it("an assisted connection answers 202 until Finch has set it up", async () => {
    const token = await connect(
      sandbox(),
      { integration: { provider: "insperity", auth_method: "assisted" }, manual: true },
      { username: "assisted_user" },
    )
    const introspect = await call(sandbox(), "/introspect", { token: token.access_token })
    expect(introspect.body.connection_status.status).toBe("pending")
    expect(introspect.body.manual).toBe(true)
    const pending = await call(sandbox(), "/employer/directory", { token: token.access_token })
    expect(pending.status).toBe(202)
    await control(sandbox(), `/connections/${token.connection_id}/status`, { status: "connected" })
    expect((await call(sandbox(), "/employer/directory", { token: token.access_token })).status).toBe(200)
  })

  it("re-authentication keeps the connection and mints a new token that works again", async () => {
    const token = await connect(sandbox(), { customer_id: "c-reauth" }, { username: "reauth_user" })
    await control(sandbox(), `/connections/${token.connection_id}/status`, { status: "reauth" })
    const failing = await call(sandbox(), "/employer/company", { token: token.access_token })
    expect(failing.status).toBe(401)
    expect(failing.body).toMatchObject({ code: 401, name: "authentication_error", finch_code: "reauthenticate_user" })
    const session = await call(sandbox(), "/connect/sessions/reauthenticate", {
      basic: basicOf(sandbox()),
      body: { connection_id: token.connection_id, redirect_uri: redirectUri },
    })
    expect(session.status).toBe(201)
    const { code, connection_id } = await complete(sandbox(), session.body.session_id)
    expect(connection_id).toBe(token.connection_id)
    const renewed = await exchange(sandbox(), code)
    expect(renewed.body.connection_id).toBe(token.connection_id)
    expect(renewed.body.company_id).toBe(token.company_id)
    expect(renewed.body.access_token).not.toBe(token.access_token)
    expect(renewed.body.products).toEqual(token.products)
    const working = await call(sandbox(), "/employer/company", { token: renewed.body.access_token })
    expect(working.status).toBe(200)
    const introspect = await call(sandbox(), "/introspect", { token: renewed.body.access_token })
    expect(introspect.body.connection_status.status).toBe("connected")
  })

  it("refuses to re-authenticate an unknown connection", async () => {
    const reply = await call(sandbox(), "/connect/sessions/reauthenticate", {
      basic: basicOf(sandbox()),
      body: { connection_id: "00000000-0000-4000-8000-000000000000" },
    })
    expect(reply.status).toBe(404)
  })
})

describe.each(connectionModels)("re-authentication and entities (%s model)", (model) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })

  it("the employer can add an entity while re-authenticating: same connection, more entities", async () => {
    const { body } = await newSession(sandbox(), { customer_id: "c-entities" })
    const all = (await complete(sandbox(), body.session_id, { provider_id: "rippling", username: "multi_entity" }))
      .connection_id
    const first = await call(sandbox(), "/_sandbox/connections/" + all, { noVersion: true })
    const entityIds = first.body.entity_ids as Array<string>
    expect(entityIds).toHaveLength(3)
    // A second customer picks only two of the three entities.
    const two = await newSession(sandbox(), { customer_id: "c-two-entities" })
    const picked = await complete(sandbox(), two.body.session_id, {
      provider_id: "rippling",
      username: "multi_entity",
      entity_ids: entityIds.slice(0, 2),
    })
    const token = (await exchange(sandbox(), picked.code)).body
    expect(token.entity_ids).toEqual(entityIds.slice(0, 2))
    const reauth = await call(sandbox(), "/connect/sessions/reauthenticate", {
      basic: basicOf(sandbox()),
      body: { connection_id: picked.connection_id, redirect_uri: redirectUri },
    })
    // Without a choice, re-authentication keeps the two entities.
    const page = await fetch(reauth.body.connect_url)
    expect(await page.text()).toContain('value="multi_entity"')
    const kept = await complete(sandbox(), reauth.body.session_id, { entity_ids: entityIds })
    const renewed = (await exchange(sandbox(), kept.code)).body
    expect(renewed.connection_id).toBe(picked.connection_id)
    expect(renewed.account_id).toBe(token.account_id)
    expect(renewed.entity_ids).toEqual(entityIds)
    const introspect = await call(sandbox(), "/introspect", { token: renewed.access_token })
    expect(introspect.body.entities.map((entity: { status: string }) => entity.status)).toEqual([
      "connected",
      "connected",
      "connected",
    ])
  })

  it("re-authenticating without a choice keeps the login and the entities", async () => {
    const { body } = await newSession(sandbox(), { customer_id: "c-keep" })
    const picked = await complete(sandbox(), body.session_id, { username: "keep_user" })
    const token = (await exchange(sandbox(), picked.code)).body
    const reauth = await call(sandbox(), "/connect/sessions/reauthenticate", {
      basic: basicOf(sandbox()),
      body: { connection_id: picked.connection_id },
    })
    const renewed = (await exchange(sandbox(), (await complete(sandbox(), reauth.body.session_id)).code, {})).body
    expect(renewed.account_id).toBe(token.account_id)
    expect(renewed.entity_ids).toEqual(token.entity_ids)
    const listed = await call(sandbox(), `/_sandbox/connections/${picked.connection_id}`, { noVersion: true })
    expect(listed.body.accounts).toHaveLength(1)
  })
})
