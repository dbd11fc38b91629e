/**
 * Finch-shaped webhook delivery (reference §7): `Finch-Event-Id`, `Finch-Timestamp` and
 * `Finch-Signature: v1,<base64 HMAC-SHA256(base64-decoded secret, "id.timestamp.body")>`.
 */
import { createHmac, randomBytes } from "node:crypto"
import type { SandboxEvent } from "./State.ts"

/** The `v1,…` signature Finch sends for a delivery. */
export const sign = (secret: string, eventId: string, timestamp: number, body: string): string =>
  `v1,${createHmac("sha256", Buffer.from(secret, "base64")).update(`${eventId}.${timestamp}.${body}`).digest("base64")}`

export interface WebhookTarget {
  readonly url: string
  /** Base64, as Finch's dashboard shows it. */
  readonly secret: string
  /** Deliver every event twice with the same `Finch-Event-Id` (Finch warns duplicates happen). */
  readonly duplicate?: boolean
}

export interface Delivery {
  readonly event_id: string
  readonly event_type: string
  readonly attempt: number
  readonly status: number | "failed"
}

/** Attempts per event: the first try and one immediate retry (Finch retries on, with growing delays). */
const attempts = 2

/** The webhook target (if any) and every delivery attempted to it. */
export class Webhooks {
  target: WebhookTarget | undefined
  readonly deliveries: Array<Delivery> = []
  private readonly pending = new Set<Promise<void>>()

  constructor(target: WebhookTarget | undefined) {
    this.target = target
  }

  /** The JSON payload Finch would send for an event. */
  static payload(event: SandboxEvent): Record<string, unknown> {
    const connection = event.connection
    return {
      company_id: connection.company_id,
      account_id: connection.accounts[0]?.id ?? connection.id,
      connection_id: connection.id,
      entity_id: connection.entity_ids.length === 1 ? (connection.entity_ids[0] ?? null) : null,
      event_type: event.event_type,
      data: event.data,
    }
  }

  /** Signs and posts the event in the background; never throws into the request that caused it. */
  emit(event: SandboxEvent) {
    const target = this.target
    if (target === undefined) return
    const body = JSON.stringify(Webhooks.payload(event))
    const eventId = `msg_${randomBytes(16).toString("base64url")}`
    const deliver = async () => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const timestamp = Math.floor(Date.now() / 1000)
        const status = await fetch(target.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "finch-event-id": eventId,
            "finch-timestamp": String(timestamp),
            "finch-signature": sign(target.secret, eventId, timestamp, body),
          },
          body,
        }).then(
          async (response) => {
            await response.body?.cancel()
            return response.status
          },
          () => "failed" as const,
        )
        this.deliveries.push({ event_id: eventId, event_type: event.event_type, attempt, status })
        if (typeof status === "number" && status >= 200 && status < 300) return
      }
    }
    const runs = target.duplicate === true ? [deliver(), deliver()] : [deliver()]
    for (const run of runs) {
      this.pending.add(run)
      void run.finally(() => this.pending.delete(run))
    }
  }

  /** Resolves once every delivery started so far has finished. */
  async settle() {
    await Promise.all([...this.pending])
  }
}
