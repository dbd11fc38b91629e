/**
 * The pages against real PostgreSQL and the sandbox as Finch: page links and sessions (one customer each; forged,
 * tampered and expired links grant nothing), CSRF on every form, the connections page with its actions and the
 * outcome of each Connect, and the employees pages with a decision.
 */
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import * as Persons from "@finch-connections/core/Persons"
import { comparedFields, levelNames } from "@finch-connections/core/reconciliation/Levels"
import { makeKysely } from "@finch-connections/store-postgres/Database"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import { Effect, Redacted, TestClock, TestContext } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as MatchEvidence from "../src/pages/MatchEvidence.ts"
import * as PageSessions from "../src/pages/PageSessions.ts"
import { apiKey, makeTestApi, pageSessionSecret, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
let acmeConnectionId: string
let globexConnectionId: string
beforeAll(async () => {
  api = await makeTestApi()
  await api.createCustomer("acme", "Acme Corporation")
  await api.createCustomer("globex", "Globex Corporation")
  const acme = await api.connect("acme", { username: "acme_alice" })
  acmeConnectionId = acme.body.connection.id
  const globex = await api.connect("globex", { username: "multi_entity", provider_id: "rippling" })
  globexConnectionId = globex.body.connection.id
})
afterAll(() => api?.close())

/** A browser of one: follows nothing, keeps the session cookie. */
interface PageAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

const request = async (
  path: string,
  init: { method?: string; cookie?: string; form?: Record<string, string> } = {},
) => {
  const headers: Record<string, string> = {}
  if (init.cookie !== undefined) headers.cookie = init.cookie
  let body: string | undefined
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded"
    body = new URLSearchParams(init.form).toString()
  }
  const response = await api.app.request(path, {
    method: init.method ?? (init.form === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  })
  // The page's text with the entities `html` escapes (apostrophes, quotes) read back.
  const text = (await response.text()).replaceAll("&#39;", "'").replaceAll("&quot;", '"').replaceAll("&amp;", "&")
  return { status: response.status, headers: response.headers, text } satisfies PageAnswer
}

const linkFor = async (customerId: string) => {
  const answer = await api.call("POST", `/v1/customers/${customerId}/sessions`, { body: {} })
  expect(answer.status).toBe(201)
  const url = new URL(answer.body.url)
  return { url, path: `${url.pathname}${url.search}`, token: url.searchParams.get("token") ?? "", answer }
}

/** Opens a customer's link: the cookie header to send, and helpers bound to it. */
const openSession = async (customerId: string) => {
  const link = await linkFor(customerId)
  const opened = await request(link.path)
  expect(opened.status).toBe(303)
  expect(opened.headers.get("location")).toBe("/pages/connections")
  const setCookie = opened.headers.get("set-cookie") ?? ""
  const cookie = setCookie.split(";")[0] ?? ""
  const cookieValue = cookie.split("=").slice(1).join("=")
  const get = (path: string) => request(path, { cookie })
  const csrfOf = async (path = "/pages/connections") =>
    /name="csrf" value="([^"]+)"/.exec((await get(path)).text)?.[1] ?? ""
  const post = (path: string, form: Record<string, string>) => request(path, { cookie, form })
  return { link, setCookie, cookie, cookieValue, get, post, csrfOf }
}

const location = (answer: PageAnswer) => answer.headers.get("location") ?? ""

