/**
 * The one place where failures become HTTP answers. Every error body is `{ "error": { code, message, details? } }`
 * with a stable snake_case `code`; messages are ours (Finch's own text is never passed on: it could quote a code).
 * Another customer's connection or person answers exactly like an unknown one, because core already fails with the
 * same error for both.
 */

import { Schema } from "effect"
import type { Context } from "hono"
import type { ContentfulStatusCode } from "hono/utils/http-status"

/** The body of every error answer. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String.annotations({ description: "stable snake_case code, e.g. `connection_not_found`" }),
    message: Schema.String,
    details: Schema.optional(Schema.Unknown),
  }),
}).annotations({ identifier: "Error" })
export type ErrorBody = typeof ErrorBody.Type

/** A failure as the API reports it. */
export interface ApiError {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly message: string
  readonly details?: unknown
}

/** Builds an `ApiError`. */
export const apiError = (status: ContentfulStatusCode, code: string, message: string, details?: unknown): ApiError =>
  details === undefined ? { status, code, message } : { status, code, message, details }

/** Missing or wrong API key: one answer for both. */
export const unauthorized = apiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)")

/** No route at that path. */
export const routeNotFound = apiError(404, "not_found", "no such route")

/** A route exists at that path, not for that method. */
export const methodNotAllowed = (allowed: ReadonlyArray<string>) =>
  apiError(405, "method_not_allowed", `allowed: ${allowed.join(", ")}`)

/** The body is over the limit. */
export const payloadTooLarge = (limitBytes: number) =>
  apiError(413, "payload_too_large", `the body is larger than ${limitBytes} bytes`)

/** A body that is not JSON by its content type. */
export const unsupportedMediaType = apiError(415, "unsupported_media_type", "send the body as application/json")

/** A body whose JSON does not parse. */
export const malformedJson = apiError(400, "malformed_json", "the body is not valid JSON")

/** One problem with a request's input. */
export interface InputIssue {
  readonly field: string
  readonly in: "body" | "path" | "query"
  readonly message: string
}

// Schema messages quote the value they reject: keep an echoed megabyte out of the answer.
const maxMessageLength = 300

/** A request whose params, query or body fail their schema; the message names the first field. */
export const invalidRequest = (issues: ReadonlyArray<InputIssue>) => {
  const first = issues[0]
  return apiError(
    400,
    "invalid_request",
    first === undefined
      ? "the request is invalid"
      : `${first.in} ${first.field || "(root)"}: ${first.message}`.slice(0, maxMessageLength),
    { issues },
  )
}

/** A failure nobody expected; its cause is logged, never sent. */
export const internalError = apiError(500, "internal_error", "something went wrong on our side")

const finchUnavailable = apiError(502, "finch_unavailable", "Finch did not answer as expected; try again later")

/** How each typed failure of a use case is answered. */
const byTag: Record<string, (error: any) => ApiError> = {
  CustomerNotFound: () => apiError(404, "customer_not_found", "no customer with that id"),
  CustomerAlreadyExists: () =>
    apiError(409, "customer_already_exists", "a customer with that id already exists with another name"),
  ConnectionNotFound: () => apiError(404, "connection_not_found", "no connection with that id for this customer"),
  PersonNotFound: () => apiError(404, "person_not_found", "no person with that id for this customer"),
  AccountNotFound: () => apiError(404, "account_not_found", "no account with that id on this connection"),
  EntityNotFound: () => apiError(404, "entity_not_found", "no entity with that id on this connection"),
  SyncRunNotFound: () => apiError(404, "sync_not_found", "no sync with that id for this customer"),
  RecordsNotFound: () => apiError(404, "record_not_found", "no employee record with that id for this customer"),
  OwnedByAnotherCustomer: (error) =>
    apiError(
      409,
      "connection_owned_by_another_customer",
      `this ${error.providerId} company is already connected by another customer`,
    ),
  ForeignConnectSession: () =>
    apiError(409, "foreign_connect_session", "the code comes from a Connect session opened for another customer"),
  UnidentifiableToken: () =>
    apiError(422, "unidentifiable_token", "Finch's token names no company, connection or entity to attach it to"),
  IllegalTransition: (error) =>
    apiError(
      409,
      "illegal_transition",
      `the ${error.accountId === null ? "connection" : "account"} is ${error.from} and cannot become ${error.to}`,
    ),
  TokenMismatch: () =>
    apiError(
      409,
      "token_mismatch",
      "the employer signed in to another login, company or Finch connection than the one being reauthenticated",
    ),
  NoUsableToken: () => apiError(409, "no_usable_token", "the connection has no working token for that"),
  TokenUnreadable: () => apiError(409, "no_usable_token", "the connection has no working token for that"),
  InvalidConnectState: () => apiError(400, "invalid_state", "the state is invalid, expired or already used"),
  WebhookVerificationError: () => apiError(401, "invalid_signature", "the webhook is not signed by Finch"),
  ParseError: (error) =>
    invalidRequest([{ field: "", in: "body", message: String(error.message).split("\n")[0] ?? "" }]),
  FinchBadRequest: (error) =>
    error.operation === "POST /auth/token"
      ? apiError(400, "invalid_code", "Finch refused the authorization code (wrong, used or expired)")
      : finchUnavailable,
  FinchRateLimited: () => apiError(503, "finch_rate_limited", "Finch is rate limiting us; try again shortly"),
  FinchReauthRequired: () => apiError(409, "reauth_required", "the employer must reauthenticate this connection"),
  FinchUnauthorized: () => finchUnavailable,
  FinchForbidden: () => finchUnavailable,
  FinchDataPending: () => finchUnavailable,
  FinchNotFound: () => finchUnavailable,
  FinchServerError: () => finchUnavailable,
  FinchTimeout: () => finchUnavailable,
  FinchTransportError: () => finchUnavailable,
  FinchDecodeError: () => finchUnavailable,
}

/** The answer for a typed failure; an unknown one is an internal error. */
export const fromFailure = (error: unknown): ApiError => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : undefined
  const answer = tag === undefined ? undefined : byTag[tag]
  return answer === undefined ? internalError : answer(error)
}

/** Writes an `ApiError` as the response. */
export const respond = (c: Context, error: ApiError): Response =>
  c.json(
    {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    },
    error.status,
  )
