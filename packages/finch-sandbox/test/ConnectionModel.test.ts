/**
 * The two connection models. Current (the default, Finch since 2024-10-29): every Connect login is a Finch connection
 * of its own, with its own token, status, reauthentication and disconnect, even at a company the customer already
 * connected; several entities picked in one session are one connection. Legacy: a second login to the same
 * (customer, provider, company) is another account of the first login's connection, which shares one status.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Sandbox } from "../src/Sandbox.ts"
import { basicOf, call, control, useSandbox } from "./support/Http.ts"

const redirectUri = "http://127.0.0.1:9/finch/callback"
const organization = ["company", "directory", "individual", "employment"]

interface TokenResponse {
  readonly access_token: string
  readonly connection_id: string
  readonly account_id: string
  readonly company_id?: string
  readonly products: Array<string>
  readonly entity_ids: Array<string>
}

const exchange = async (sandbox: Sandbox, code: string): Promise<TokenResponse> => {
  const reply = await call(sandbox, "/auth/token", {
    body: { client_id: sandbox.clientId, client_secret: sandbox.clientSecret, code, redirect_uri: redirectUri },
  })
  expect(reply.status).toBe(200)
  return reply.body
}

/** A person logging in through the Connect page: the form, then the redirect's code, exchanged for a token. */
const throughPage = async (sandbox: Sandbox, connectUrl: string, fields: Record<string, string>) => {
  const page = await fetch(connectUrl)
  expect(page.status).toBe(200)
  const session = new URL(connectUrl).searchParams.get("session") ?? ""
  const submitted = await fetch(`${sandbox.baseUrl}/authorize`, {
    method: "POST",
    body: new URLSearchParams({ session, password: "good_pass", ...fields }),
    redirect: "manual",
  })
  expect(submitted.status).toBe(302)
  return exchange(sandbox, new URL(submitted.headers.get("location") ?? "").searchParams.get("code") ?? "")
}

/** A new Connect session for a customer, completed through the page as `username`. */
const login = async (
  sandbox: Sandbox,
  customer_id: string,
  fields: Record<string, string>,
  products: ReadonlyArray<string> = organization,
) => {
  const session = await call(sandbox, "/connect/sessions", {
    basic: basicOf(sandbox),
    body: { customer_id, customer_name: customer_id, products, redirect_uri: redirectUri },
  })
  expect(session.status).toBe(201)
  return throughPage(sandbox, session.body.connect_url, { provider_id: "gusto", ...fields })
}

const reauthenticate = async (sandbox: Sandbox, connection_id: string, body: Record<string, unknown> = {}) => {
  const session = await call(sandbox, "/connect/sessions/reauthenticate", {
    basic: basicOf(sandbox),
    body: { connection_id, redirect_uri: redirectUri, ...body },
  })
  expect(session.status).toBe(201)
  return session.body.connect_url as string
}

const introspect = async (sandbox: Sandbox, token: string) => (await call(sandbox, "/introspect", { token })).body

const statusOf = async (sandbox: Sandbox, token: string) => (await call(sandbox, "/employer/company", { token })).status

const setStatus = (sandbox: Sandbox, token: string, connection_status: string) =>
  call(sandbox, "/sandbox/connections/accounts", { method: "PUT", token, body: { connection_status } })

