/** The checks Finch makes before serving a call: auth scheme, token, scopes, rate limit and connection status. */
import { createHash, timingSafeEqual } from "node:crypto"
import type { Context as HonoContext } from "hono"
import type { CompanyRecord } from "./Companies.ts"
import * as Errors from "./Errors.ts"
import { bucketOf } from "./RateLimiter.ts"
import type { Connection, Token } from "./State.ts"
import type { SandboxEnv, World } from "./World.ts"

type Context = HonoContext<SandboxEnv>

export interface Authorized {
  readonly token: Token
  readonly connection: Connection
}

export interface DataAccess extends Authorized {
  readonly company: CompanyRecord
  /** The entities this call reads (the `entity_ids` query narrowed to the token's entities). */
  readonly entity_ids: ReadonlyArray<string>
}

const credentials = (c: Context): { scheme: string; value: string } | undefined => {
  const header = c.req.header("authorization")
  if (header === undefined || header.trim() === "") return undefined
  const space = header.indexOf(" ")
  if (space < 0) return { scheme: header.toLowerCase(), value: "" }
  return { scheme: header.slice(0, space).toLowerCase(), value: header.slice(space + 1).trim() }
}

/** A live bearer token and its connection; 401 otherwise. */
export const bearer = (c: Context, world: World): Authorized => {
  const given = credentials(c)
  if (given === undefined || given.scheme !== "bearer" || given.value === "") throw Errors.unauthorizedRequest()
  const token = world.state.tokens.get(given.value)
  if (token === undefined || token.revoked) throw Errors.invalidToken()
  const connection = world.state.connections.get(token.connection_id)
  if (connection === undefined || connection.status === "disconnected") throw Errors.invalidToken()
  return { token, connection }
}

/** Whether the given credentials are the application's (compared in constant time, like a real server should). */
export const isClient = (world: World, clientId: string | undefined, clientSecret: string | undefined) => {
  const digest = (text: string) => createHash("sha256").update(text).digest()
  const given = digest(`${clientId ?? ""}\u0000${clientSecret ?? ""}`)
  return timingSafeEqual(given, digest(`${world.clientId}\u0000${world.clientSecret}`))
}

/** HTTP Basic with the application's client id and secret; 401 otherwise. */
export const basic = (c: Context, world: World) => {
  const given = credentials(c)
  if (given === undefined || given.scheme !== "basic") throw Errors.unauthorizedRequest()
  const decoded = Buffer.from(given.value, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  const clientId = colon < 0 ? decoded : decoded.slice(0, colon)
  const clientSecret = colon < 0 ? "" : decoded.slice(colon + 1)
  if (!isClient(world, clientId, clientSecret)) throw Errors.invalidClient()
}

/** The `entity_ids` query, given as `entity_ids[]=…`, `entity_ids=…` or comma-separated. */
const requestedEntities = (c: Context): Array<string> => {
  const values = [...(c.req.queries("entity_ids[]") ?? []), ...(c.req.queries("entity_ids") ?? [])]
  return values.flatMap((value) => value.split(",")).filter((value) => value !== "")
}

/**
 * Everything an `/employer/*` call needs: a live token with the product, within the application's rate limit, on a
 * connection in no error state, narrowed to the entities asked for. Whether the data is ready yet is `pending`'s call.
 */
export const dataAccess = (c: Context, world: World, product: string): DataAccess => {
  const { token, connection } = bearer(c, world)
  const bucket = bucketOf(c.req.path)
  if (bucket !== undefined) {
    const verdict = world.rateLimiter.acquire(world.clientId, bucket)
    if (!verdict.allowed) {
      throw Errors.rateLimited(
        world.rateLimiter.sendRetryAfter
          ? { "retry-after": String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) }
          : {},
      )
    }
    c.set("releaseRateSlot", verdict.release)
  }
  if (!token.products.includes(product)) throw Errors.insufficientScope(product)
  switch (connection.status) {
    case "reauth":
      throw Errors.reauthenticateUser()
    case "error_no_account_setup":
      throw Errors.accountSetupRequired()
    case "error_permissions":
      throw Errors.insufficientPermissions()
    default:
      break
  }
  const requested = requestedEntities(c)
  if (requested.length > 1) throw Errors.invalidRequest("entity_ids accepts exactly one entity ID per request")
  for (const id of requested) {
    if (!token.entity_ids.includes(id)) throw Errors.invalidRequest(`entity '${id}' is not part of this connection`)
  }
  return {
    token,
    connection,
    company: world.state.companyOf(connection),
    entity_ids: (requested.length > 0 ? requested : token.entity_ids).filter((id) =>
      connection.entity_ids.includes(id),
    ),
  }
}

/** Whether the connection's data is still being set up (assisted) and the call must answer 202. */
export const pending = (connection: Connection) => connection.status === "pending" || connection.status === "processing"

/** The request body as JSON; 400 when it is not JSON. */
export const jsonBody = async (c: Context): Promise<unknown> => {
  const text = await c.req.text()
  if (text.trim() === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw Errors.invalidRequest("The request body is not valid JSON")
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A JSON object body; 400 for anything else. */
export const objectBody = async (c: Context): Promise<Record<string, unknown>> => {
  const body = await jsonBody(c)
  if (body === undefined) return {}
  if (!isRecord(body)) throw Errors.invalidRequest("The request body must be a JSON object")
  return body
}

export const optionalString = (body: Record<string, unknown>, field: string): string | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") throw Errors.invalidRequest(`[body:${field}]: must be a string`)
  return value
}

export const requiredString = (body: Record<string, unknown>, field: string, max = 255): string => {
  const value = optionalString(body, field)
  if (value === undefined || value.length === 0) throw Errors.invalidRequest(`[body:${field}]: is required`)
  if (value.length > max) throw Errors.invalidRequest(`[body:${field}]: must be at most ${max} characters`)
  return value
}

export const optionalNumber = (body: Record<string, unknown>, field: string): number | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "number" || !Number.isFinite(value))
    throw Errors.invalidRequest(`[body:${field}]: must be a number`)
  return value
}

export const optionalStrings = (body: Record<string, unknown>, field: string): Array<string> | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw Errors.invalidRequest(`[body:${field}]: must be an array of strings`)
  }
  return value
}