describe("page sessions", () => {
  it("POST …/sessions needs the API key and a known customer, and answers { url, expires_at }", async () => {
    const noKey = await api.call("POST", "/v1/customers/acme/sessions", { body: {}, key: null })
    expect(noKey.status).toBe(401)
    const unknown = await api.call("POST", "/v1/customers/nobody/sessions", { body: {} })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("customer_not_found")
    const { url, answer } = await linkFor("acme")
    expect(url.pathname).toBe("/pages/session")
    const expiresIn = Date.parse(answer.body.expires_at) - Date.now()
    expect(expiresIn).toBeGreaterThan(0)
    expect(expiresIn).toBeLessThanOrEqual(PageSessions.defaultLinkTtlSeconds * 1000)
  })

  it("opening the link sets an HttpOnly, SameSite=Lax cookie scoped to /pages", async () => {
    const session = await openSession("acme")
    expect(session.setCookie).toMatch(/HttpOnly/)
    expect(session.setCookie).toMatch(/SameSite=Lax/)
    expect(session.setCookie).toMatch(/Path=\/pages/)
  })

  it("a link for one customer shows only that customer's connections", async () => {
    const acme = await (await openSession("acme")).get("/pages/connections")
    const globex = await (await openSession("globex")).get("/pages/connections")
    expect(acme.status).toBe(200)
    expect(globex.status).toBe(200)
    expect(acme.text).toContain("Acme Corporation")
    expect(acme.text).toContain(acmeConnectionId)
    expect(acme.text).not.toContain(globexConnectionId)
    expect(acme.text).not.toContain("Globex")
    expect(globex.text).toContain(globexConnectionId)
    expect(globex.text).not.toContain(acmeConnectionId)
    expect(globex.text).not.toContain("Acme")
  })

  it("a page of another customer's connection answers as if it did not exist", async () => {
    const acme = await openSession("acme")
    const answer = await acme.get(`/pages/connections/${globexConnectionId}/disconnect`)
    expect(answer.status).toBe(404)
    expect(answer.text).not.toContain("rippling")
  })

  it("a forged, tampered, expired, garbled link — or a cookie used as a link — grants nothing", async () => {
    const { token } = await linkFor("acme")
    const [payload, signature] = token.split(".")
    const tampered = Buffer.from(
      Buffer.from(payload ?? "", "base64url")
        .toString("utf8")
        .replace('"acme"', '"globex"'),
    ).toString("base64url")
    const otherSecret = PageSessions.make({ secret: Redacted.make("not our secret") })
    const ourSecret = PageSessions.make({ secret: Redacted.make(pageSessionSecret) })
    const forged = await Effect.runPromise(otherSecret.link("acme" as never))
    // Our own signature, past its ten minutes (the test clock starts at 0, long ago).
    const expired = await Effect.runPromise(
      ourSecret.link("acme" as never).pipe(
        Effect.tap(() => TestClock.adjust("11 minutes")),
        Effect.provide(TestContext.TestContext),
      ),
    )
    const session = await openSession("acme")
    const bad = [
      `${tampered}.${signature}`,
      forged.token,
      expired.token,
      "garbage",
      `${payload}.`,
      "",
      session.cookieValue,
    ]
    for (const badToken of bad) {
      const answer = await request(`/pages/session?token=${encodeURIComponent(badToken)}`)
      expect(answer.status, badToken).toBe(401)
      expect(answer.headers.get("set-cookie")).toBeNull()
      expect(answer.text).toContain("invalid")
    }
  })

  it("a link opens once: the second time it grants nothing", async () => {
    const session = await openSession("acme")
    const again = await request(session.link.path)
    expect(again.status).toBe(401)
    expect(again.headers.get("set-cookie")).toBeNull()
  })

  it("an expired link is refused even when its signature is ours (TestClock)", async () => {
    const ours = PageSessions.make({ secret: Redacted.make(pageSessionSecret) })
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const link = yield* ours.link("acme" as never)
        yield* TestClock.adjust("9 minutes")
        const fresh = yield* Effect.either(ours.verifyLink(link.token))
        yield* TestClock.adjust("2 minutes")
        const stale = yield* Effect.flip(ours.verifyLink(link.token))
        return { fresh, stale }
      }).pipe(Effect.provide(TestContext.TestContext)),
    )
    expect(result.fresh._tag).toBe("Right")
    expect(result.stale.reason).toBe("expired")
  })

  it("no cookie, a tampered cookie or a link used as a cookie shows the 401 page", async () => {
    const { token } = await linkFor("acme")
    const session = await openSession("acme")
    const [payload, signature] = session.cookieValue.split(".")
    const tampered = Buffer.from(
      Buffer.from(payload ?? "", "base64url")
        .toString("utf8")
        .replace('"acme"', '"globex"'),
    ).toString("base64url")
    for (const cookie of [undefined, `fc_page_session=${tampered}.${signature}`, `fc_page_session=${token}`]) {
      for (const path of ["/pages/connections", "/pages/employees"]) {
        const answer = await request(path, cookie === undefined ? {} : { cookie })
        expect(answer.status).toBe(401)
        expect(answer.headers.get("content-type")).toMatch(/text\/html/)
        expect(answer.text).not.toContain(acmeConnectionId)
        expect(answer.text).not.toContain(globexConnectionId)
      }
    }
  })

  it("the HTML holds no secret (no cookie, link token, API key or access token), nor the logs a link or cookie", async () => {
    const session = await openSession("acme")
    const answer = await session.get("/pages/connections")
    const accessToken = await api.tokenOf("acme", acmeConnectionId)
    for (const secret of [session.cookieValue, session.link.token, apiKey, accessToken]) {
      expect(answer.text).not.toContain(secret)
    }
    const logs = api.logLines.join("\n")
    for (const secret of [session.cookieValue, session.link.token, await session.csrfOf()]) {
      expect(logs).not.toContain(secret)
    }
    expect(answer.headers.get("content-security-policy")).toContain("script-src 'self'")
    expect(answer.headers.get("cache-control")).toBe("no-store")
  })
})

