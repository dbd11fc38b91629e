/**
 * The connect and connection routes against real PostgreSQL and the sandbox as Finch: both Connect flows, every
 * outcome and refusal, reading, reauthentication and disconnection, with their error codes.
 */
import { randomUUID } from "node:crypto"
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { makeKysely } from "@finch-connections/store-postgres/Database"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ConnectState from "../src/ConnectState.ts"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
beforeAll(async () => {
  api = await makeTestApi({ connectionsPageUrl: "/connections" })
  await api.createCustomer("acme")
  await api.createCustomer("globex")
})
afterAll(() => api?.close())

const callbackUrl = "http://127.0.0.1:9/v1/finch/callback"

describe("embedded flow: POST /v1/customers/{id}/connections", () => {
  let connectionId: string
  let aliceAccountId: string

  it("creates a connection (201 connection_created) whose JSON holds no token", async () => {
    const created = await api.connect("acme", { username: "acme_alice" })
    expect(created.status).toBe(201)
    expect(created.body.outcome).toBe("connection_created")
    connectionId = created.body.connection.id
    aliceAccountId = created.body.connection.accounts[0].id
    expect(created.body.connection).toMatchObject({ provider_id: "gusto", status: "active" })
    expect(created.body.connection.accounts).toHaveLength(1)
    const token = await api.tokenOf("acme", connectionId)
    expect(created.text).not.toContain(token)
    expect(created.text).not.toMatch(/token|ciphertext|nonce/i)
  })

  it("adds a second login at the same company as an account (201 account_added)", async () => {
    const added = await api.connect("acme", { username: "acme_bob" })
    expect(added.status).toBe(201)
    expect(added.body.outcome).toBe("account_added")
    expect(added.body.connection.id).toBe(connectionId)
    expect(added.body.connection.accounts).toHaveLength(2)
    // each login by the username Finch's /introspect gave
    expect(added.body.connection.accounts.map((account: { username: string | null }) => account.username)).toEqual([
      "acme_alice",
      "acme_bob",
    ])
  })

  it("replaces the token after reauthentication (201 token_replaced, same connection)", async () => {
    // Two healthy logins: which one to reauthenticate must be said.
    const ambiguous = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
      body: {},
    })
    expect(ambiguous.status).toBe(409)
    const started = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
      body: { account_id: aliceAccountId },
    })
    expect(started.status).toBe(201)
    expect(started.body.kind).toBe("reauthenticate")
    expect(started.body.connect_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    const before = await api.tokenOf("acme", connectionId)
    const { code } = await api.admin("POST", `/connect/sessions/${started.body.session_id}/complete`, {
      username: "acme_alice",
      password: "good_pass",
    })
    const replaced = await api.call("POST", "/v1/customers/acme/connections", { body: { code } })
    expect(replaced.status).toBe(201)
    expect(replaced.body.outcome).toBe("token_replaced")
    expect(replaced.body.connection.id).toBe(connectionId)
    expect(await api.tokenOf("acme", connectionId)).not.toBe(before)
  })

  it("refuses another customer's company (409 connection_owned_by_another_customer) and records nothing", async () => {
    const before = await api.snapshot()
    const refused = await api.connect("globex", { username: "acme_alice" })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe("connection_owned_by_another_customer")
    expect(refused.text).not.toContain(connectionId)
    expect(await api.snapshot()).toBe(before)
  })

  it("refuses a code from a session opened for another customer (409 foreign_connect_session)", async () => {
    const { code } = await api.connectCode("acme", { username: "good_user_41" })
    const before = await api.snapshot()
    const refused = await api.call("POST", "/v1/customers/globex/connections", { body: { code } })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe("foreign_connect_session")
    expect(await api.snapshot()).toBe(before)
  })

  it("answers a used code with 400 invalid_code", async () => {
    const first = await api.connect("acme", { username: "good_user_42" })
    expect(first.status).toBe(201)
    const again = await api.call("POST", "/v1/customers/acme/connections", { body: { code: first.code } })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe("invalid_code")
    expect(again.text).not.toContain(first.code)
  })

  it("answers an unknown customer with 404 customer_not_found", async () => {
    const answer = await api.call("POST", "/v1/customers/nobody/connections", { body: { code: "whatever" } })
    expect(answer.status).toBe(404)
    expect(answer.body.error.code).toBe("customer_not_found")
  })

  it("answers a body without a code with 400 naming the field", async () => {
    const answer = await api.call("POST", "/v1/customers/acme/connections", { body: { redirect_uri: "nope" } })
    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe("invalid_request")
    expect(answer.body.error.message).toContain("code")
    const fields = answer.body.error.details.issues.map((issue: { field: string }) => issue.field)
    expect(fields).toEqual(expect.arrayContaining(["code", "redirect_uri"]))
  })
})