describe("the current model (the default)", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("two logins to one company are two Finch connections, each introspecting to its own", async () => {
    const first = await login(sandbox(), "cm-two", { username: "good_user" })
    const again = await login(sandbox(), "cm-two", { username: "good_user" }, ["company", "payment"])
    const other = await login(sandbox(), "cm-two", { username: "second_admin", company_id: first.company_id ?? "" })
    expect(new Set([first.connection_id, again.connection_id, other.connection_id]).size).toBe(3)
    expect(new Set([first.account_id, again.account_id, other.account_id]).size).toBe(3)
    expect(again.company_id).toBe(first.company_id)
    expect(other.company_id).toBe(first.company_id)
    const seen = await introspect(sandbox(), again.access_token)
    expect(seen).toMatchObject({
      connection_id: again.connection_id,
      account_id: again.account_id,
      company_id: first.company_id,
      connection_status: { status: "connected" },
      products: ["company", "payment"],
      authentication_methods: [{ products: ["company", "payment"], connection_status: { status: "connected" } }],
      username: "good_user",
      customer_id: "cm-two",
    })
    expect(seen.entities).toHaveLength(1)
    expect((await introspect(sandbox(), other.access_token)).username).toBe("second_admin")
    const listed = await control(sandbox(), `/connections?customer_id=cm-two&company_id=${first.company_id}`)
    expect(listed.connections.map((c: { accounts: Array<unknown> }) => c.accounts.length)).toEqual([1, 1, 1])
  })

  it("status is per Finch connection: PUT /sandbox/connections/accounts and the control API touch one login only", async () => {
    const a = await login(sandbox(), "cm-status", { username: "status_co" })
    const b = await login(sandbox(), "cm-status", { username: "status_co" })
    expect((await setStatus(sandbox(), b.access_token, "reauth")).body.connection_id).toBe(b.connection_id)
    expect(await statusOf(sandbox(), b.access_token)).toBe(401)
    expect(await statusOf(sandbox(), a.access_token)).toBe(200)
    expect((await introspect(sandbox(), a.access_token)).connection_status.status).toBe("connected")
    expect((await introspect(sandbox(), b.access_token)).connection_status.status).toBe("reauth")
    await control(sandbox(), `/connections/${a.connection_id}/status`, { status: "error_permissions" })
    expect(await statusOf(sandbox(), a.access_token)).toBe(403)
    await control(sandbox(), `/connections/${a.connection_id}/status`, { status: "connected" })
    expect(await statusOf(sandbox(), a.access_token)).toBe(200)
    expect(await statusOf(sandbox(), b.access_token)).toBe(401)
    // A data sync that ends in reauth_error breaks its own login only.
    const c = await login(sandbox(), "cm-status", { username: "status_co" })
    await call(sandbox(), "/sandbox/jobs/configuration", {
      method: "PUT",
      token: c.access_token,
      body: { type: "data_sync_all", completion_status: "reauth_error" },
    })
    expect(
      (await call(sandbox(), "/sandbox/jobs", { token: c.access_token, body: { type: "data_sync_all" } })).status,
    ).toBe(201)
    expect(await statusOf(sandbox(), c.access_token)).toBe(401)
    expect(await statusOf(sandbox(), a.access_token)).toBe(200)
  })

  it("reauthentication through the Connect page keeps the connection, mints a new token and repairs that login only", async () => {
    const healthy = await login(sandbox(), "cm-reauth", { username: "reauth_co" })
    const broken = await login(sandbox(), "cm-reauth", { username: "reauth_co" })
    const alsoBroken = await login(sandbox(), "cm-reauth", { username: "reauth_co" })
    await setStatus(sandbox(), broken.access_token, "reauth")
    await setStatus(sandbox(), alsoBroken.access_token, "reauth")
    const renewed = await throughPage(sandbox(), await reauthenticate(sandbox(), broken.connection_id), {
      username: "reauth_co",
    })
    expect(renewed.connection_id).toBe(broken.connection_id)
    expect(renewed.account_id).toBe(broken.account_id)
    expect(renewed.company_id).toBe(broken.company_id)
    expect(renewed.access_token).not.toBe(broken.access_token)
    expect(renewed.products).toEqual(organization)
    expect(await statusOf(sandbox(), renewed.access_token)).toBe(200)
    expect(await introspect(sandbox(), renewed.access_token)).toMatchObject({
      connection_id: broken.connection_id,
      account_id: broken.account_id,
      connection_status: { status: "connected" },
    })
    // The sibling logins are untouched: the healthy one stays connected, the other broken one stays broken.
    expect(await statusOf(sandbox(), healthy.access_token)).toBe(200)
    expect(await statusOf(sandbox(), alsoBroken.access_token)).toBe(401)
    expect((await introspect(sandbox(), alsoBroken.access_token)).connection_status.status).toBe("reauth")
  })

  it("a reauthentication may change the login's products; another admin logging in keeps the connection", async () => {
    const first = await login(sandbox(), "cm-products", { username: "products_co" })
    const renewed = await throughPage(
      sandbox(),
      await reauthenticate(sandbox(), first.connection_id, { products: ["company", "payment"] }),
      { username: "products_co_admin_2" },
    )
    expect(renewed).toMatchObject({ connection_id: first.connection_id, account_id: first.account_id })
    expect(renewed.products).toEqual(["company", "payment"])
    expect(await introspect(sandbox(), renewed.access_token)).toMatchObject({
      username: "products_co_admin_2",
      products: ["company", "payment"],
    })
    const view = await control(sandbox(), `/connections/${first.connection_id}`)
    expect(view.accounts).toEqual([
      expect.objectContaining({ username: "products_co_admin_2", products: ["company", "payment"] }),
    ])
  })

  it("a reauthentication completed by a login of another company gives that company's token, not this connection's", async () => {
    const target = await login(sandbox(), "cm-elsewhere", { username: "elsewhere_co" })
    const otherCompany = await login(sandbox(), "cm-unrelated", { username: "elsewhere_other_co" })
    await setStatus(sandbox(), target.access_token, "reauth")
    const stray = await throughPage(sandbox(), await reauthenticate(sandbox(), target.connection_id), {
      username: "elsewhere_other_co",
    })
    expect(stray.connection_id).not.toBe(target.connection_id)
    expect(stray.connection_id).not.toBe(otherCompany.connection_id)
    expect(stray.company_id).toBe(otherCompany.company_id)
    expect((await introspect(sandbox(), stray.access_token)).customer_id).toBe("cm-elsewhere")
    // The connection being re-authenticated is as it was.
    expect((await introspect(sandbox(), target.access_token)).connection_status.status).toBe("reauth")
  })

  it("POST /disconnect revokes that Finch connection's tokens only; sibling logins keep working", async () => {
    const a = await login(sandbox(), "cm-disconnect", { username: "disconnect_co" })
    const b = await login(sandbox(), "cm-disconnect", { username: "disconnect_co" })
    const aAgain = await control(sandbox(), "/connections", { connection_id: a.connection_id })
    expect((await call(sandbox(), "/disconnect", { token: a.access_token, method: "POST" })).status).toBe(200)
    for (const token of [a.access_token, aAgain.access_token]) {
      expect((await call(sandbox(), "/introspect", { token })).body.name).toBe("invalid_token_error")
    }
    expect(await statusOf(sandbox(), b.access_token)).toBe(200)
    const reauth = await call(sandbox(), "/connect/sessions/reauthenticate", {
      basic: basicOf(sandbox()),
      body: { connection_id: a.connection_id },
    })
    expect(reauth.status).toBe(404)
    expect((await control(sandbox(), `/connections/${b.connection_id}`)).status).toBe("connected")
  })

  it("several entities picked in one session are one connection; each login reaches only its own entities", async () => {
    const all = await control(sandbox(), "/connections", { provider_id: "rippling", username: "multi_entity" })
    const [hq, west, east] = all.entity_ids as Array<string>
    const picked = await call(sandbox(), "/connect/sessions", {
      basic: basicOf(sandbox()),
      body: { customer_id: "cm-entities", customer_name: "E", products: organization, redirect_uri: redirectUri },
    })
    const form = { provider_id: "rippling", username: "multi_entity", company_id: all.company_id }
    const two = await throughPage(sandbox(), picked.body.connect_url, { ...form, entity_ids: hq ?? "" })
    expect(two.entity_ids).toEqual([hq])
    const session = await call(sandbox(), "/connect/sessions", {
      basic: basicOf(sandbox()),
      body: { customer_id: "cm-entities", customer_name: "E", products: organization, redirect_uri: redirectUri },
    })
    // The form posts entity_ids repeated; build it by hand for two of them.
    const body = new URLSearchParams({ session: session.body.session_id, password: "good_pass", ...form })
    body.append("entity_ids", west ?? "")
    body.append("entity_ids", east ?? "")
    const submitted = await fetch(`${sandbox().baseUrl}/authorize`, { method: "POST", body, redirect: "manual" })
    const multi = await exchange(
      sandbox(),
      new URL(submitted.headers.get("location") ?? "").searchParams.get("code") ?? "",
    )
    expect(multi.entity_ids).toEqual([west, east])
    expect(multi.connection_id).not.toBe(two.connection_id)
    expect(multi.company_id).toBeUndefined()
    const seen = await introspect(sandbox(), multi.access_token)
    expect(seen.entities.map((entity: { id: string }) => entity.id)).toEqual([west, east])
    expect(seen.company_id).toBeUndefined()
    // A token reads its own entities, and is refused the other login's.
    const read = (token: string, entity: string | undefined) =>
      call(sandbox(), `/employer/directory?entity_ids[]=${entity}`, { token })
    expect((await read(multi.access_token, west)).status).toBe(200)
    expect((await read(multi.access_token, east)).status).toBe(200)
    const refused = await read(multi.access_token, hq)
    expect(refused.status).toBe(400)
    expect(refused.body.name).toBe("invalid_request_error")
    expect((await read(two.access_token, west)).status).toBe(400)
    // /disconnect-entity removes an entity from that one connection only.
    const removed = await call(sandbox(), "/disconnect-entity", {
      token: multi.access_token,
      body: { entity_ids: [east] },
    })
    expect(removed.status).toBe(200)
    const after = await introspect(sandbox(), multi.access_token)
    expect(after.entities.map((entity: { status: string }) => entity.status)).toEqual(["connected", "disconnected"])
    expect((await control(sandbox(), `/connections/${multi.connection_id}`)).entity_ids).toEqual([west])
    expect((await control(sandbox(), `/connections/${two.connection_id}`)).entity_ids).toEqual([hq])
    const notMine = await call(sandbox(), "/disconnect-entity", {
      token: two.access_token,
      body: { entity_ids: [west] },
    })
    expect(notMine.status).toBe(400)
  })
})