describe("CSRF", () => {
  it("a POST without the session's CSRF token, or with another session's, is refused (403) and does nothing", async () => {
    const acme = await openSession("acme")
    const otherAcme = await openSession("acme")
    const otherCsrf = await otherAcme.csrfOf()
    const before = await api.snapshot()
    const syncsBefore = api.syncsRequested.length
    const attempts: ReadonlyArray<[string, Record<string, string>]> = [
      [`/pages/connections/${acmeConnectionId}/sync`, {}],
      [`/pages/connections/${acmeConnectionId}/sync`, { csrf: otherCsrf }],
      [`/pages/connections/${acmeConnectionId}/disconnect`, { confirm: "yes" }],
      [`/pages/connections/${acmeConnectionId}/disconnect`, { confirm: "yes", csrf: otherCsrf }],
      ["/pages/connections", { csrf: "" }],
      ["/pages/employees/decisions", { record_a: "a", record_b: "b", decision: "same_person", csrf: "x" }],
    ]
    for (const [path, form] of attempts) {
      const answer = await acme.post(path, form)
      expect(answer.status, path).toBe(403)
    }
    expect(api.syncsRequested.length).toBe(syncsBefore)
    expect(await api.snapshot()).toBe(before)
  })

  it("the API's own routes stay JSON-only and behind the API key", async () => {
    const form = await api.call("POST", "/v1/customers/acme/connect-sessions", {
      raw: "products=company",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    })
    expect(form.status).toBe(415)
  })
})