describe("connect sessions and the redirect flow", () => {
  it("opens an embedded-flow session (201 session_id, connect_url without state)", async () => {
    const answer = await api.call("POST", "/v1/customers/acme/connect-sessions", { body: { products: ["company"] } })
    expect(answer.status).toBe(201)
    expect(answer.body.session_id).toEqual(expect.any(String))
    expect(new URL(answer.body.connect_url).searchParams.has("state")).toBe(false)
  })

  it("answers an unknown customer with 404 and bad products with 400", async () => {
    const unknown = await api.call("POST", "/v1/customers/nobody/connect-sessions", { body: { products: ["company"] } })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("customer_not_found")
    const empty = await api.call("POST", "/v1/customers/acme/connect-sessions", { body: { products: [] } })
    expect(empty.status).toBe(400)
    expect(empty.body.error.message).toContain("products")
  })

  const redirectSession = async (customerId: string, username: string) => {
    const session = await api.call("POST", `/v1/customers/${customerId}/connect-sessions`, {
      body: { products: ["company", "directory"], redirect_uri: callbackUrl, provider_id: "gusto" },
    })
    expect(session.status).toBe(201)
    const state = new URL(session.body.connect_url).searchParams.get("state")
    expect(state).toEqual(expect.any(String))
    const done = await api.admin("POST", `/connect/sessions/${session.body.session_id}/complete`, {
      provider_id: "gusto",
      username,
      password: "good_pass",
      state,
    })
    const redirect = new URL(done.redirect_url)
    return { code: redirect.searchParams.get("code") ?? "", state: redirect.searchParams.get("state") ?? "" }
  }

  it("completes the connection at /v1/finch/callback and redirects to the page with the outcome", async () => {
    const { code, state } = await redirectSession("acme", "good_user_51")
    const answer = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${state}`, {
      key: null,
    })
    expect(answer.status).toBe(302)
    expect(answer.headers.get("location")).toMatch(/^\/connections\?/)
    const location = new URL(answer.headers.get("location") ?? "", "http://api.test")
    expect(location.searchParams.get("outcome")).toBe("connection_created")
    const connectionId = location.searchParams.get("connection_id") ?? ""
    const read = await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)
    expect(read.status).toBe(200)

    const before = await api.snapshot()
    const replay = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${state}`, {
      key: null,
    })
    expect(replay.status).toBe(400)
    expect(replay.body.error.code).toBe("invalid_state")
    expect(await api.snapshot()).toBe(before)
  })

  it("refuses a forged or expired state with 400 invalid_state and spends nothing", async () => {
    const { code, state } = await redirectSession("acme", "good_user_52")
    const [payload, signature] = state.split(".")
    const forgedPayload = Buffer.from(
      Buffer.from(payload ?? "", "base64url")
        .toString("utf8")
        .replace('"acme"', '"globex"'),
    ).toString("base64url")
    const expired = await Effect.runPromise(
      ConnectState.make({ secret: Redacted.make("another secret"), ttlSeconds: -1 }).sign("acme" as never, callbackUrl),
    )
    const before = await api.snapshot()
    for (const bad of [`${forgedPayload}.${signature}`, expired, "not-a-state", `${payload}.`]) {
      const answer = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${bad}`, {
        key: null,
      })
      expect(answer.status).toBe(400)
      expect(answer.body.error.code).toBe("invalid_state")
    }
    expect(await api.snapshot()).toBe(before)
    // the genuine state still works: nothing was spent
    const good = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${state}`, {
      key: null,
    })
    expect(good.status).toBe(302)
  })

  it("redirects a refused company to the page with error=connection_owned_by_another_customer", async () => {
    const { code, state } = await redirectSession("globex", "acme_alice")
    const answer = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${state}`, {
      key: null,
    })
    expect(answer.status).toBe(302)
    expect(new URL(answer.headers.get("location") ?? "", "http://api.test").searchParams.get("error")).toBe(
      "connection_owned_by_another_customer",
    )
  })

  describe("reauthentication in the redirect flow", () => {
    let connectionId: string
    let accountId: string

    beforeAll(async () => {
      const { code, state } = await redirectSession("acme", "good_user_53")
      const answer = await api.call("GET", `/v1/finch/callback?code=${encodeURIComponent(code)}&state=${state}`, {
        key: null,
      })
      connectionId = new URL(answer.headers.get("location") ?? "", "http://api.test").searchParams.get(
        "connection_id",
      ) as string
      accountId = (await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)).body.accounts[0].id
    })

    /** Opens the reauthentication of the account with our callback and completes it at the sandbox as `choice`. */
    const reauthenticate = async (choice: Record<string, unknown>) => {
      const opened = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
        body: { account_id: accountId, redirect_uri: callbackUrl },
      })
      expect(opened.status).toBe(201)
      const state = new URL(opened.body.connect_url).searchParams.get("state")
      expect(state).toEqual(expect.any(String))
      const done = await api.admin("POST", `/connect/sessions/${opened.body.session_id}/complete`, {
        password: "good_pass",
        state,
        ...choice,
      })
      const redirect = new URL(done.redirect_url)
      return api.call(
        "GET",
        `/v1/finch/callback?code=${encodeURIComponent(redirect.searchParams.get("code") ?? "")}&state=${redirect.searchParams.get("state")}`,
        { key: null },
      )
    }

    it("replaces the named login's token: same connection, same account, outcome token_replaced", async () => {
      const answer = await reauthenticate({ username: "good_user_53" })
      expect(answer.status).toBe(302)
      const location = new URL(answer.headers.get("location") ?? "", "http://api.test")
      expect(location.searchParams.get("outcome")).toBe("token_replaced")
      expect(location.searchParams.get("connection_id")).toBe(connectionId)
      const read = await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)
      expect(read.body.accounts.map((account: { id: string }) => account.id)).toEqual([accountId])
    })

    it("refuses a login of another company with error=token_mismatch and records nothing but the spent state", async () => {
      const list = await api.call("GET", "/v1/customers/acme/connections")
      const other = list.body.connections.find(
        (connection: { id: string; provider_id: string }) =>
          connection.id !== connectionId && connection.provider_id === "gusto",
      )
      expect(other).toBeDefined()
      const withoutStates = (snapshot: string) => ({ ...JSON.parse(snapshot), connect_states: undefined })
      const before = withoutStates(await api.snapshot())
      const answer = await reauthenticate({ username: "another_admin", company_id: other.company_id })
      expect(answer.status).toBe(302)
      expect(new URL(answer.headers.get("location") ?? "", "http://api.test").searchParams.get("error")).toBe(
        "token_mismatch",
      )
      expect(withoutStates(await api.snapshot())).toEqual(before)
    })
  })

  it("answers a callback without code or state with 400 invalid_request", async () => {
    const answer = await api.call("GET", "/v1/finch/callback?state=x", { key: null })
    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe("invalid_request")
    expect(answer.body.error.message).toContain("code")
  })
})

describe("a connection's syncs in its JSON", () => {
  it("shows a sync queued, running, ended (last_sync), and the next queued while the last result stays", async () => {
    const created = await api.connect("acme", { username: "sync_sam", provider_id: "gusto" })
    const id: string = created.body.connection.id
    expect(created.body.connection).toMatchObject({ last_sync: null, current_sync: null })
    const read = async () => (await api.call("GET", `/v1/customers/acme/connections/${id}`)).body
    /** Reads until the worker's change shows: it reaches a cached body by notification, a moment later (at most ~10 s). */
    const readOnce = async (shows: (body: any) => boolean) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const body = await read()
        if (shows(body)) return body
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return read()
    }
    const listed = async () =>
      (await api.call("GET", "/v1/customers/acme/connections")).body.connections.find(
        (connection: { id: string }) => connection.id === id,
      )
    const worker = makeKysely(Redacted.value(api.databaseUrl), { role: "finch_worker", max: 2 })
    const queue = PgSyncQueue.make({ db: worker })
    const acme = CustomerId.make("acme")
    const connection = ConnectionId.make(id)
    try {
      const first = (await api.call("POST", `/v1/customers/acme/connections/${id}/syncs`)).body.sync_id
      const queued = await read()
      expect(queued.current_sync).toEqual({
        id: first,
        status: "queued",
        requested_at: expect.any(String),
        started_at: null,
        retry_at: null,
      })
      expect(queued.last_sync).toBeNull()
      expect(await listed()).toEqual(queued)

      await Effect.runPromise(queue.claimRuns(acme, connection))
      const running = await readOnce((body) => body.current_sync?.status === "running")
      expect(running.current_sync).toMatchObject({ id: first, status: "running", started_at: expect.any(String) })
      expect(running.last_sync).toBeNull()

      // Sent back to wait (Finch answered 429): queued again, with when it is tried next; not "running".
      const retryAt = new Date(Date.now() + 60_000)
      await Effect.runPromise(
        queue.deferRuns(acme, connection, [first], { retryAt, reason: "rate limited", countsAsRetry: false }),
      )
      expect((await readOnce((body) => body.current_sync?.status === "queued")).current_sync).toMatchObject({
        id: first,
        status: "queued",
        started_at: running.current_sync.started_at,
        retry_at: retryAt.toISOString(),
      })

      await Effect.runPromise(queue.claimRuns(acme, connection))
      await Effect.runPromise(
        queue.finishRuns(acme, connection, [first], {
          _tag: "Succeeded",
          records: { added: 2, updated: 0, removed: 0, unchanged: 0 },
        }),
      )
      const ended = await readOnce((body) => body.last_sync !== null)
      expect(ended.current_sync).toBeNull()
      const run = (await api.call("GET", `/v1/customers/acme/syncs/${first}`)).body
      expect(ended.last_sync).toEqual({
        id: first,
        status: "succeeded",
        requested_at: run.requested_at,
        started_at: run.started_at,
        finished_at: run.finished_at,
      })

      const second = (await api.call("POST", `/v1/customers/acme/connections/${id}/syncs`)).body.sync_id
      expect(second).not.toBe(first)
      await Effect.runPromise(queue.claimRuns(acme, connection))
      const again = await readOnce((body) => body.current_sync?.status === "running")
      expect(again.current_sync).toMatchObject({ id: second, status: "running" })
      expect(again.last_sync).toEqual(ended.last_sync)
      // The list says the same (its cached body goes with the same notification).
      let inList = await listed()
      for (let attempt = 0; attempt < 200 && inList.current_sync?.status !== "running"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        inList = await listed()
      }
      expect(inList).toEqual(again)
    } finally {
      await worker.destroy()
    }
  })
})

describe("reading, reauthenticating and disconnecting", () => {
  let connectionId: string
  let accountId: string

  beforeAll(async () => {
    const created = await api.connect("acme", { username: "multi_entity", provider_id: "rippling" })
    expect(created.status).toBe(201)
    connectionId = created.body.connection.id
    accountId = created.body.connection.accounts[0].id
  })

  it("lists the customer's connections newest first, with accounts, entities and products", async () => {
    const list = await api.call("GET", "/v1/customers/acme/connections")
    expect(list.status).toBe(200)
    expect(list.body.connections[0].id).toBe(connectionId)
    expect(list.body.connections[0].entities.length).toBeGreaterThan(1)
    for (const connection of list.body.connections) {
      expect(Object.keys(connection).sort()).toEqual(
        [
          "accounts",
          "company_id",
          "created_at",
          "disconnected_at",
          "entities",
          "current_sync",
          "id",
          "last_sync",
          "products",
          "provider_id",
          "reauth_required_at",
          "status",
          "updated_at",
        ].sort(),
      )
    }
    expect(list.text).not.toMatch(/token|ciphertext/i)
  })

  it("reads one connection; an unknown id is 404 connection_not_found, a malformed one 400", async () => {
    const one = await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)
    expect(one.status).toBe(200)
    expect(one.body.id).toBe(connectionId)
    const unknown = await api.call("GET", `/v1/customers/acme/connections/${randomUUID()}`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("connection_not_found")
    const malformed = await api.call("GET", "/v1/customers/acme/connections/not-a-uuid")
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.message).toContain("connection_id")
  })

  it("reauthenticates a named account; an unknown account is 404 account_not_found", async () => {
    const named = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
      body: { account_id: accountId },
    })
    expect(named.status).toBe(201)
    expect(named.body.connect_url).toEqual(expect.any(String))
    const unknown = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
      body: { account_id: "no-such-account" },
    })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("account_not_found")
    const bodyless = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`)
    expect(bodyless.status).toBe(201)
  })

  it("refuses to disconnect an unknown entity (404 entity_not_found) and changes nothing", async () => {
    const before = await api.snapshot()
    const answer = await api.call("DELETE", `/v1/customers/acme/connections/${connectionId}?entity_id=nope`)
    expect(answer.status).toBe(404)
    expect(answer.body.error.code).toBe("entity_not_found")
    expect(await api.snapshot()).toBe(before)
  })

  it("disconnects at Finch and destroys the tokens (204); again is 409 illegal_transition", async () => {
    const finchConnectionId = (await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)).body.accounts[0]
      .finch_connection_id
    const gone = await api.call("DELETE", `/v1/customers/acme/connections/${connectionId}`)
    expect(gone.status).toBe(204)
    expect(gone.text).toBe("")
    const read = await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)
    expect(read.body.status).toBe("disconnected")
    expect(read.body.disconnected_at).toEqual(expect.any(String))
    const atFinch = await api.admin("GET", `/connections/${finchConnectionId}`)
    expect(JSON.stringify(atFinch)).toContain("disconnected")
    const tokens = await api.owner
      .selectFrom("access_tokens")
      .select(["ciphertext", "status"])
      .where("connection_id", "=", connectionId)
      .execute()
    expect(tokens.every((token) => token.ciphertext === null)).toBe(true)

    const again = await api.call("DELETE", `/v1/customers/acme/connections/${connectionId}`)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe("illegal_transition")
    const reauth = await api.call("POST", `/v1/customers/acme/connections/${connectionId}/reauthenticate`, {
      body: {},
    })
    expect(reauth.status).toBe(409)
  })
})

describe("when Finch fails", () => {
  it("answers 502 finch_unavailable when Finch keeps failing, and 503 finch_rate_limited when it rate limits", async () => {
    await api.admin("POST", "/faults", { path: "/connect/sessions", status: 500, count: 10 })
    const failing = await api.call("POST", "/v1/customers/acme/connect-sessions", { body: { products: ["company"] } })
    expect(failing.status).toBe(502)
    expect(failing.body.error.code).toBe("finch_unavailable")
    await api.admin("DELETE", "/faults")
    await api.admin("POST", "/faults", { path: "/connect/sessions", status: 429, count: 10 })
    const limited = await api.call("POST", "/v1/customers/acme/connect-sessions", { body: { products: ["company"] } })
    expect(limited.status).toBe(503)
    expect(limited.body.error.code).toBe("finch_rate_limited")
    await api.admin("DELETE", "/faults")
    const recovered = await api.call("POST", "/v1/customers/acme/connect-sessions", { body: { products: ["company"] } })
    expect(recovered.status).toBe(201)
  })
})
