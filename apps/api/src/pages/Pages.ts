/**
 * The pages under `/pages`: server-rendered HTML that works without JavaScript, for one customer at a time.
 *
 * - `GET /pages/session?token=…` trades a link from `POST /v1/customers/{id}/sessions` (once) for the session cookie
 *   (HttpOnly, SameSite=Lax, Path=/pages) and redirects to the connections page.
 * - Every other page needs that cookie; every POST needs the session's CSRF token (field `csrf`). Neither the API
 *   key nor JSON bodies apply here: forms are `application/x-www-form-urlencoded`.
 * - Connect and Reconnect go through Finch Connect's redirect flow with `/v1/finch/callback` as the target, which
 *   comes back to `/pages/connections` with the outcome.
 */
import { readFileSync } from "node:fs"
import * as Connections from "@finch-connections/core/Connections"
import * as Customers from "@finch-connections/core/Customers"
import { ConnectionId, type CustomerId } from "@finch-connections/core/Ids"
import type { Product } from "@finch-connections/core/Product"
import { ConnectStateLog } from "@finch-connections/store-postgres/ConnectStateLog"
import { PersonDirectory } from "@finch-connections/store-postgres/PersonDirectory"
import { Effect, Either, Option, Runtime, Schema } from "effect"
import { type Context, Hono, type MiddlewareHandler } from "hono"
import { getCookie, setCookie } from "hono/cookie"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import * as ConnectionCommands from "../ConnectionCommands.ts"
import { withSignedState } from "../ConnectState.ts"
import * as Employees from "../Employees.ts"
import { type ApiEnv, type ApiRuntime, type ApiServices, runForAnswer } from "../Handler.ts"
import { SyncRequests } from "../SyncRequests.ts"
import { SafeText } from "../Validation.ts"
import { ConnectionsPage, DisconnectPage } from "./ConnectionsPage.ts"
import { EmployeesPage, PersonPage } from "./EmployeesPage.ts"
import { ErrorPage } from "./ErrorPage.ts"
import type { Html } from "./Layout.ts"
import { InvalidPageSession, type PageSession, PageSessions } from "./PageSessions.ts"
import { ProviderCatalog } from "./ProviderCatalog.ts"

/** The session cookie's name. */
export const sessionCookie = "fc_page_session"

/** The products a Connect from the page asks for. */
const connectProducts: ReadonlyArray<Product> = ["company", "directory", "individual", "employment"] as never

const stylesheet = readFileSync(new URL("./static/pages.css", import.meta.url), "utf8")
const script = readFileSync(new URL("./static/pages.js", import.meta.url), "utf8")

/** Hono's variables on the pages: the verified session. */
interface PagesEnv extends ApiEnv {
  Variables: ApiEnv["Variables"] & { pageSession: PageSession }
}