describe("the connections page", () => {
  /** Presses "Connect another…", logs in at the sandbox and follows Finch's redirect to our callback. */
  const connectThroughPage = async (
    session: Awaited<ReturnType<typeof openSession>>,
    login: { username: string; provider_id: string },
    path = "/pages/connections",
    extra: Record<string, string> = {},
  ) => {
    const started = await session.post(path, { csrf: await session.csrfOf(), ...extra })
    expect(started.status).toBe(303)
    const connectUrl = new URL(location(started))
    expect(connectUrl.origin).toBe(new URL(api.sandbox.baseUrl).origin)
    const state = connectUrl.searchParams.get("state") ?? ""
    expect(state).not.toBe("")
    const done = await api.admin("POST", `/connect/sessions/${connectUrl.searchParams.get("session")}/complete`, {
      ...login,
      password: "good_pass",
      state,
    })
    const redirect = new URL(done.redirect_url)
    expect(redirect.pathname).toBe("/v1/finch/callback")
    const callback = await request(`${redirect.pathname}${redirect.search}`)
    expect(callback.status).toBe(302)
    expect(location(callback)).toMatch(/^\/pages\/connections\?/)
    return session.get(location(callback))
  }

  it("lists connections with provider, company, entities, logins, products, status and last sync", async () => {
    const globex = await openSession("globex")
    const answer = await globex.get("/pages/connections")
    expect(answer.text).toContain("<h1>Globex Corporation: connections</h1>")
    expect(answer.text).toMatch(/Rippling|rippling/)
    expect(answer.text).toContain("Entities")
    expect(answer.text).toContain("directory")
    expect(answer.text).toContain("Connected")
    expect(answer.text).toContain("Never synced")
    expect(answer.text).toContain('name="viewport"')
    expect(answer.text).toContain("Connect another provider, account or entity")
    // the login by its username (Finch's /introspect), not its account id
    expect(answer.text).toContain('<span class="login">multi_entity</span>')
    // a multi-entity connection has no company id from Finch: our own key for it is not shown as one
    expect(answer.text).toMatch(/not reported by (Rippling|rippling)/)
    expect(answer.text).not.toContain("connection:")
  })

  it("shows a sync from the moment it is asked for: queued, running, waiting to retry; then how it ended", async () => {
    const globex = await openSession("globex")
    const connections = async () => (await globex.get("/pages/connections")).text
    const refreshes = (text: string) => text.includes('http-equiv="refresh"')
    // The worker's side of the queue, through the store as the worker runs it.
    const worker = makeKysely(Redacted.value(api.databaseUrl), { role: "finch_worker", max: 1 })
    const queue = PgSyncQueue.make({ db: worker })
    const customerId = CustomerId.make("globex")
    const connectionId = ConnectionId.make(globexConnectionId)
    const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)
    try {
      expect(await connections()).toContain("Never synced")
      const requested = await api.call("POST", `/v1/customers/globex/connections/${globexConnectionId}/syncs`)
      expect(requested.status).toBe(202)
      const { body: sync } = await api.call("GET", `/v1/customers/globex/syncs/${requested.body.sync_id}`)
      expect(sync.status).toBe("queued")

      // No worker has started it: the page says it is queued, since when, and reloads itself.
      const queued = await connections()
      expect(queued).toContain("Sync queued since")
      expect(queued).toContain(`<time datetime="${sync.requested_at}">`)
      expect(queued).not.toContain("Never synced")
      expect(refreshes(queued)).toBe(true)

      const claimed = await run(queue.claimRuns(customerId, connectionId))
      const running = await connections()
      expect(running).toContain("Running since")
      expect(running).not.toContain("Sync queued")
      expect(refreshes(running)).toBe(true)

      // Finch asked to wait: the run is queued again, with its next try.
      const retryAt = new Date(Date.now() + 15 * 60_000)
      await run(
        queue.deferRuns(customerId, connectionId, claimed, { retryAt, reason: "rate limited", countsAsRetry: false }),
      )
      const waiting = await connections()
      expect(waiting).toContain("Sync queued since")
      expect(waiting).toContain(`next try at <time datetime="${retryAt.toISOString()}">`)

      const again = await run(queue.claimRuns(customerId, connectionId))
      await run(
        queue.finishRuns(customerId, connectionId, again, {
          _tag: "Succeeded",
          records: { added: 0, updated: 0, removed: 0, unchanged: 0 },
        }),
      )
      const done = await connections()
      expect(done).toMatch(/Succeeded, <time datetime="[^"]+">/)
      expect(done).not.toContain("Running since")
      expect(refreshes(done)).toBe(false)

      // The next request shows as queued, and the last finished sync stays beside it.
      expect((await api.call("POST", `/v1/customers/globex/connections/${globexConnectionId}/syncs`)).status).toBe(202)
      const next = await connections()
      expect(next).toContain("Sync queued since")
      expect(next).toContain("Previous sync: Succeeded")

      // A sync requested while another runs shows both; a partial end says so in words.
      const third = await run(queue.claimRuns(customerId, connectionId))
      expect((await api.call("POST", `/v1/customers/globex/connections/${globexConnectionId}/syncs`)).status).toBe(202)
      const both = await connections()
      expect(both).toContain("Running since")
      expect(both).toContain("another sync queued since")
      expect(both).toContain("Previous sync: Succeeded")
      await run(
        queue.finishRuns(customerId, connectionId, third, {
          _tag: "Partial",
          records: { added: 0, updated: 0, removed: 0, unchanged: 0 },
        }),
      )
      const partial = await connections()
      expect(partial).toContain("Sync queued since")
      expect(partial).toContain("Previous sync: Partly succeeded")
      const fourth = await run(queue.claimRuns(customerId, connectionId))
      await run(queue.finishRuns(customerId, connectionId, fourth, { _tag: "Failed", error: "Finch answered 500" }))
      const failed = await connections()
      expect(failed).toMatch(/Failed, <time /)
      expect(refreshes(failed)).toBe(false)
    } finally {
      await worker.destroy()
    }
  })

  it("answers unusable ids and unknown pages with a page, not a failure", async () => {
    const acme = await openSession("acme")
    const csrf = await acme.csrfOf()
    const blank = await acme.post(`/pages/connections/${acmeConnectionId}/reauthenticate`, { csrf, account_id: "  " })
    expect(blank.status).toBe(404)
    const notUuid = await acme.get("/pages/connections/not-a-uuid/disconnect")
    expect(notUuid.status).toBe(404)
    const unknown = await acme.get("/pages/nothing-here")
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get("content-type")).toMatch(/text\/html/)
  })

  it("says what each Connect did: a new connection, a login added, refused for another customer's company", async () => {
    const acme = await openSession("acme")
    const created = await connectThroughPage(acme, { username: "good_user_61", provider_id: "bamboo_hr" })
    expect(created.status).toBe(200)
    expect(created.text).toContain("a new connection was added")

    const added = await connectThroughPage(acme, { username: "acme_bob", provider_id: "gusto" })
    expect(added.text).toContain("this login was added to a company you had already connected")

    const globex = await openSession("globex")
    const connectionsOf = async (customerId: string) =>
      (await api.call("GET", `/v1/customers/${customerId}/connections`)).text
    const before = [await connectionsOf("acme"), await connectionsOf("globex")]
    const refused = await connectThroughPage(globex, { username: "acme_alice", provider_id: "gusto" })
    expect(refused.text).toContain("that company is already connected by another account")
    expect(refused.text).not.toContain(acmeConnectionId)
    // only the state was spent: no connection, login or token changed on either side
    expect([await connectionsOf("acme"), await connectionsOf("globex")]).toEqual(before)
  })

  it("prompts to reconnect a login Finch asks to reauthenticate, and Reconnect replaces its token", async () => {
    const read = await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)
    const alice = read.body.accounts.find((account: any) => account.finch_connection_id !== null)
    const before = await api.tokenOf("acme", acmeConnectionId)
    await api.deliverWebhook({
      connection_id: alice.finch_connection_id,
      event_type: "account.updated",
      data: { status: "reauth" },
    })
    const acme = await openSession("acme")
    const prompted = await acme.get("/pages/connections")
    expect(prompted.text).toContain("Needs reconnecting")
    expect(prompted.text).toContain("asks for a login to be reconnected")
    expect(prompted.text).toMatch(/class="primary">Reconnect/)

    const replaced = await connectThroughPage(
      acme,
      { username: "acme_alice", provider_id: "gusto" },
      `/pages/connections/${acmeConnectionId}/reauthenticate`,
      { account_id: alice.id },
    )
    expect(replaced.text).toContain("the login's access was renewed; the connection stays the same")
    expect(replaced.text).not.toContain("asks for a login to be reconnected")
    const after = await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)
    expect(after.body.status).toBe("active")
    expect(await api.tokenOf("acme", acmeConnectionId)).not.toBe(before)
  })

  it("Sync now asks for a sync of that connection", async () => {
    const acme = await openSession("acme")
    const answer = await acme.post(`/pages/connections/${acmeConnectionId}/sync`, { csrf: await acme.csrfOf() })
    expect(answer.status).toBe(303)
    expect(api.syncsRequested.at(-1)).toEqual({
      customerId: "acme",
      connectionId: acmeConnectionId,
      reason: "requested_on_page",
    })
    expect((await acme.get(location(answer))).text).toContain("A sync was requested")
  })

  it("Disconnect asks for confirmation, then disconnects one login or the whole connection", async () => {
    const acme = await openSession("acme")
    const csrf = await acme.csrfOf()
    const read = await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)
    expect(read.body.accounts).toHaveLength(2)
    const bob = read.body.accounts[1]

    const confirm = await acme.get(`/pages/connections/${acmeConnectionId}/disconnect?account_id=${bob.id}`)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toContain('type="checkbox"')
    const unconfirmed = await acme.post(`/pages/connections/${acmeConnectionId}/disconnect`, {
      csrf,
      account_id: bob.id,
    })
    expect(unconfirmed.status).toBe(303)
    expect(location(unconfirmed)).toContain("/disconnect?account_id=")
    expect(
      (await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)).body.accounts[1].status,
    ).not.toBe("disconnected")

    const one = await acme.post(`/pages/connections/${acmeConnectionId}/disconnect`, {
      csrf,
      account_id: bob.id,
      confirm: "yes",
    })
    expect(one.status).toBe(303)
    const afterOne = await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)
    expect(afterOne.body.status).toBe("active")
    expect(afterOne.body.accounts.find((account: any) => account.id === bob.id).status).toBe("disconnected")

    const all = await acme.post(`/pages/connections/${acmeConnectionId}/disconnect`, { csrf, confirm: "yes" })
    expect(all.status).toBe(303)
    expect((await acme.get(location(all))).text).toContain("Disconnected. Its access at Finch was ended.")
    const afterAll = await api.call("GET", `/v1/customers/acme/connections/${acmeConnectionId}`)
    expect(afterAll.body.status).toBe("disconnected")
  })
})

