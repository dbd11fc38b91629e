/**
 * `POST /v1/webhooks/finch`: Finch's webhooks, authenticated by their signature (not an API key).
 */
import { Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import * as FinchWebhooks from "../FinchWebhooks.ts"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as Responses from "./Responses.ts"

const WebhookAck = Schema.Struct({
  status: Schema.Literal("handled", "duplicate", "ignored").annotations({
    description: "`duplicate`: the event id was handled before; `ignored`: nothing of ours is concerned",
  }),
}).annotations({ identifier: "WebhookAck" })

/** The webhooks router. */
export const routes = (runtime: ApiRuntime) =>
  new Hono<ApiEnv>().post(
    "/v1/webhooks/finch",
    describeRoute({
      tags: ["webhooks"],
      summary: "Receive a Finch webhook",
      security: [],
      description:
        "Verified with `Finch-Event-Id`, `Finch-Timestamp` and `Finch-Signature` (HMAC-SHA256 under `FINCH_WEBHOOK_SECRET`).",
      responses: {
        200: Responses.ok("acknowledged", WebhookAck),
        401: Responses.error("`invalid_signature`: not verifiably from Finch; nothing was done"),
      },
    }),
    async (c) => {
      const body = await c.req.text()
      return runEffect(runtime, c, FinchWebhooks.handle({ headers: c.req.raw.headers, body }), (status) =>
        c.json({ status }, 200),
      )
    },
  )