// No inline script or style anywhere, so the policy forbids them; logos come from Finch's https CDN.
const securityHeaders: MiddlewareHandler<PagesEnv> = async (c, next) => {
  await next()
  c.header(
    "content-security-policy",
    "default-src 'self'; img-src 'self' https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  )
  c.header("cache-control", "no-store")
  c.header("referrer-policy", "no-referrer")
  c.header("x-content-type-options", "nosniff")
  c.header("x-frame-options", "DENY")
}

const page = async (c: Context, status: ContentfulStatusCode, body: Html) => c.html(await body, status)

const errorPage = (c: Context, status: ContentfulStatusCode, title: string, message: string, signedIn: boolean) =>
  page(c, status, ErrorPage({ title, message, signedIn }))

/** Runs `effect` and answers with `onSuccess`, or with an error page saying what failed (never a token or code). */
const runPage = async <A, E>(
  runtime: ApiRuntime,
  c: Context<PagesEnv, any, any>,
  effect: Effect.Effect<A, E, ApiServices>,
  onSuccess: (value: A) => Response | Promise<Response>,
): Promise<Response> =>
  Either.match(await runForAnswer(runtime, c, effect), {
    onLeft: (answer) =>
      errorPage(c, answer.status, answer.status >= 500 ? "Something went wrong" : "Not done", answer.message, true),
    onRight: onSuccess,
  })

/** The cookie's session, or the 401 page. */
const requireSession =
  (runtime: ApiRuntime): MiddlewareHandler<PagesEnv> =>
  async (c, next) => {
    const verified = await Runtime.runPromise(runtime)(
      Effect.either(Effect.flatMap(PageSessions, (sessions) => sessions.verify(getCookie(c, sessionCookie)))),
    )
    if (Either.isLeft(verified)) {
      return errorPage(c, 401, "Link expired or invalid", "This page needs a valid, unexpired link.", false)
    }
    c.set("pageSession", verified.right)
    return next()
  }

/** A form post of the session: the form's fields when its CSRF token is the session's, else the 403 page. */
const formOf = async (runtime: ApiRuntime, c: Context<PagesEnv, any, any>) => {
  const contentType = c.req.header("content-type") ?? ""
  const isForm = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i.test(contentType)
  const body = isForm ? await c.req.parseBody() : {}
  const fields: Record<string, string> = {}
  for (const [key, value] of Object.entries(body)) if (typeof value === "string") fields[key] = value
  const sessions = Runtime.runSync(runtime)(PageSessions)
  if (!sessions.checkCsrf(c.get("pageSession"), fields.csrf)) return undefined
  return fields
}

const refused = (c: Context) =>
  errorPage(
    c,
    403,
    "Form refused",
    "The form was not sent from this session's page. Reload the page and try again.",
    true,
  )

const decodeConnectionId = Schema.decodeUnknownOption(ConnectionId)

/** A form or path value that is safe to pass on (the API's own checks: no control characters, bounded). */
const decodeText = Schema.decodeUnknownOption(
  SafeText.pipe(
    Schema.maxLength(600),
    Schema.filter((text) => text.trim() !== ""),
  ),
)

/** An optional field: absent or empty is `undefined`; an unusable value is `None`. */
const optionalText = (value: string | undefined): Option.Option<string | undefined> =>
  value === undefined || value === "" ? Option.some(undefined) : decodeText(value)

const connectionNotFound = (c: Context) =>
  errorPage(c, 404, "Not found", "No connection with that id for this customer.", true)

/** Our callback, absolute (Finch needs a full URL): `publicUrl`, else the origin the request came to. */
const callbackUrl = (c: Context, publicUrl: string | undefined) =>
  new URL("/v1/finch/callback", publicUrl ?? new URL(c.req.url).origin).toString()

const connectionNames = (customerId: CustomerId) =>
  Effect.all([Connections.listConnections(customerId), Effect.flatMap(ProviderCatalog, (catalog) => catalog.all)]).pipe(
    Effect.map(
      ([connections, providers]) =>
        new Map(
          connections.map((connection) => [
            connection.id as string,
            // the company by its entities' names where Finch gave them (a person knows "Acme Bakery Co.", not an id)
            `${providers.get(connection.providerId)?.name ?? connection.providerId} (${
              connection.entities.flatMap((entity) => Option.toArray(entity.name)).join(", ") || connection.companyId
            })`,
          ]),
        ),
    ),
  )

const employeesPageSize = 50

/** The pages router. */
export const routes = (runtime: ApiRuntime, options: { readonly publicUrl?: string | undefined } = {}) => {
  const app = new Hono<PagesEnv>()
  app.use("/pages/*", securityHeaders)

  app.get("/pages/static/pages.css", (c) => {
    c.header("content-type", "text/css; charset=utf-8")
    return c.body(stylesheet)
  })

  app.get("/pages/static/pages.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8")
    return c.body(script)
  })

  app.get("/pages/session", async (c) => {
    const opened = await Runtime.runPromise(runtime)(
      Effect.gen(function* () {
        const sessions = yield* PageSessions
        const link = yield* sessions.verifyLink(c.req.query("token") ?? "")
        // Single use, in the same ledger as Connect states: a link left in a history or a log opens nothing.
        const fresh = yield* (yield* ConnectStateLog).claim({
          customerId: link.customerId,
          stateId: link.linkId,
          expiresAt: link.expiresAt,
        })
        if (!fresh) return yield* new InvalidPageSession({ reason: "used" })
        return yield* sessions.start(link.customerId)
      }).pipe(Effect.either),
    )
    if (Either.isLeft(opened)) {
      return errorPage(c, 401, "Link expired or invalid", "This link is invalid, already used or expired.", false)
    }
    setCookie(c, sessionCookie, opened.right.token, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/pages",
      // Behind a TLS-terminating proxy the request is http: the public URL says whether browsers see https.
      secure: new URL(options.publicUrl ?? c.req.url).protocol === "https:",
      expires: opened.right.expiresAt,
    })
    return c.redirect("/pages/connections", 303)
  })

  app.use("/pages/connections", requireSession(runtime))
  app.use("/pages/connections/*", requireSession(runtime))
  app.use("/pages/employees", requireSession(runtime))
  app.use("/pages/employees/*", requireSession(runtime))

  app.get("/pages/connections", (c) => {
    const session = c.get("pageSession")
    const customerId = session.customerId
    return runPage(
      runtime,
      c,
      Effect.all(
        {
          customer: Customers.getCustomer(customerId),
          // One statement: the connections and where their syncs stand, as the JSON API reads them.
          connections: Connections.listConnectionsWithSyncs(customerId),
          providers: Effect.flatMap(ProviderCatalog, (catalog) => catalog.all),
        },
        { concurrency: "unbounded" },
      ),
      (loaded) =>
        page(
          c,
          200,
          ConnectionsPage({
            customerName: loaded.customer.name,
            connections: loaded.connections,
            providers: loaded.providers,
            csrf: Runtime.runSync(runtime)(PageSessions).csrfToken(session),
            flash: { outcome: c.req.query("outcome"), error: c.req.query("error"), notice: c.req.query("notice") },
            highlight: c.req.query("connection_id"),
          }),
        ),
    )
  })

  app.post("/pages/connections", async (c) => {
    if ((await formOf(runtime, c)) === undefined) return refused(c)
    const customerId = c.get("pageSession").customerId
    const redirectUri = callbackUrl(c, options.publicUrl)
    return runPage(
      runtime,
      c,
      Effect.flatMap(Connections.startConnect({ customerId, products: connectProducts, redirectUri }), (session) =>
        withSignedState(session.connectUrl, { customerId, redirectUri }),
      ),
      (url) => c.redirect(url, 303),
    )
  })

  app.post("/pages/connections/:connection_id/reauthenticate", async (c) => {
    const form = await formOf(runtime, c)
    if (form === undefined) return refused(c)
    const connectionId = decodeConnectionId(c.req.param("connection_id"))
    const accountId = optionalText(form.account_id)
    if (Option.isNone(connectionId) || Option.isNone(accountId)) return connectionNotFound(c)
    const customerId = c.get("pageSession").customerId
    const redirectUri = callbackUrl(c, options.publicUrl)
    return runPage(
      runtime,
      c,
      Effect.flatMap(
        ConnectionCommands.reauthenticate({
          customerId,
          connectionId: connectionId.value,
          accountId: accountId.value,
          redirectUri,
        }),
        (started) => Effect.succeed(started.session.connectUrl),
      ),
      (url) => c.redirect(url, 303),
    )
  })

  app.post("/pages/connections/:connection_id/sync", async (c) => {
    if ((await formOf(runtime, c)) === undefined) return refused(c)
    const connectionId = decodeConnectionId(c.req.param("connection_id"))
    if (Option.isNone(connectionId)) return connectionNotFound(c)
    const customerId = c.get("pageSession").customerId
    return runPage(
      runtime,
      c,
      Effect.zipRight(
        Connections.getConnection(customerId, connectionId.value),
        Effect.flatMap(SyncRequests, (requests) =>
          requests.request({ customerId, connectionId: connectionId.value, reason: "requested_on_page" }),
        ),
      ),
      () => c.redirect(`/pages/connections?notice=sync_requested&connection_id=${connectionId.value}`, 303),
    )
  })

  app.get("/pages/connections/:connection_id/disconnect", (c) => {
    const connectionId = decodeConnectionId(c.req.param("connection_id"))
    const account = optionalText(c.req.query("account_id"))
    if (Option.isNone(connectionId) || Option.isNone(account)) return connectionNotFound(c)
    const session = c.get("pageSession")
    const accountId = account.value
    return runPage(
      runtime,
      c,
      Effect.all([
        Connections.getConnection(session.customerId, connectionId.value),
        Effect.flatMap(ProviderCatalog, (catalog) => catalog.all),
      ]),
      ([connection, providers]) =>
        accountId !== undefined && Option.isNone(connection.account(accountId))
          ? errorPage(c, 404, "Not found", "No login with that id on this connection.", true)
          : page(
              c,
              200,
              DisconnectPage({
                connection,
                provider: providers.get(connection.providerId),
                accountId,
                csrf: Runtime.runSync(runtime)(PageSessions).csrfToken(session),
              }),
            ),
    )
  })

  app.post("/pages/connections/:connection_id/disconnect", async (c) => {
    const form = await formOf(runtime, c)
    if (form === undefined) return refused(c)
    const connectionId = decodeConnectionId(c.req.param("connection_id"))
    const account = optionalText(form.account_id)
    if (Option.isNone(connectionId) || Option.isNone(account)) return connectionNotFound(c)
    const accountId = account.value
    if (form.confirm !== "yes") {
      const query = accountId === undefined ? "" : `?account_id=${encodeURIComponent(accountId)}`
      return c.redirect(`/pages/connections/${connectionId.value}/disconnect${query}`, 303)
    }
    return runPage(
      runtime,
      c,
      ConnectionCommands.disconnect({
        customerId: c.get("pageSession").customerId,
        connectionId: connectionId.value,
        accountId,
      }),
      () => c.redirect(`/pages/connections?notice=disconnected&connection_id=${connectionId.value}`, 303),
    )
  })

  app.get("/pages/employees", (c) => {
    const customerId = c.get("pageSession").customerId
    const after = optionalText(c.req.query("after"))
    if (Option.isNone(after)) return errorPage(c, 400, "Not done", "That page does not exist.", true)
    return runPage(
      runtime,
      c,
      Effect.all([
        Employees.page(customerId, {
          limit: employeesPageSize,
          after: Option.fromNullable(after.value),
        }),
        connectionNames(customerId),
      ]),
      ([found, names]) =>
        page(c, 200, EmployeesPage({ persons: found.persons, names, next: Option.getOrNull(found.next) })),
    )
  })

  app.get("/pages/employees/:person_id", (c) => {
    const session = c.get("pageSession")
    const personId = decodeText(c.req.param("person_id"))
    if (Option.isNone(personId)) return errorPage(c, 404, "Not found", "No person with that id.", true)
    return runPage(
      runtime,
      c,
      Effect.all([
        Employees.get(session.customerId, personId.value),
        connectionNames(session.customerId),
        Effect.flatMap(PersonDirectory, (directory) =>
          directory.page(session.customerId, { limit: 200, after: Option.none() }),
        ),
      ]),
      ([person, names, everyone]) =>
        page(
          c,
          200,
          PersonPage({
            person,
            names,
            others: everyone.persons.filter((other) => other.personId !== person.personId),
            csrf: Runtime.runSync(runtime)(PageSessions).csrfToken(session),
            done: c.req.query("done"),
          }),
        ),
    )
  })

  app.post("/pages/employees/decisions", async (c) => {
    const form = await formOf(runtime, c)
    if (form === undefined) return refused(c)
    const { record_a, record_b, decision } = form
    if (
      record_a === undefined ||
      record_b === undefined ||
      Option.isNone(decodeText(record_a)) ||
      Option.isNone(decodeText(record_b)) ||
      record_a === record_b ||
      (decision !== "same_person" && decision !== "not_same_person")
    ) {
      return errorPage(c, 400, "Not done", "The form is incomplete.", true)
    }
    return runPage(
      runtime,
      c,
      Employees.decide(c.get("pageSession").customerId, { recordIds: [record_a, record_b], decision }),
      (persons) => {
        // Back to the person the first record belongs to now.
        const target = persons.find((person) => person.records.some((record) => record.recordId === record_a))
        return c.redirect(
          target === undefined
            ? "/pages/employees"
            : `/pages/employees/${encodeURIComponent(target.personId)}?done=${decision}`,
          303,
        )
      },
    )
  })

  // An unknown page under /pages is answered as a page, not as the API's JSON.
  app.all("/pages/*", (c) => errorPage(c, 404, "Not found", "There is no such page.", false))

  return app
}
