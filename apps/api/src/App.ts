/**
 * The HTTP API as one Hono app: `createApp(runtime)` installs the request id, the request log, metrics, the body
 * limit, the JSON-only rule and API-key authentication, mounts one router per resource, and answers unknown routes
 * (404), wrong methods (405) and failures in the error body of `HttpErrors`. Used by `main.ts` and the tests alike.
 * The HTML pages under `/pages` (see `pages/Pages.ts`) are outside the JSON-only rule and the API key: they post
 * forms and authenticate with their own session cookie and CSRF token.
 */
import { prometheus } from "@hono/prometheus"
import { Cause, Context as EffectContext } from "effect"
import { type Context, Hono, type MiddlewareHandler } from "hono"
import { bodyLimit } from "hono/body-limit"
import { every } from "hono/combine"
import { HTTPException } from "hono/http-exception"
import { openAPIRouteHandler } from "hono-openapi"
import { Registry } from "prom-client"
import { ApiKeys } from "./ApiKeys.ts"
import { type ApiEnv, type ApiRuntime, infoLoggerOf, logDefect } from "./Handler.ts"
import * as HttpErrors from "./HttpErrors.ts"
import * as Pages from "./pages/Pages.ts"
import { ResponseCache } from "./ResponseCache.ts"
import * as Connect from "./routes/Connect.ts"
import * as Connections from "./routes/Connections.ts"
import * as Customers from "./routes/Customers.ts"
import * as Employees from "./routes/Employees.ts"
import * as Sessions from "./routes/Sessions.ts"
import * as Syncs from "./routes/Syncs.ts"
import * as System from "./routes/System.ts"
import * as Webhooks from "./routes/Webhooks.ts"

/** How the app is set up beyond its runtime. */
export interface AppOptions {
  /** Largest request body in bytes; 1 MiB unless given. */
  readonly bodyLimitBytes?: number
  /** Where `/v1/finch/callback` sends the browser (relative to the API or absolute); `/pages/connections` unless given. */
  readonly connectionsPageUrl?: string
  /**
   * The API's public origin (e.g. `https://connections.example.com`), for the absolute URLs it hands out (page links,
   * the callback given to Finch); unless given, the origin each request came to.
   */
  readonly publicUrl?: string
}

const mebibyte = 1024 * 1024

const customerIdOf = (path: string): string | null => {
  const match = /^\/v1\/customers\/([^/]+)/.exec(path)
  if (match?.[1] === undefined) return null
  try {
    return decodeURIComponent(match[1]).slice(0, 255)
  } catch {
    return null
  }
}

const withoutBody = new Set(["GET", "HEAD", "OPTIONS"])

/** A body, by its headers: a length above zero, or chunked. */
const hasBody = (c: Context) =>
  c.req.header("transfer-encoding") !== undefined || Number(c.req.header("content-length") ?? "0") > 0

/** The HTML pages' own paths (forms, cookie sessions). */
const isPage = (path: string) => path === "/pages" || path.startsWith("/pages/")

/** Bodies are JSON: a body of another (or no) content type is refused before it is read (the pages post forms). */
const requireJson: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (withoutBody.has(c.req.method) || isPage(c.req.path)) return next()
  const contentType = c.req.header("content-type")
  const isJson = contentType !== undefined && /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)
  if (!isJson && (contentType !== undefined || hasBody(c))) {
    return HttpErrors.respond(c, HttpErrors.unsupportedMediaType)
  }
  return next()
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

/**
 * The API's own writes drop what the response cache keeps for the customer they are under (for writes under no
 * customer, such as webhooks and the pages, everything) as they answer: a client reads its writes at once, without
 * waiting for the store's notification.
 */
const invalidateOnWrite =
  (cache: ResponseCache["Type"]): MiddlewareHandler<ApiEnv> =>
  async (c, next) => {
    if (safeMethods.has(c.req.method)) return next()
    // A request refused for its key or signature (401) did nothing: it must not empty the cache for free.
    let refused = false
    try {
      await next()
      refused = c.res.status === 401
    } finally {
      if (!refused) {
        const customerId = customerIdOf(c.req.path)?.trim()
        if (customerId === undefined || customerId === "") cache.invalidateAll()
        else cache.invalidate(customerId)
      }
    }
  }

/** `Authorization: Bearer <api key>`; a missing and a wrong key get the same answer. */
const requireApiKey = (runtime: ApiRuntime): MiddlewareHandler<ApiEnv> => {
  const keys = EffectContext.get(runtime.context, ApiKeys)
  return async (c, next) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1]
    if (presented === undefined || !keys.verify(presented)) return HttpErrors.respond(c, HttpErrors.unauthorized)
    return next()
  }
}

/** A client's `X-Request-Id` when it is a sane one (as hono's `requestId` takes it), else a new UUID. */
const requestIdOf = (c: Context) => {
  const given = c.req.header("x-request-id")
  return given === undefined || given === "" || given.length > 255 || /[^\w\-=]/.test(given)
    ? crypto.randomUUID()
    : given
}

/** Where the API key is asked for: `/v1/customers/*` (the path itself included, as Hono's pattern has it). */
const isCustomerScoped = (path: string) => path.startsWith("/v1/customers/") || path === "/v1/customers"

