/**
 * The log of a full connect → reauthenticate → disconnect run (both Connect flows, a refused code, a webhook): one
 * structured JSON line per request, and not one token, code, state, API key or secret anywhere in it.
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { apiKey, makeTestApi, oldApiKey, type TestApi, webhookSecret } from "./fixtures/TestApi.ts"

let api: TestApi
beforeAll(async () => {
  api = await makeTestApi()
})
afterAll(() => api?.close())

it("logs one JSON line per request and never a token, code, key or secret", async () => {
  const secrets: Array<string> = [apiKey, oldApiKey, webhookSecret, api.sandbox.clientSecret]
  await api.createCustomer("acme")

  // embedded flow
  const created = await api.connect("acme", { username: "good_user_61" })
  expect(created.status).toBe(201)
  const connectionId = created.body.connection.id
  secrets.push(created.code, await api.tokenOf("acme", connectionId))

  // a used code is refused
  const reused = await api.call("POST", "/v1/customers/acme/connections", { body: { code: created.code } })
  expect(reused.status).toBe(400)

  // reauthentication replaces the token
  const started = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
    body: {},
  })
  const { code: reauthCode } = await api.admin("POST", `/connect/sessions/${started.body.session_id}/complete`, {
    password: "good_pass",
  })
  const replaced = await api.call("POST", "/v1/customers/acme/connections", { body: { code: reauthCode } })
  expect(replaced.body.outcome).toBe("token_replaced")
  secrets.push(reauthCode, await api.tokenOf("acme", connectionId))

  // redirect flow through our callback
  const session = await api.call("POST", "/v1/customers/acme/connect-sessions", {
    body: { products: ["company"], redirect_uri: "http://127.0.0.1:9/v1/finch/callback" },
  })
  const state = new URL(session.body.connect_url).searchParams.get("state") ?? ""
  const done = await api.admin("POST", `/connect/sessions/${session.body.session_id}/complete`, {
    provider_id: "gusto",
    username: "good_user_62",
    password: "good_pass",
    state,
  })
  const redirectCode = new URL(done.redirect_url).searchParams.get("code") ?? ""
  const callback = await api.call("GET", `/v1/finch/callback?code=${redirectCode}&state=${state}`, { key: null })
  expect(callback.status).toBe(302)
  const redirected = new URL(callback.headers.get("location") ?? "", "http://x").searchParams.get("connection_id")
  secrets.push(state, redirectCode, await api.tokenOf("acme", redirected ?? ""))

  // a webhook, a wrong key, and the disconnects
  await api.deliverWebhook({
    connection_id: created.finchConnectionId,
    event_type: "account.updated",
    data: { status: "reauth" },
  })
  await api.call("GET", "/v1/customers/acme/connections", { key: "wrong-key-guess" })
  secrets.push("wrong-key-guess")
  expect((await api.call("DELETE", `/v1/customers/acme/connections/${connectionId}`)).status).toBe(204)
  expect((await api.call("DELETE", `/v1/customers/acme/connections/${redirected}`)).status).toBe(204)

  expect(api.logLines.length).toBeGreaterThan(0)
  // Our JSON logger (`Logging.ts`) writes every line as Effect's `Logger.jsonLogger` would (annotations maybe in
  // another order).
  expect(api.logLines.map((line) => JSON.parse(line))).toEqual(api.effectLogLines.map((line) => JSON.parse(line)))
  const requests = api.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.message === "request")
  expect(requests.length).toBeGreaterThanOrEqual(11)
  for (const entry of requests) {
    expect(Object.keys(entry.annotations).sort()).toEqual(
      ["customer_id", "duration_ms", "method", "request_id", "route", "status"].sort(),
    )
  }
  expect(requests.map((entry) => entry.annotations.route)).toContain("/v1/finch/callback")
  expect(requests.find((entry) => entry.annotations.route === "/v1/customers/:customer_id/connections")).toMatchObject({
    annotations: { customer_id: "acme" },
  })
  const log = api.logLines.join("\n")
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(5)
    expect(log).not.toContain(secret)
  }
})