describe("the employees pages", () => {
  it("lists one row per person; the person page shows records side by side and why; decisions split and merge", async () => {
    const person = { id: "ind-1", first: "Maria", last: "Lopez", dob: "1985-03-02", email: "maria@globex.test" }
    const created = await api.connect("globex", { username: "good_user_71", provider_id: "justworks" })
    const second = created.body.connection.id
    await api.seedEmployees("globex", globexConnectionId, [
      person,
      { id: "ind-2", first: "Jon", last: "Park", dob: "1990-07-14", email: "jon@globex.test" },
    ])
    await api.seedEmployees("globex", second, [{ ...person, id: "b-9" }])

    const globex = await openSession("globex")
    const list = await globex.get("/pages/employees")
    expect(list.status).toBe(200)
    const rows = [...list.text.matchAll(/<a href="\/pages\/employees\/([^"]+)">([^<]+)<\/a>/g)]
    expect(rows.map((row) => row[2]).sort()).toEqual(["Jon Park", "Maria Lopez"])
    const maria = rows.find((row) => row[2] === "Maria Lopez")?.[1] ?? ""

    const page = await globex.get(`/pages/employees/${maria}`)
    expect(page.status).toBe(200)
    expect(page.text.match(/class="record"/g)).toHaveLength(2)
    // the evidence in words: the details that agreed, and the score against what a merge needs
    expect(page.text).toContain("Matched automatically, because these details agree:")
    for (const detail of ["first name", "last name", "date of birth", "email"]) {
      expect(page.text).toContain(`<li>${detail}</li>`)
    }
    expect(page.text).toMatch(
      new RegExp(`How sure: match score \\d+\\.\\d \\(records are merged from ${Persons.matchThreshold} up\\)`),
    )
    expect(page.text).not.toMatch(/first_name|last_name|\bdob\b|:exact|Merged with score/)
    expect(page.text).toContain("Not the same person")

    const acme = await openSession("acme")
    expect((await acme.get(`/pages/employees/${maria}`)).status).toBe(404)
    expect((await acme.get("/pages/employees")).text).not.toContain("Maria")

    const csrf = await globex.csrfOf(`/pages/employees/${maria}`)
    const recordA = `${globexConnectionId}:ind-1`
    const recordB = `${second}:b-9`
    const split = await globex.post("/pages/employees/decisions", {
      csrf,
      record_a: recordA,
      record_b: recordB,
      decision: "not_same_person",
    })
    expect(split.status).toBe(303)
    const afterSplit = await globex.get(location(split))
    expect(afterSplit.text).toContain("Recorded: not the same person")
    expect(afterSplit.text.match(/class="record"/g)).toHaveLength(1)
    // back on the person the first record (the one it started from) belongs to now
    expect(afterSplit.text).toContain("<dd>ind-1</dd>")
    expect(afterSplit.text).not.toContain("<dd>b-9</dd>")
    const people = await api.call("GET", "/v1/customers/globex/employees")
    expect(people.body.employees).toHaveLength(3)

    const merged = await globex.post("/pages/employees/decisions", {
      csrf,
      record_a: recordA,
      record_b: recordB,
      decision: "same_person",
    })
    expect(merged.status).toBe(303)
    const afterMerge = (await globex.get(location(merged))).text
    expect(afterMerge.match(/class="record"/g)).toHaveLength(2)
    // a person's decision reads as one, with the details that also agree; no score
    expect(afterMerge).toContain("A person decided these are the same person.")
    expect(afterMerge).toContain("These details also agree:")
    expect(afterMerge).not.toContain("match score")
  })
})

