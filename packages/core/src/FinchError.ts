/**
 * The typed failures of talking to Finch. The client raises them; the domain reacts to them (a
 * `FinchReauthRequired` marks the connection). Each records which call failed and Finch's `Finch-Request-Id`, and
 * says so in its `message`. Finch's error `name` is kept as `errorName`: a field called `name` would replace the
 * error's own name (the tag) wherever it is printed.
 */
import * as Schema from "effect/Schema"

const common = {
  /** The call that failed, e.g. `GET /employer/directory`. */
  operation: Schema.String,
  /** Finch's `Finch-Request-Id`, to quote to Finch support. */
  requestId: Schema.NullOr(Schema.String),
  /** Finch's own explanation (never a token). */
  detail: Schema.String,
}

/** `GET /introspect: <what>: <detail> (Finch-Request-Id …)`. */
const describe = (
  error: { readonly operation: string; readonly requestId: string | null; readonly detail: string },
  what: string,
) =>
  `${error.operation}: ${what}: ${error.detail}${error.requestId === null ? "" : ` (Finch-Request-Id ${error.requestId})`}`

/** 401 `reauthenticate_user`: the employer must reconnect through Finch Connect. */
export class FinchReauthRequired extends Schema.TaggedError<FinchReauthRequired>()("FinchReauthRequired", common) {
  override get message() {
    return describe(this, "the employer must reauthenticate")
  }
}

/** 401 otherwise: the token or client credentials are wrong or revoked. */
export class FinchUnauthorized extends Schema.TaggedError<FinchUnauthorized>()("FinchUnauthorized", {
  ...common,
  finchCode: Schema.NullOr(Schema.String),
  errorName: Schema.NullOr(Schema.String),
}) {
  override get message() {
    return describe(this, `unauthorized (${this.errorName ?? "401"})`)
  }
}

/** 403: the token lacks the product, or the provider account lacks permissions. */
export class FinchForbidden extends Schema.TaggedError<FinchForbidden>()("FinchForbidden", {
  ...common,
  finchCode: Schema.NullOr(Schema.String),
  errorName: Schema.NullOr(Schema.String),
}) {
  override get message() {
    return describe(this, `forbidden (${this.errorName ?? "403"})`)
  }
}

/** 429: Finch's rate limit; `retryAfterMs` when Finch said how long to wait. */
export class FinchRateLimited extends Schema.TaggedError<FinchRateLimited>()("FinchRateLimited", {
  ...common,
  retryAfterMs: Schema.NullOr(Schema.Number),
}) {
  override get message() {
    return describe(this, this.retryAfterMs === null ? "rate limited" : `rate limited for ${this.retryAfterMs} ms`)
  }
}

/** 202: the data is not ready yet (assisted connection, first sync running). */
export class FinchDataPending extends Schema.TaggedError<FinchDataPending>()("FinchDataPending", common) {
  override get message() {
    return describe(this, "the data is not ready yet (202)")
  }
}

/** 404. */
export class FinchNotFound extends Schema.TaggedError<FinchNotFound>()("FinchNotFound", {
  ...common,
  finchCode: Schema.NullOr(Schema.String),
}) {
  override get message() {
    return describe(this, "not found")
  }
}

/** 400 and other 4xx that cannot succeed on retry (e.g. `invalid_grant_error` for a bad authorization code). */
export class FinchBadRequest extends Schema.TaggedError<FinchBadRequest>()("FinchBadRequest", {
  ...common,
  status: Schema.Number,
  finchCode: Schema.NullOr(Schema.String),
  errorName: Schema.NullOr(Schema.String),
}) {
  override get message() {
    return describe(this, `refused with HTTP ${this.status}${this.errorName === null ? "" : ` ${this.errorName}`}`)
  }
}

/** 5xx after retries. */
export class FinchServerError extends Schema.TaggedError<FinchServerError>()("FinchServerError", {
  ...common,
  status: Schema.Number,
}) {
  override get message() {
    return describe(this, `Finch failed with HTTP ${this.status}`)
  }
}

/** No answer within the configured timeout, after retries. */
export class FinchTimeout extends Schema.TaggedError<FinchTimeout>()("FinchTimeout", {
  ...common,
  timeoutMs: Schema.Number,
}) {
  override get message() {
    return describe(this, "timed out")
  }
}

/** The connection failed (refused, reset) after retries. */
export class FinchTransportError extends Schema.TaggedError<FinchTransportError>()("FinchTransportError", common) {
  override get message() {
    return describe(this, "the connection failed")
  }
}

/** Finch answered with a body we could not decode. */
export class FinchDecodeError extends Schema.TaggedError<FinchDecodeError>()("FinchDecodeError", common) {
  override get message() {
    return describe(this, "unusable response")
  }
}

/** Any failure of a Finch call. */
export type FinchError =
  | FinchReauthRequired
  | FinchUnauthorized
  | FinchForbidden
  | FinchRateLimited
  | FinchDataPending
  | FinchNotFound
  | FinchBadRequest
  | FinchServerError
  | FinchTimeout
  | FinchTransportError
  | FinchDecodeError
