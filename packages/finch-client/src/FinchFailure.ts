/**
 * Turns what went wrong on the wire into core's `FinchError` family, once, for every call: a non-2xx (or 202)
 * response by its status and Finch error body, a lost connection, a timeout, a body we cannot decode. Each error
 * names the call and carries `Finch-Request-Id`; none carries a token, a secret or a record's values.
 */

import {
  FinchBadRequest,
  FinchDataPending,
  FinchDecodeError,
  type FinchError,
  FinchForbidden,
  FinchNotFound,
  FinchRateLimited,
  FinchReauthRequired,
  FinchServerError,
  FinchTimeout,
  FinchTransportError,
  FinchUnauthorized,
} from "@finch-connections/core/FinchError"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type AttemptFailure, retryAfterMillis } from "./Retry.ts"

/** A response as the failure mapping needs it: status, a header lookup, and the raw body text. */
export interface RawResponse {
  readonly status: number
  readonly header: (name: string) => string | undefined
  readonly text: string
}

const ErrorBody = Schema.Struct({
  code: Schema.optional(Schema.Unknown),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  finch_code: Schema.optional(Schema.NullOr(Schema.String)),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  error_name: Schema.optional(Schema.NullOr(Schema.String)),
  error_message: Schema.optional(Schema.NullOr(Schema.String)),
})

/** What a Finch error body says; each part `null` when absent or not a Finch error body. */
export interface ErrorBodyFields {
  readonly code: number | null
  readonly name: string | null
  readonly finchCode: string | null
  readonly message: string | null
}

/** Reads a Finch error body (of a response or a batch item) leniently: older bodies say `error_name`/`error_message`. */
export const readErrorBody = (json: unknown): ErrorBodyFields => {
  const body = Option.getOrUndefined(Schema.decodeUnknownOption(ErrorBody)(json))
  return {
    code: typeof body?.code === "number" ? body.code : null,
    name: body?.name ?? body?.error_name ?? null,
    finchCode: body?.finch_code ?? null,
    message: body?.message ?? body?.error_message ?? null,
  }
}

/** Parses a body as JSON, `undefined` when it is empty or not JSON. */
export const parseJson = (text: string): unknown => {
  if (text.trim() === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const statusesWorthRetrying = new Set([408, 409, 429])

/** Whether Finch's status says a repeat can succeed (the SDK's rule: 408, 409, 429, 5xx). */
export const isRetryableStatus = (status: number): boolean => statusesWorthRetrying.has(status) || status >= 500

const maxDetailLength = 300

/** `text` with every occurrence of each secret replaced, so Finch's own words can never echo one into an error. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((scrubbed, secret) => (secret === "" ? scrubbed : scrubbed.split(secret).join("[redacted]")), text)

/**
 * Maps a response that is not a plain success to the error it means, and whether to retry it. `secrets` (the
 * call's token, the client secret) are scrubbed from the detail taken from Finch's body.
 */
export const fromResponse = (
  operation: string,
  response: RawResponse,
  context: { readonly nowMs: number; readonly timeoutMs: number; readonly secrets?: ReadonlyArray<string> },
): AttemptFailure => {
  const { status, header } = response
  const json = parseJson(response.text)
  const { finchCode, name: errorName, message } = readErrorBody(json)
  const requestId = header("finch-request-id") ?? null
  const detail = scrub(
    message ??
      (json === undefined && response.text.trim() !== ""
        ? response.text.trim().slice(0, maxDetailLength)
        : `HTTP ${status}${errorName === null ? "" : ` ${errorName}`}`),
    context.secrets ?? [],
  )
  const common = { operation, requestId, detail }
  const retryAfterMs = Option.getOrNull(retryAfterMillis(header, json, context.nowMs))
  const shouldRetry = header("x-should-retry")
  const retryable =
    shouldRetry === "true" ? true : shouldRetry === "false" ? false : status !== 202 && isRetryableStatus(status)
  const failure = (error: FinchError): AttemptFailure => ({ error, retryable, retryAfterMs })

  if (status === 202) return failure(new FinchDataPending(common))
  if (status === 401) {
    return failure(
      finchCode === "reauthenticate_user"
        ? new FinchReauthRequired(common)
        : new FinchUnauthorized({ ...common, finchCode, errorName }),
    )
  }
  if (status === 403) return failure(new FinchForbidden({ ...common, finchCode, errorName }))
  if (status === 404) return failure(new FinchNotFound({ ...common, finchCode }))
  if (status === 408) return failure(new FinchTimeout({ ...common, timeoutMs: context.timeoutMs }))
  if (status === 429) return failure(new FinchRateLimited({ ...common, retryAfterMs }))
  if (status >= 400 && status < 500) return failure(new FinchBadRequest({ ...common, status, finchCode, errorName }))
  if (status >= 500) return failure(new FinchServerError({ ...common, status }))
  // 1xx/3xx: nothing Finch documents; report it as a body we could not use.
  return {
    error: new FinchDecodeError({ ...common, detail: `unexpected HTTP status ${status}` }),
    retryable: false,
    retryAfterMs: null,
  }
}

/** The connection failed before a complete answer arrived (refused, reset, dropped mid-body). */
export const transport = (operation: string, cause: unknown): AttemptFailure => ({
  error: new FinchTransportError({ operation, requestId: null, detail: describeCause(cause) }),
  retryable: true,
  retryAfterMs: null,
})

/** No complete answer within the configured timeout. */
export const timeout = (operation: string, timeoutMs: number): AttemptFailure => ({
  error: new FinchTimeout({
    operation,
    requestId: null,
    detail: `no answer within ${timeoutMs} ms`,
    timeoutMs,
  }),
  retryable: true,
  retryAfterMs: null,
})

/**
 * A body we could not decode. The detail lists where the shape differed and how, never the values found (a record
 * may hold an SSN, a token response holds a token).
 */
export const decode = (operation: string, requestId: string | null, error: ParseResult.ParseError): FinchDecodeError =>
  new FinchDecodeError({ operation, requestId, detail: describeParseError(error) })

/** Where and how a value failed to decode, without the value itself. */
export const describeParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const described = issues.slice(0, 5).map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.join(".")
    return `${path}: ${issue._tag === "Missing" ? "missing" : issue._tag === "Unexpected" ? "unexpected" : "wrong type or value"}`
  })
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""
  return `unexpected response shape at ${described.join("; ")}${more}`
}

const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { readonly code?: unknown }).code
    parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message)
    current = current.cause
  }
  return parts.length === 0 ? "the connection failed" : parts.join(": ")
}