describe("match evidence in words", () => {
  it("names every detail the engine can record as agreeing in words, never as a key", () => {
    // What `agreedFieldsOf` and `matchedBy` can emit: each field's levels but `missing` and the disagreements.
    const keys = [
      ...comparedFields.flatMap((field) =>
        levelNames[field]
          .filter((level) => level !== "missing" && !level.startsWith("disagree"))
          .map((level) => `${field}:${level}`),
      ),
      "names:swapped",
      MatchEvidence.manualKey,
    ]
    for (const key of keys) {
      const said = MatchEvidence.agreementWords(key)
      // no key, level name or abbreviation a payroll admin would not say
      expect(said, key).not.toMatch(/[_:]|\bexact\b|\bdob\b|\bssn\b|residence|\bnames\b|\bmanual\b/)
    }
    expect(MatchEvidence.agreementWords("dob:exact")).toBe("date of birth")
    expect(MatchEvidence.agreementWords("ssn:exact")).toBe("SSN")
    expect(MatchEvidence.agreementWords("first_name:nickname")).toBe("first name (nickname)")
    expect(MatchEvidence.agreementWords("dob:day_month_swap")).toBe("date of birth (day and month swapped)")
    expect(MatchEvidence.agreementWords("residence:address")).toBe("home address")
  })

  it("turns a key it does not know into words", () => {
    expect(MatchEvidence.agreementWords("tax_id:exact_match")).toBe("tax id (exact match)")
    expect(MatchEvidence.agreementWords("dob:leap_day")).toBe("date of birth (leap day)")
    expect(MatchEvidence.agreementWords("work_location")).toBe("work location")
  })

  it("sets the score against the score a merge needs, from the model the customer's runs use", () => {
    expect(Persons.matchThreshold).toBe(Persons.scoringModel.matchThreshold)
    expect(MatchEvidence.scoreWords(34.034)).toBe(
      `match score 34.0 (records are merged from ${Persons.matchThreshold} up)`,
    )
  })
})
