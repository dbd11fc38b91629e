/**
 * The response cache of the connection list and get routes, on real PostgreSQL: changes made by another session (not
 * through the API) show on a later read within a bounded wait; the API's own writes show at once; a lost listening
 * session empties the cache and later reads are still right; another customer's ids still answer 404; ETags.
 */
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { makeKysely } from "@finch-connections/store-postgres/Database"
import * as PgCustomerChanges from "@finch-connections/store-postgres/PgCustomerChanges"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import { Context, Effect, Redacted } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ResponseCache from "../src/ResponseCache.ts"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
let cache: ResponseCache.ResponseCache["Type"]
let connectionId: string
let globexConnectionId: string

/** Calls `read` until `done` holds for its answer (at most ~10 s), and returns that answer. */
const eventually = async <A>(read: () => Promise<A>, done: (value: A) => boolean): Promise<A> => {
  for (let attempt = 0; ; attempt++) {
    const value = await read()
    if (done(value) || attempt >= 200) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const list = (customerId = "acme") => api.call("GET", `/v1/customers/${customerId}/connections`)

/** Reads the list until the cache keeps it (the listening session is up). */
const listCached = () =>
  eventually(
    () => list(),
    () => cache.lookup("acme", "connections") !== undefined,
  )

beforeAll(async () => {
  api = await makeTestApi()
  cache = Context.get(api.runtime.context, ResponseCache.ResponseCache)
  await api.createCustomer("acme")
  await api.createCustomer("globex")
  connectionId = (await api.connect("acme", { username: "acme_alice" })).body.connection.id
  globexConnectionId = (await api.connect("globex", { username: "globex_gina" })).body.connection.id
})
afterAll(() => api?.close())

describe("the response cache", () => {
  it("keeps the list once the listening session is up, and serves the same body with an ETag", async () => {
    const first = await listCached()
    expect(first.status).toBe(200)
    const again = await list()
    expect(again.text).toBe(first.text)
    expect(again.headers.get("etag")).toMatch(/^".+"$/)
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"))
  })

  it("answers 304 to a matching If-None-Match, 200 otherwise", async () => {
    const current = await list()
    const etag = current.headers.get("etag")!
    const notModified = await api.call("GET", "/v1/customers/acme/connections", {
      headers: { "if-none-match": `"other", ${etag}` },
    })
    expect(notModified.status).toBe(304)
    expect(notModified.text).toBe("")
    expect(notModified.headers.get("etag")).toBe(etag)
    const stale = await api.call("GET", "/v1/customers/acme/connections", { headers: { "if-none-match": '"other"' } })
    expect(stale.status).toBe(200)
    expect(stale.text).toBe(current.text)
  })

  it("shows a change another session commits (SQL on the account's status) on a later read", async () => {
    await listCached()
    await api.owner
      .updateTable("connection_accounts")
      .set({ status: "reauth_required", reauth_required_at: new Date() })
      .where("connection_id", "=", connectionId)
      .execute()
    const changed = await eventually(
      () => list(),
      (answer) => answer.body.connections[0].status === "reauth_required",
    )
    expect(changed.body.connections[0].status).toBe("reauth_required")
    const one = await eventually(
      () => api.call("GET", `/v1/customers/acme/connections/${connectionId}`),
      (answer) => answer.body.status === "reauth_required",
    )
    expect(one.body.accounts[0].status).toBe("reauth_required")
  })

  it("shows a sync requested through the API as queued on the next read, the cache on", async () => {
    const path = `/v1/customers/globex/connections/${globexConnectionId}`
    const before = await eventually(
      () => api.call("GET", path),
      () => cache.lookup("globex", `connections/${globexConnectionId}`) !== undefined,
    )
    expect(before.body.current_sync).toBeNull()
    const requested = await api.call("POST", `${path}/syncs`)
    expect(requested.status).toBe(202)
    const after = await api.call("GET", path)
    expect(after.body.current_sync).toMatchObject({ id: requested.body.sync_id, status: "queued", started_at: null })
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"))
  })

  it("shows a sync the worker's queue queues, starts, defers and finishes (as finch_worker) on later reads", async () => {
    await listCached()
    expect((await list()).body.connections[0]).toMatchObject({ last_sync: null, current_sync: null })
    const worker = makeKysely(Redacted.value(api.databaseUrl), { role: "finch_worker", max: 2 })
    const queue = PgSyncQueue.make({ db: worker })
    const acme = CustomerId.make("acme")
    const connection = ConnectionId.make(connectionId)
    /** Runs `step` on the worker's queue, then reads the (cached) list until its connection shows `expected`. */
    const shownAfter = async (step: Effect.Effect<unknown>, expected: (sync: any) => boolean) => {
      await Effect.runPromise(step)
      const answer = await eventually(
        () => list(),
        (read) => expected(read.body.connections[0]),
      )
      return answer.body.connections[0]
    }
    try {
      const run = await Effect.runPromise(queue.requestSync(acme, connection))
      const queued = await shownAfter(Effect.void, (shown) => shown.current_sync?.status === "queued")
      expect(queued.current_sync).toMatchObject({ id: run.id, status: "queued", retry_at: null })
      await listCached()
      const running = await shownAfter(
        queue.claimRuns(acme, connection),
        (shown) => shown.current_sync?.status === "running",
      )
      expect(running.current_sync).toMatchObject({ id: run.id, started_at: expect.any(String) })
      await listCached()
      const retryAt = new Date(Date.now() + 60_000)
      const deferred = await shownAfter(
        queue.deferRuns(acme, connection, [run.id], { retryAt, reason: "rate limited", countsAsRetry: false }),
        (shown) => shown.current_sync?.status === "queued",
      )
      expect(deferred.current_sync).toMatchObject({ id: run.id, retry_at: retryAt.toISOString() })
      await listCached()
      const finished = await shownAfter(
        Effect.andThen(queue.claimRuns(acme, connection), () =>
          queue.finishRuns(acme, connection, [run.id], { _tag: "Failed", error: "boom" }),
        ),
        (shown) => shown.last_sync !== null,
      )
      expect(finished).toMatchObject({ current_sync: null, last_sync: { id: run.id, status: "failed" } })
    } finally {
      await worker.destroy()
    }
  })

  it("shows the API's own writes at once (read-your-writes)", async () => {
    const before = await listCached()
    const added = await api.connect("acme", { username: "acme_bob", provider_id: "bamboo_hr" })
    expect(added.status).toBe(201)
    const after = await list()
    expect(after.body.connections).toHaveLength(before.body.connections.length + 1)
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"))
  })

  it("is not emptied by a write refused for its key or signature (401: nothing was done)", async () => {
    await listCached()
    const unsigned = await api.call("POST", "/v1/webhooks/finch", { body: { type: "account.updated" }, key: null })
    expect(unsigned.status).toBe(401)
    const keyless = await api.call("POST", "/v1/customers/acme/connections", { body: { code: "x" }, key: null })
    expect(keyless.status).toBe(401)
    expect(cache.lookup("acme", "connections")).toBeDefined()
  })

  it("empties itself when the listening session is lost, and reads stay right while it reconnects", async () => {
    await listCached()
    const terminated = await sql<{ ended: boolean }>`select pg_terminate_backend(pid) as ended from pg_stat_activity
      where application_name = ${PgCustomerChanges.applicationName} and datname = current_database()`.execute(api.owner)
    expect(terminated.rows.map((row) => row.ended)).toEqual([true])
    await eventually(
      async () => cache.lookup("acme", "connections"),
      (kept) => kept === undefined,
    )
    // A change while the session may still be down is never hidden by a kept body.
    await api.owner
      .updateTable("connection_accounts")
      .set({ status: "connected", reauth_required_at: null })
      .where("connection_id", "=", connectionId)
      .execute()
    const read = await list()
    const mine = read.body.connections.find((connection: { id: string }) => connection.id === connectionId)
    expect(mine.status).toBe("active")
    // Once the session is back the list is kept again, and still right.
    const kept = await listCached()
    expect(kept.body.connections.find((connection: { id: string }) => connection.id === connectionId).status).toBe(
      "active",
    )
  })

  it("answers another customer's connection id 404, exactly like an unknown one, with the owner's copy kept", async () => {
    await eventually(
      () => api.call("GET", `/v1/customers/globex/connections/${globexConnectionId}`),
      () => cache.lookup("globex", `connections/${globexConnectionId}`) !== undefined,
    )
    const foreign = await api.call("GET", `/v1/customers/acme/connections/${globexConnectionId}`)
    const unknown = await api.call("GET", "/v1/customers/acme/connections/00000000-0000-4000-8000-000000000000")
    expect(foreign.status).toBe(404)
    expect(foreign.body.error.code).toBe(unknown.body.error.code)
    expect(foreign.body.error.code).toBe("connection_not_found")
    expect(foreign.text).not.toContain("globex_gina")
    expect(foreign.headers.get("etag")).toBeNull()
    // The other customer's list never holds it either.
    expect((await list()).text).not.toContain(globexConnectionId)
  })
})
