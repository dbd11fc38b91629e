/** A tiny HTTP helper for talking to a running sandbox the way Finch's clients do. */
import {
  type MintedConnection,
  type RequestLogSnapshot,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from "../../src/Sandbox.ts"

export const apiVersion = "2020-09-17"

/** The 429 body Finch documents for its per-application rate limits (reference §6.5), whatever triggered it. */
export const finchRateLimitedBody = {
  statusCode: 429,
  status: 429,
  code: 429,
  message: "Too many requests for token",
  name: "rate_limit_exceeded_error",
  finch_code: "finch_application_rl",
}

export interface Reply<A = any> {
  readonly status: number
  readonly headers: Headers
  readonly body: A
}

export interface Call {
  readonly method?: string
  readonly token?: string
  readonly basic?: { readonly id: string; readonly secret: string }
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Leave out the Finch-API-Version header. */
  readonly noVersion?: boolean
}

export const call = async <A = any>(sandbox: Sandbox, path: string, options: Call = {}): Promise<Reply<A>> => {
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  if (options.noVersion !== true) headers["Finch-API-Version"] = apiVersion
  if (options.token !== undefined) headers["Authorization"] = `Bearer ${options.token}`
  if (options.basic !== undefined) {
    headers["Authorization"] = `Basic ${Buffer.from(`${options.basic.id}:${options.basic.secret}`).toString("base64")}`
  }
  if (options.body !== undefined) headers["Content-Type"] = "application/json"
  const response = await fetch(`${sandbox.baseUrl}${path}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    redirect: "manual",
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  let body: any = text
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    // HTML pages and empty bodies stay text
  }
  return { status: response.status, headers: response.headers, body }
}

/** Makes the same call `times` times, one after another, and returns the statuses in order. */
export const statusesOf = async (sandbox: Sandbox, path: string, options: Call, times: number) => {
  const statuses: Array<number> = []
  for (let i = 0; i < times; i++) statuses.push((await call(sandbox, path, options)).status)
  return statuses
}

/** Calls the sandbox's control API and fails loudly when it refuses. */
export const control = async <A = any>(sandbox: Sandbox, path: string, body?: unknown, method?: string): Promise<A> => {
  const reply = await call<A>(sandbox, `/_sandbox${path}`, {
    noVersion: true,
    ...(body === undefined ? {} : { body }),
    ...(method === undefined ? {} : { method }),
  })
  if (reply.status >= 300) throw new Error(`control ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`)
  return reply.body
}

export const mint = (sandbox: Sandbox, body: Record<string, unknown> = {}) =>
  control<MintedConnection>(sandbox, "/connections", { provider_id: "gusto", ...body })

/** The sandbox's request log (`GET /_sandbox/requests`). */
export const requestLog = (sandbox: Sandbox) => control<RequestLogSnapshot>(sandbox, "/requests")

export const basicOf = (sandbox: Sandbox) => ({ id: sandbox.clientId, secret: sandbox.clientSecret })

/** A sandbox per test file, closed afterwards. */
export const useSandbox = (
  hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void },
  options: SandboxOptions = {},
) => {
  const holder: { current?: Sandbox } = {}
  hooks.beforeAll(async () => {
    holder.current = await startSandbox({ seed: 7, today: "2026-06-15", ...options })
  })
  hooks.afterAll(async () => {
    await holder.current?.close()
  })
  return () => {
    if (holder.current === undefined) throw new Error("the sandbox is not started yet")
    return holder.current
  }
}
