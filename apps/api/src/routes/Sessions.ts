/**
 * `POST /v1/customers/{customer_id}/sessions`: a short-lived link that opens the pages for one customer. The
 * application's backend asks for it (with its API key) and sends the customer's browser to `url`.
 */
import * as Customers from "@finch-connections/core/Customers"
import { Effect, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import { CustomerPath } from "../Params.ts"
import { linkUrl, PageSessions } from "../pages/PageSessions.ts"
import { validate } from "../Validation.ts"
import * as Responses from "./Responses.ts"

const SessionBody = Schema.Struct({}).annotations({ identifier: "CreatePageSession" })

const PageSessionCreated = Schema.Struct({
  url: Schema.String.annotations({ description: "open this in the customer's browser (once, before `expires_at`)" }),
  expires_at: Schema.String.annotations({ description: "ISO 8601; the link's, not the page session's" }),
}).annotations({ identifier: "PageSession" })

/** The sessions router; links are absolute on `publicUrl`, else on the origin the request came to. */
export const routes = (runtime: ApiRuntime, options: { readonly publicUrl?: string | undefined } = {}) =>
  new Hono<ApiEnv>().post(
    "/v1/customers/:customer_id/sessions",
    describeRoute({
      tags: ["pages"],
      summary: "A link to the connections and employees pages for the customer",
      description:
        "The link works once, within 10 minutes; opening it sets an HttpOnly session cookie for this customer only (8 hours).",
      responses: { 201: Responses.ok("the link", PageSessionCreated), ...Responses.customerScoped },
    }),
    validate("param", CustomerPath),
    validate("json", SessionBody),
    (c) => {
      const customerId = c.req.valid("param").customer_id
      return runEffect(
        runtime,
        c,
        Effect.zipRight(
          Customers.getCustomer(customerId),
          Effect.flatMap(PageSessions, (sessions) => sessions.link(customerId)),
        ),
        (link) =>
          c.json(
            {
              url: linkUrl(options.publicUrl ?? new URL(c.req.url).origin, link.token),
              expires_at: link.expiresAt.toISOString(),
            },
            201,
          ),
      )
    },
  )
