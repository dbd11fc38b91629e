/**
 * A faithful local fake of the Finch API and of Finch Connect, started in-process on loopback.
 *
 * @example
 * const sandbox = await startSandbox({ port: 0, seed: 1 })
 * const finch = new Finch({ baseURL: sandbox.baseUrl, clientID: sandbox.clientId, clientSecret: sandbox.clientSecret })
 * await sandbox.close()
 */
import { randomBytes, randomUUID } from "node:crypto"
import type { AddressInfo } from "node:net"
import { type ServerType, serve } from "@hono/node-server"
import { createApp } from "./internal/App.ts"
import { Clock } from "./internal/Clock.ts"
import { Faults, PendingItems } from "./internal/Faults.ts"
import { isLoopbackHost } from "./internal/Loopback.ts"
import { RateLimiter, type RateLimitMode } from "./internal/RateLimiter.ts"
import { type LoggedRequest, RequestLog } from "./internal/RequestLog.ts"
import { SandboxWrites } from "./internal/SandboxWrites.ts"
import { type ConnectionModel, State } from "./internal/State.ts"
import { Webhooks, type WebhookTarget } from "./internal/Webhooks.ts"
import type { ClientType } from "./internal/Wire.ts"
import type { World } from "./internal/World.ts"

export type { RateLimitMode } from "./internal/RateLimiter.ts"
export type { LoggedRequest, RequestLogSnapshot } from "./internal/RequestLog.ts"
export type { MintedConnection } from "./internal/routes/Admin.ts"
export { type ConnectionModel, connectionModels } from "./internal/State.ts"

/** How to start the sandbox; every field has a default. */
export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number
  /** Defaults to 127.0.0.1; anything but loopback needs `allowNonLoopback`. */
  readonly host?: string
  readonly allowNonLoopback?: boolean
  /** Seed of every generated company and id. Defaults to 1. */
  readonly seed?: number
  readonly clientId?: string
  readonly clientSecret?: string
  /** `client_type` of tokens. Defaults to "sandbox". */
  readonly clientType?: ClientType
  /** Defaults to "off"; "finch" applies Finch's per-application per-endpoint limits. */
  readonly rateLimits?: RateLimitMode
  /** Send `Retry-After` with rate-limit 429s (Finch documents none). Defaults to false. */
  readonly rateLimitRetryAfter?: boolean
  /** Sign and POST Finch-shaped events to this URL. */
  readonly webhook?: WebhookTarget
  /** The day generated data is anchored to (`YYYY-MM-DD`, midnight UTC, also when data was first "retrieved"); defaults to today. */
  readonly today?: string
  /**
   * Send `company_id` on every token. By default it is left out where Finch leaves it out (multi-entity companies,
   * Deel), so apps meet connections known only by `connection_id`.
   */
  readonly alwaysReportCompanyId?: boolean
  /**
   * How logins map to Finch connections. `"current"` (the default) is Finch since 2024-10-29: every Connect login is
   * its own Finch connection (own `connection_id`, token and status), even at a company the customer already
   * connected. `"legacy"` is the older account model: a second login to the same (customer, provider, company) is
   * another `account_id` under the first login's `connection_id`.
   */
  readonly connectionModel?: ConnectionModel
  /** Called after every Finch API call with what the request log records (never a token). */
  readonly onRequest?: (request: LoggedRequest) => void
}

/** A running sandbox: where it listens, the application credentials it accepts, and how to stop it. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: the Finch base URL, and the host of Connect pages. */
  readonly baseUrl: string
  readonly port: number
  readonly clientId: string
  readonly clientSecret: string
  readonly close: () => Promise<void>
}

/** Thrown when asked to listen beyond loopback without `allowNonLoopback`. */
export class NonLoopbackRefused extends Error {
  readonly host: string
  constructor(host: string) {
    super(
      `finch-sandbox refuses to listen on '${host}': it is a development fake with no real security. ` +
        "Use 127.0.0.1 or ::1, or pass allowNonLoopback (--allow-non-loopback) if you really mean it.",
    )
    this.host = host
  }
}

/** Starts the sandbox and resolves once it listens. */
export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const host = options.host ?? "127.0.0.1"
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) throw new NonLoopbackRefused(host)
  if (options.webhook !== undefined && options.allowNonLoopback !== true) {
    const target = new URL(options.webhook.url).hostname
    if (!isLoopbackHost(target)) throw new NonLoopbackRefused(target)
  }
  const clientId = options.clientId ?? randomUUID()
  const clientSecret = options.clientSecret ?? randomBytes(24).toString("base64url")
  const today = options.today === undefined ? new Date() : new Date(`${options.today}T00:00:00Z`)
  const webhooks = new Webhooks(options.webhook)
  const clock = new Clock()
  const world: World = {
    state: new State({
      seed: options.seed ?? 1,
      clock,
      clientId,
      clientType: options.clientType ?? "sandbox",
      alwaysReportCompanyId: options.alwaysReportCompanyId === true,
      connectionModel: options.connectionModel ?? "current",
      today: new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())),
      onEvent: (event) => webhooks.emit(event),
    }),
    faults: new Faults(),
    pendingPayStatements: new PendingItems(),
    rateLimiter: new RateLimiter(options.rateLimits ?? "off", options.rateLimitRetryAfter ?? false, () => clock.now()),
    requests: new RequestLog(options.onRequest),
    webhooks,
    writes: new SandboxWrites(),
    allowNonLoopback: options.allowNonLoopback === true,
    clientId,
    clientSecret,
    baseUrl: "",
  }
  const app = createApp(world)
  const server = await new Promise<ServerType>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(listening))
    listening.once("error", reject)
  })
  const address = server.address() as AddressInfo
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address
  world.baseUrl = `http://${urlHost}:${address.port}`
  return {
    baseUrl: world.baseUrl,
    port: address.port,
    clientId,
    clientSecret,
    close: async () => {
      await webhooks.settle()
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        if ("closeAllConnections" in server) server.closeAllConnections()
      })
    },
  }
}