/**
 * Everything before the routes, as one middleware (each middleware level costs every request): the request id, the
 * metrics, then — for a request that may carry a body — the body limit, the JSON-only rule and the cache invalidation
 * of writes, and the API key on `/v1/customers/*`; after the answer, one structured log line: method, route, status,
 * duration, request id, customer id.
 */
const front = (
  runtime: ApiRuntime,
  registerMetrics: MiddlewareHandler,
  limitBody: MiddlewareHandler<ApiEnv>,
  onError: (error: Error, c: Context<ApiEnv>) => Response | Promise<Response>,
): MiddlewareHandler<ApiEnv> => {
  const log = infoLoggerOf(runtime, "request")
  const apiKey = requireApiKey(runtime)
  const invalidate = invalidateOnWrite(EffectContext.get(runtime.context, ResponseCache))
  const withBody: MiddlewareHandler<ApiEnv> = every(limitBody, requireJson, invalidate)
  const withBodyAndKey: MiddlewareHandler<ApiEnv> = every(limitBody, requireJson, invalidate, apiKey)
  return async (c, next) => {
    const started = performance.now()
    const id = requestIdOf(c)
    c.set("requestId", id)
    c.header("X-Request-Id", id)
    const path = c.req.path
    const scoped = isCustomerScoped(path)
    // A GET without a body has nothing to limit, is not JSON and writes nothing: only the key is left to check.
    const checks: MiddlewareHandler<ApiEnv> | undefined =
      withoutBody.has(c.req.method) && !hasBody(c) ? (scoped ? apiKey : undefined) : scoped ? withBodyAndKey : withBody
    try {
      await registerMetrics(c, async () => {
        if (checks === undefined) return next()
        const refused = await checks(c, next)
        if (refused instanceof Response) c.res = refused
      })
    } catch (error) {
      if (!(error instanceof Error)) throw error
      c.res = await onError(error, c)
    }
    log?.({
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      request_id: id,
      customer_id: scoped ? customerIdOf(path) : null,
    })
  }
}

const patternOf = (routePath: string) =>
  new RegExp(
    `^${routePath
      .split("/")
      .map((part) =>
        part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/")}/?$`,
  )

/** The Hono app over `runtime`. */
export const createApp = (runtime: ApiRuntime, options: AppOptions = {}) => {
  const limit = options.bodyLimitBytes ?? mebibyte
  const registry = new Registry()
  const { printMetrics, registerMetrics } = prometheus({ registry })

  const app = new Hono<ApiEnv>()
  const limitBody = bodyLimit({
    maxSize: limit,
    onError: (c) => HttpErrors.respond(c, HttpErrors.payloadTooLarge(limit)),
  })
  const onError = (error: Error, c: Context<ApiEnv>) => {
    if (error instanceof HTTPException) {
      if (error.status === 400) return HttpErrors.respond(c, HttpErrors.malformedJson)
      if (error.status === 413) return HttpErrors.respond(c, HttpErrors.payloadTooLarge(limit))
      if (error.status < 500) {
        return HttpErrors.respond(c, HttpErrors.apiError(error.status as never, "bad_request", error.message))
      }
    }
    logDefect(runtime, c, Cause.die(error))
    return HttpErrors.respond(c, HttpErrors.internalError)
  }
  app.use(front(runtime, registerMetrics, limitBody, onError))

  app.route("/", System.routes(runtime, { printMetrics }))
  app.route("/", Customers.routes(runtime))
  app.route("/", Connect.routes(runtime, { connectionsPageUrl: options.connectionsPageUrl ?? "/pages/connections" }))
  app.route("/", Connections.routes(runtime))
  app.route("/", Syncs.routes(runtime))
  app.route("/", Employees.routes(runtime))
  app.route("/", Webhooks.routes(runtime))
  app.route("/", Sessions.routes(runtime, { publicUrl: options.publicUrl }))
  app.route("/", Pages.routes(runtime, { publicUrl: options.publicUrl }))

  app.get(
    "/openapi.json",
    openAPIRouteHandler(app, {
      documentation: {
        openapi: "3.1.0",
        info: {
          title: "finch-connections",
          version: "1",
          description: "Manage your customers' Finch connections and their reconciled employees.",
        },
        components: {
          securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "an API key from `API_KEYS`" } },
        },
        security: [{ apiKey: [] }],
      },
      exclude: ["/openapi.json", /^\/pages(\/|$)/],
      defaultValidationErrorResponse: {
        description: "`invalid_request`, naming the field",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    }),
  )

  const methods = () =>
    app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => ({ method: route.method, pattern: patternOf(route.path) }))
  let known: ReturnType<typeof methods> | undefined
  app.notFound((c) => {
    known ??= methods()
    const allowed = [...new Set(known.filter((route) => route.pattern.test(c.req.path)).map((route) => route.method))]
    if (allowed.length === 0) return HttpErrors.respond(c, HttpErrors.routeNotFound)
    c.header("allow", allowed.join(", "))
    return HttpErrors.respond(c, HttpErrors.methodNotAllowed(allowed))
  })

  app.onError(onError)

  return app
}