describe("the legacy model", () => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: "legacy" })

  it("a second login to the same company is another account of the same connection, sharing its status", async () => {
    const first = await login(sandbox(), "lm-merge", { username: "legacy_co" })
    const second = await login(
      sandbox(),
      "lm-merge",
      { username: "legacy_co_admin", company_id: first.company_id ?? "" },
      ["company", "payment"],
    )
    expect(second.connection_id).toBe(first.connection_id)
    expect(second.account_id).not.toBe(first.account_id)
    expect(await introspect(sandbox(), second.access_token)).toMatchObject({
      connection_id: first.connection_id,
      account_id: second.account_id,
      username: "legacy_co_admin",
      products: ["company", "payment"],
    })
    // The same username again is the same account.
    const again = await login(sandbox(), "lm-merge", { username: "legacy_co" })
    expect(again).toMatchObject({ connection_id: first.connection_id, account_id: first.account_id })
    // One status for the whole connection: reauth on one login's token breaks every login.
    await setStatus(sandbox(), second.access_token, "reauth")
    expect(await statusOf(sandbox(), first.access_token)).toBe(401)
    const renewed = await throughPage(sandbox(), await reauthenticate(sandbox(), first.connection_id), {
      username: "legacy_co_admin",
    })
    expect(renewed).toMatchObject({ connection_id: first.connection_id, account_id: second.account_id })
    expect(await statusOf(sandbox(), first.access_token)).toBe(200)
    // POST /disconnect revokes every login's tokens.
    await call(sandbox(), "/disconnect", { token: first.access_token, method: "POST" })
    for (const token of [second.access_token, renewed.access_token]) {
      expect((await call(sandbox(), "/introspect", { token })).status).toBe(401)
    }
  })

  it("says which model it runs", async () => {
    expect((await control(sandbox(), "")).connection_model).toBe("legacy")
  })
})

describe.each(["current", "legacy"] as const)("webhooks name the Finch connection (%s model)", (model) => {
  let receiver: Server
  const bodies: Array<Record<string, unknown>> = []
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let text = ""
      request.on("data", (chunk) => {
        text += chunk
      })
      request.on("end", () => {
        bodies.push(JSON.parse(text))
        response.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  })

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve))
  })

  it("account.updated for a login's status change carries its connection_id and account_id", async () => {
    const port = (receiver.address() as AddressInfo).port
    await control(sandbox(), "/webhook", { url: `http://127.0.0.1:${port}/finch`, secret: "c2VjcmV0" }, "PUT")
    const first = await login(sandbox(), `wh-${model}`, { username: "webhook_co" })
    const second = await login(sandbox(), `wh-${model}`, { username: "webhook_co" })
    await setStatus(sandbox(), second.access_token, "reauth")
    await control(sandbox(), "/webhook/deliveries")
    const updates = bodies.filter((body) => body["event_type"] === "account.updated")
    expect(updates).toHaveLength(1)
    expect(updates[0]).toMatchObject({
      connection_id: second.connection_id,
      account_id: model === "current" ? second.account_id : first.account_id,
      company_id: first.company_id,
      data: { status: "reauth" },
    })
  })
})
