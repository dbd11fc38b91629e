/**
 * Finch Connect: opening a session for a customer, and our own redirect target `GET /v1/finch/callback`.
 *
 * - Embedded flow (no `redirect_uri`): the application's front end gets the code from Finch Connect and its backend
 *   posts it to `POST …/connections`.
 * - Redirect flow (`redirect_uri`): Finch sends the browser to `redirect_uri?code=…&state=…`. The `state` is ours:
 *   signed, naming the customer and the redirect URI, expiring, single use. When `redirect_uri` is our callback, the
 *   callback checks the state, completes the connection and redirects to the connections page with the outcome.
 */
import * as Connections from "@finch-connections/core/Connections"
import { ProviderId } from "@finch-connections/core/Ids"
import { Product } from "@finch-connections/core/Product"
import { ConnectStateLog } from "@finch-connections/store-postgres/ConnectStateLog"
import { Effect, Option, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { ConnectStates, InvalidConnectState, withSignedState } from "../ConnectState.ts"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as HttpErrors from "../HttpErrors.ts"
import * as ConnectionJson from "../json/ConnectionJson.ts"
import { CustomerPath } from "../Params.ts"
import { requestSyncOf } from "../SyncRequests.ts"
import { SafeText, validate } from "../Validation.ts"
import * as Responses from "./Responses.ts"

/** An absolute http(s) URL. */
export const HttpUrl = SafeText.pipe(
  Schema.maxLength(2048),
  Schema.filter((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
    message: () => "must be an absolute http(s) URL",
  }),
)

const ConnectSessionBody = Schema.Struct({
  products: Schema.NonEmptyArray(Schema.compose(SafeText, Product).pipe(Schema.maxLength(64))).pipe(
    Schema.maxItems(32),
  ),
  redirect_uri: Schema.optional(HttpUrl),
  provider_id: Schema.optional(Schema.compose(SafeText, ProviderId)),
}).annotations({ identifier: "CreateConnectSession" })

const ConnectSessionCreated = Schema.Struct({
  session_id: Schema.String,
  connect_url: Schema.String.annotations({ description: "send the employer here (Finch Connect)" }),
}).annotations({ identifier: "ConnectSession" })

const CallbackQuery = Schema.Struct({
  code: SafeText.pipe(Schema.minLength(1), Schema.maxLength(2048)),
  state: SafeText.pipe(Schema.minLength(1), Schema.maxLength(4096)),
})

/** Opens the session; in the redirect flow the connect URL carries our signed state. */
const openSession = (input: {
  readonly customerId: typeof CustomerPath.Type.customer_id
  readonly body: typeof ConnectSessionBody.Type
}) =>
  Effect.gen(function* () {
    const session = yield* Connections.startConnect({
      customerId: input.customerId,
      products: input.body.products,
      ...(input.body.redirect_uri === undefined ? {} : { redirectUri: input.body.redirect_uri }),
      ...(input.body.provider_id === undefined ? {} : { providerId: input.body.provider_id }),
    })
    if (input.body.redirect_uri === undefined) return session
    const connectUrl = yield* withSignedState(session.connectUrl, {
      customerId: input.customerId,
      redirectUri: input.body.redirect_uri,
    })
    return { ...session, connectUrl }
  })

/**
 * Checks the state (ours, unexpired, unused — then spent) and completes Connect for the customer it names: a
 * reauthentication's state replaces the token of the login it names, and only with that login's token.
 */
const completeFromCallback = (code: string, stateText: string) =>
  Effect.gen(function* () {
    const state = yield* (yield* ConnectStates).verify(stateText)
    const fresh = yield* (yield* ConnectStateLog).claim({
      customerId: state.customerId,
      stateId: state.stateId,
      expiresAt: state.expiresAt,
    })
    if (!fresh) return yield* new InvalidConnectState({ reason: "reused" })
    const completion = { customerId: state.customerId, code, redirectUri: state.redirectUri }
    return yield* Option.match(state.reauthenticating, {
      onNone: () => Connections.completeConnect(completion),
      onSome: (target) => Connections.completeReauthentication({ ...completion, ...target }),
    }).pipe(Effect.tap(requestSyncOf))
  })

/** The connect router: sessions (behind the API key) and the callback (the browser's, authenticated by the state). */
export const routes = (runtime: ApiRuntime, options: { readonly connectionsPageUrl: string }) =>
  new Hono<ApiEnv>()
    .post(
      "/v1/customers/:customer_id/connect-sessions",
      describeRoute({
        tags: ["connect"],
        summary: "Open a Finch Connect session for the customer",
        description:
          "Without `redirect_uri`: the embedded flow (post the code Finch Connect gives your front end to `…/connections`). With it: the redirect flow; `/v1/finch/callback` is one choice of target.",
        responses: {
          201: Responses.ok("the session", ConnectSessionCreated),
          ...Responses.customerScoped,
          502: Responses.error("`finch_unavailable`"),
        },
      }),
      validate("param", CustomerPath),
      validate("json", ConnectSessionBody),
      (c) =>
        runEffect(
          runtime,
          c,
          openSession({ customerId: c.req.valid("param").customer_id, body: c.req.valid("json") }),
          (session) => c.json({ session_id: session.sessionId, connect_url: session.connectUrl }, 201),
        ),
    )
    .get(
      "/v1/finch/callback",
      describeRoute({
        tags: ["connect"],
        summary: "Finch Connect's redirect target (redirect flow)",
        security: [],
        description:
          "Completes the connection for the customer the signed `state` names and redirects to the connections page with `outcome` and `connection_id`, or with `error` (e.g. `connection_owned_by_another_customer`). A forged, expired or reused state is a 400 and records nothing.",
        responses: {
          302: { description: "to the connections page" },
          400: Responses.error("`invalid_state`, `invalid_code` or `invalid_request`"),
        },
      }),
      validate("query", CallbackQuery),
      async (c) => {
        const { code, state } = c.req.valid("query")
        const page = (params: Record<string, string>) => {
          // A relative page URL stays relative, so a proxy in front of the API keeps the browser on its host.
          const relative = !URL.canParse(options.connectionsPageUrl)
          const url = new URL(options.connectionsPageUrl, "http://relative.invalid")
          for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
          return c.redirect(relative ? `${url.pathname}${url.search}` : url.toString(), 302)
        }
        return runEffect(
          runtime,
          c,
          completeFromCallback(code, state).pipe(
            Effect.map((recorded) => ({
              outcome: ConnectionJson.outcomeOf(recorded),
              connection_id: recorded.connection.id,
            })),
            // Past a valid state the employer is on a browser tab: show the refusal on the page, not as JSON.
            Effect.catchTags({
              OwnedByAnotherCustomer: (error) => Effect.succeed({ error: HttpErrors.fromFailure(error).code }),
              ForeignConnectSession: (error) => Effect.succeed({ error: HttpErrors.fromFailure(error).code }),
              TokenMismatch: (error) => Effect.succeed({ error: HttpErrors.fromFailure(error).code }),
            }),
          ),
          page,
        )
      },
    )
