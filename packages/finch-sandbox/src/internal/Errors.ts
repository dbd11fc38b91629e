/** Finch's error bodies (reference §6): `{ code, name, finch_code?, message }` with the HTTP status in `code`. */
import type { ErrorBody } from "./Wire.ts"

/** A Finch error response; thrown inside handlers and written by the app's error handler. */
export class FinchFailure extends Error {
  readonly status: number
  readonly body: ErrorBody & Record<string, unknown>
  readonly headers: Readonly<Record<string, string>>
  constructor(status: number, body: ErrorBody & Record<string, unknown>, headers: Record<string, string> = {}) {
    super(body.message)
    this.status = status
    this.body = body
    this.headers = headers
  }
}

const failure = (
  status: number,
  name: string,
  message: string,
  finch_code?: string,
  headers: Record<string, string> = {},
) =>
  new FinchFailure(
    status,
    finch_code === undefined ? { code: status, name, message } : { code: status, name, finch_code, message },
    headers,
  )

export const invalidRequest = (message: string) => failure(400, "invalid_request_error", message, "invalid_request")

export const invalidGrant = (message = "The authorization code is invalid, expired or already used") =>
  failure(400, "invalid_grant_error", message)

export const unauthorizedRequest = () =>
  failure(401, "unauthorized_request_error", "Unauthorized request: no authentication given")

export const invalidToken = () => failure(401, "invalid_token_error", "The access token is invalid or has been revoked")

export const invalidClient = () => failure(401, "invalid_client_error", "The client credentials are invalid")

export const reauthenticateUser = () =>
  failure(
    401,
    "authentication_error",
    "The employer's authorization has expired; they must re-authenticate through Finch Connect",
    "reauthenticate_user",
  )

export const accountSetupRequired = () =>
  failure(
    401,
    "authentication_error",
    "The employer has not finished setting up this connection",
    "account_setup_required",
  )

export const insufficientScope = (product: string) =>
  failure(403, "insufficient_scope_error", `The access token does not have access to the '${product}' product`)

export const insufficientPermissions = () =>
  failure(
    403,
    "error_permissions",
    "Finch was added to the provider without the permissions this request needs",
    "insufficient_account_permissions",
  )

export const notFound = (message: string, finch_code = "item_not_found") =>
  failure(404, "not_found_error", message, finch_code)

/** The 429 body Finch documents for its per-application limits (reference §6.5). */
export const rateLimited = (headers: Record<string, string> = {}) =>
  new FinchFailure(
    429,
    {
      statusCode: 429,
      status: 429,
      code: 429,
      message: "Too many requests for token",
      name: "rate_limit_exceeded_error",
      finch_code: "finch_application_rl",
    },
    headers,
  )

/** The bodies of the statuses only a fault produces. */
const injectedBodies: Readonly<
  Record<number, { readonly name: string; readonly message: string; readonly finch_code?: string }>
> = {
  408: { name: "client_connection_closed", message: "The client closed the connection" },
  409: { name: "conflict_error", message: "Conflict" },
  500: { name: "server_error", finch_code: "internal_server_error", message: "Internal Server Error" },
  501: { name: "not_implemented_error", message: "Not Implemented" },
  502: { name: "bad_gateway_error", finch_code: "upstream_provider_error", message: "The provider failed" },
  503: { name: "service_unavailable_error", message: "Service Unavailable" },
  504: { name: "gateway_timeout_error", message: "Gateway Timeout" },
}

/** The body Finch sends for a status a fault forces. */
export const forStatus = (status: number, headers: Record<string, string> = {}): FinchFailure => {
  switch (status) {
    case 400:
      return invalidRequest("Injected bad request")
    case 401:
      return invalidToken()
    case 403:
      return insufficientPermissions()
    case 404:
      return notFound("Not found")
    case 429:
      return rateLimited(headers)
  }
  const body = injectedBodies[status] ?? { name: "server_error", message: `Injected status ${status}` }
  return failure(status, body.name, body.message, body.finch_code, headers)
}

/** Finch's 202 for data that is not ready yet (assisted setup, first sync). */
export const accepted = {
  code: 202,
  name: "accepted",
  finch_code: "data_sync_in_progress",
  message: "The data for this connection is being fetched. Please check back later.",
} as const
