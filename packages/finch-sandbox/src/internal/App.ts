/**
 * The sandbox's Hono app: request ids, the request log, injected faults, the API-version check and Finch's error
 * bodies around the routers.
 */
import { randomUUID } from "node:crypto"
import { setTimeout as sleep } from "node:timers/promises"
import { type Context, Hono } from "hono"
import * as Errors from "./Errors.ts"
import { account } from "./routes/Account.ts"
import { admin } from "./routes/Admin.ts"
import { connect } from "./routes/Connect.ts"
import { employer } from "./routes/Employer.ts"
import { finchSandbox } from "./routes/FinchSandbox.ts"
import { jobs } from "./routes/Jobs.ts"
import type { SandboxEnv, World } from "./World.ts"

/** The only Finch API version there is; every Finch call must send it as `Finch-API-Version`. */
export const apiVersion = "2020-09-17"

/** Paths that are not Finch API calls: not logged, not faulted, no version header needed. */
const isControlPath = (path: string) => path === "/_sandbox" || path.startsWith("/_sandbox/")
const isPagePath = (path: string) => path === "/authorize"

/** The whole sandbox as one Hono app over a world; `startSandbox` serves it. */
export const createApp = (world: World) => {
  const app = new Hono<SandboxEnv>()

  app.use(async (c, next) => {
    const requestId = randomUUID()
    c.header("Finch-Request-Id", requestId)
    const path = c.req.path
    if (isControlPath(path)) return next()
    const retryCount = Number(c.req.header("x-stainless-retry-count"))
    const query = new URL(c.req.url).search.slice(1)
    const log = (status: number) =>
      world.requests.add({
        method: c.req.method,
        path,
        query,
        status,
        at: world.state.options.clock.iso(),
        request_id: requestId,
        ...(Number.isInteger(retryCount) ? { retry_count: retryCount } : {}),
      })

    const fault = world.faults.take(c.req.method, path)
    if (fault?.latency_ms !== undefined && fault.latency_ms > 0) await sleep(fault.latency_ms)
    if (fault?.drop === true) {
      log(0)
      c.env.incoming.socket.destroy()
      return new Response(null, { status: 500 })
    }
    if (fault?.status !== undefined) {
      const headers: Record<string, string> = {}
      if (fault.retry_after !== undefined) headers["retry-after"] = String(fault.retry_after)
      if (fault.retry_after_ms !== undefined) headers["retry-after-ms"] = String(fault.retry_after_ms)
      const response =
        fault.status === 202
          ? c.json(Errors.accepted, 202, headers)
          : respond(c, Errors.forStatus(fault.status, headers))
      log(fault.status)
      return response
    }

    if (!isPagePath(path)) {
      const version = c.req.header("finch-api-version")
      if (version !== apiVersion) {
        const response = respond(
          c,
          Errors.invalidRequest(
            version === undefined
              ? `The Finch-API-Version header is required (use ${apiVersion})`
              : `Unsupported Finch-API-Version '${version}' (use ${apiVersion})`,
          ),
        )
        log(400)
        return response
      }
    }
    await next()
    // Only successful requests count toward Finch's limits.
    if (c.res.status !== 200) c.get("releaseRateSlot")?.()
    log(c.res.status)
  })

  app.route("/", connect(world))
  app.route("/", account(world))
  app.route("/", employer(world))
  app.route("/", jobs(world))
  app.route("/", finchSandbox(world))
  app.route("/_sandbox", admin(world))

  app.notFound((c) => respond(c, Errors.notFound(`No route for ${c.req.method} ${c.req.path}`)))
  app.onError((error, c) => {
    if (error instanceof Errors.FinchFailure) return respond(c, error)
    return respond(
      c,
      new Errors.FinchFailure(500, {
        code: 500,
        name: "server_error",
        finch_code: "internal_server_error",
        message: error instanceof Error ? error.message : "Internal Server Error",
      }),
    )
  })
  return app
}

const respond = (c: Context<SandboxEnv>, failure: Errors.FinchFailure) => {
  for (const [name, value] of Object.entries(failure.headers)) c.header(name, value)
  return c.json(failure.body, failure.status as 400)
}
