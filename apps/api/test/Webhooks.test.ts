/**
 * `POST /v1/webhooks/finch`: verification (unverifiable → 401, nothing done), acting on what Finch sends, once per
 * event id — both with deliveries signed here and with the sandbox delivering to the API served on loopback.
 */
import type { AddressInfo } from "node:net"
import { serve } from "@hono/node-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTestApi, type TestApi, webhookSecret } from "./fixtures/TestApi.ts"

let api: TestApi
let connectionId: string
let finchConnectionId: string

beforeAll(async () => {
  api = await makeTestApi()
  await api.createCustomer("acme")
  const created = await api.connect("acme", { username: "good_user_7" })
  connectionId = created.body.connection.id
  finchConnectionId = created.finchConnectionId
})
afterAll(() => api?.close())

const statusOf = async () => (await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)).body.status
const auditKinds = async () =>
  (
    await api.owner
      .selectFrom("audit_events")
      .select(["kind", "source"])
      .where("connection_id", "=", connectionId)
      .orderBy("id")
      .execute()
  ).map((event) => `${event.kind}:${event.source}`)

describe("verification", () => {
  it("answers an unsigned, wrongly signed or stale delivery with 401 invalid_signature and does nothing", async () => {
    const event = { connection_id: finchConnectionId, event_type: "account.updated", data: { status: "reauth" } }
    const before = await api.snapshot()
    const unsigned = await api.call("POST", "/v1/webhooks/finch", { body: event, key: null })
    const wrongKey = await api.deliverWebhook(event, { secret: Buffer.from("another secret").toString("base64") })
    const stale = await api.call("POST", "/v1/webhooks/finch", {
      body: event,
      key: null,
      headers: { "finch-event-id": "msg_1", "finch-timestamp": "1000", "finch-signature": "v1,AAAA" },
    })
    for (const answer of [unsigned, wrongKey, stale]) {
      expect(answer.status).toBe(401)
      expect(answer.body.error.code).toBe("invalid_signature")
    }
    expect(await api.snapshot()).toBe(before)
    expect(await statusOf()).toBe("active")
  })
})

describe("acting on events", () => {
  it("acknowledges an event about no connection of ours (ignored) and one we do not act on", async () => {
    const unknown = await api.deliverWebhook({ connection_id: "someone-else", event_type: "account.updated" })
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual({ status: "ignored" })
    const other = await api.deliverWebhook({ connection_id: finchConnectionId, event_type: "directory.created" })
    expect(other.body).toEqual({ status: "handled" })
    expect(await statusOf()).toBe("active")
  })

  it("asks for a sync when Finch's data sync finished (the sync hook)", async () => {
    const answer = await api.deliverWebhook({
      connection_id: finchConnectionId,
      event_type: "job.data_sync_all.completed",
      data: { job_id: "job-1", job_url: "http://x" },
    })
    expect(answer.body).toEqual({ status: "handled" })
    expect(api.syncsRequested.filter((request) => request.reason === "finch_data_sync_completed")).toEqual([
      { customerId: "acme", connectionId, reason: "finch_data_sync_completed" },
    ])
  })

  it("marks the connection reauth_required (audited as webhook), once per event id", async () => {
    const event = { connection_id: finchConnectionId, event_type: "account.updated", data: { status: "reauth" } }
    const first = await api.deliverWebhook(event, { eventId: "msg_reauth_1" })
    expect(first.body).toEqual({ status: "handled" })
    expect(await statusOf()).toBe("reauth_required")
    const again = await api.deliverWebhook(event, { eventId: "msg_reauth_1" })
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ status: "duplicate" })
    expect((await auditKinds()).filter((kind) => kind === "reauth_required:webhook")).toHaveLength(1)
  })

  it("marks the connection disconnected when Finch says so, and destroys its tokens", async () => {
    const answer = await api.deliverWebhook({
      connection_id: finchConnectionId,
      event_type: "account.updated",
      data: { status: "disconnected" },
    })
    expect(answer.body).toEqual({ status: "handled" })
    expect(await statusOf()).toBe("disconnected")
    expect(await auditKinds()).toContain("disconnected:webhook")
    const live = await api.owner
      .selectFrom("access_tokens")
      .select("id")
      .where("connection_id", "=", connectionId)
      .where("ciphertext", "is not", null)
      .execute()
    expect(live).toHaveLength(0)
  })
})

describe("the sandbox delivering over HTTP", () => {
  it("a reauth status at Finch reaches the API and marks the connection, a duplicate delivery acted on once", async () => {
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const listening = serve({ fetch: api.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(listening))
    })
    try {
      const port = (server.address() as AddressInfo).port
      const created = await api.connect("acme", { username: "good_user_8" })
      expect(created.status).toBe(201)
      await api.admin("PUT", "/webhook", {
        url: `http://127.0.0.1:${port}/v1/webhooks/finch`,
        secret: webhookSecret,
        duplicate: true,
      })
      await api.admin("POST", `/connections/${created.finchConnectionId}/status`, { status: "reauth" })
      const { deliveries } = await api.admin("GET", "/webhook/deliveries")
      expect(deliveries.length).toBeGreaterThanOrEqual(2)
      expect(deliveries.every((delivery: { status: number }) => delivery.status === 200)).toBe(true)
      const read = await api.call("GET", `/v1/customers/acme/connections/${created.body.connection.id}`)
      expect(read.body.status).toBe("reauth_required")
      const audits = await api.owner
        .selectFrom("audit_events")
        .select("kind")
        .where("connection_id", "=", created.body.connection.id)
        .where("kind", "=", "reauth_required")
        .execute()
      expect(audits).toHaveLength(1)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
