import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import Finch from "@tryfinch/finch-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { sign } from "../src/internal/Webhooks.ts"
import { type Sandbox, startSandbox } from "../src/Sandbox.ts"
import { call, control, mint } from "./support/Http.ts"

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

const secret = Buffer.from("sandbox-webhook-secret-0123456789").toString("base64")

describe("webhooks", () => {
  let receiver: Server
  let sandbox: Sandbox
  const received: Array<Received> = []
  /** Statuses the receiver answers with next (200 once they run out). */
  const answers: Array<number> = []

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => {
        body += chunk
      })
      request.on("end", () => {
        received.push({ headers: request.headers, body })
        response.writeHead(answers.shift() ?? 200).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    const port = (receiver.address() as AddressInfo).port
    sandbox = await startSandbox({ webhook: { url: `http://127.0.0.1:${port}/finch`, secret } })
  })

  afterAll(async () => {
    await sandbox.close()
    await new Promise((resolve) => receiver.close(resolve))
  })

  const settled = () =>
    control<{ deliveries: Array<{ event_type: string; status: number }> }>(sandbox, "/webhook/deliveries")

  it("signs like Finch: the SDK's test vector", () => {
    expect(
      sign(
        "5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH",
        "msg_2Lh9KRb0pzN4LePd3XiA4v12Axj",
        1676312382,
        '{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}',
      ),
    ).toBe("v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s=")
  })

  it("posts a signed account.updated when a connection's status changes, which the official SDK accepts", async () => {
    const { connection_id, company_id } = await mint(sandbox)
    received.length = 0
    await control(sandbox, `/connections/${connection_id}/status`, { status: "reauth" })
    const { deliveries } = await settled()
    expect(deliveries.at(-1)).toMatchObject({ event_type: "account.updated", status: 200 })
    const delivery = received.at(-1)
    expect(delivery).toBeDefined()
    const headers = delivery?.headers ?? {}
    expect(headers["finch-event-id"]).toMatch(/^msg_/)
    expect(headers["finch-signature"]).toMatch(/^v1,/)
    const finch = new Finch({ accessToken: "unused", webhookSecret: secret })
    const event = finch.webhooks.unwrap(delivery?.body ?? "", headers as Record<string, string>) as Record<string, any>
    expect(event).toMatchObject({
      event_type: "account.updated",
      connection_id,
      company_id,
      data: { status: "reauth" },
    })
    expect(() => finch.webhooks.verifySignature(`${delivery?.body} `, headers as Record<string, string>)).toThrow()
  })

  it("sends the data events of sandbox writes once a data sync applies them", async () => {
    const { access_token, connection_id } = await mint(sandbox)
    const someone = (await call(sandbox, "/employer/directory", { token: access_token })).body.individuals[0].id
    await call(sandbox, `/sandbox/individual/${someone}`, {
      method: "PUT",
      token: access_token,
      body: { preferred_name: "Al" },
    })
    await call(sandbox, "/sandbox/directory", { token: access_token, body: [{ first_name: "New" }] })
    await settled()
    received.length = 0
    await call(sandbox, "/sandbox/jobs", { token: access_token, body: { type: "data_sync_all" } })
    await settled()
    const events = received.map((delivery) => JSON.parse(delivery.body))
    // Finch does not promise delivery order; neither does the sandbox.
    expect(events.map((event) => event.event_type).sort()).toEqual([
      "directory.created",
      "individual.updated",
      "job.data_sync_all.completed",
    ])
    expect(events.find((event) => event.event_type === "individual.updated")).toMatchObject({
      connection_id,
      data: { individual_id: someone },
    })
  })

  it("retries a failed delivery once with the same event id", async () => {
    const { connection_id } = await mint(sandbox)
    received.length = 0
    answers.push(500)
    await control(sandbox, "/webhook/events", { connection_id, event_type: "test", data: { hello: "world" } })
    await settled()
    expect(received).toHaveLength(2)
    expect(received[0]?.headers["finch-event-id"]).toBe(received[1]?.headers["finch-event-id"])
    expect(JSON.parse(received[1]?.body ?? "{}")).toMatchObject({
      event_type: "test",
      connection_id,
      data: { hello: "world" },
    })
  })

  it("can deliver every event twice, as Finch sometimes does", async () => {
    const { connection_id } = await mint(sandbox)
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/finch`
    await control(sandbox, "/webhook", { url, secret, duplicate: true }, "PUT")
    try {
      received.length = 0
      await control(sandbox, "/webhook/events", { connection_id, event_type: "company.updated" })
      await settled()
      expect(received).toHaveLength(2)
      expect(received[0]?.headers["finch-event-id"]).toBe(received[1]?.headers["finch-event-id"])
    } finally {
      await control(sandbox, "/webhook", { url, secret }, "PUT")
    }
  })

  it("posts job.data_sync_all.completed when a refresh job finishes", async () => {
    const { access_token, connection_id } = await mint(sandbox)
    received.length = 0
    const job = await call(sandbox, "/jobs/automated", { token: access_token, body: { type: "data_sync_all" } })
    expect(job.status).toBe(201)
    await settled()
    const event = JSON.parse(received.at(-1)?.body ?? "{}")
    expect(event).toMatchObject({
      event_type: "job.data_sync_all.completed",
      connection_id,
      data: { job_id: job.body.job_id, job_url: job.body.job_url },
    })
  })
})
