import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as FinchFailure from "../src/FinchFailure.ts"

const respond = (status: number, body: unknown, headers: Record<string, string> = {}): FinchFailure.RawResponse => ({
  status,
  header: (name) => ({ "finch-request-id": "req-123", ...headers })[name],
  text: typeof body === "string" ? body : JSON.stringify(body),
})
const context = { nowMs: Date.parse("2026-01-01T00:00:00Z"), timeoutMs: 60_000 }
const map = (response: FinchFailure.RawResponse) =>
  FinchFailure.fromResponse("GET /employer/directory", response, context)
const errorBody = (code: number, name: string, finch_code?: string) => ({ code, name, finch_code, message: `${name}!` })

describe("FinchFailure.fromResponse", () => {
  it("maps each Finch status to its error, with the operation, Finch-Request-Id and Finch's message", () => {
    const cases: ReadonlyArray<readonly [number, unknown, string, boolean]> = [
      [401, errorBody(401, "authentication_error", "reauthenticate_user"), "FinchReauthRequired", false],
      [401, errorBody(401, "invalid_token_error"), "FinchUnauthorized", false],
      [401, errorBody(401, "authentication_error", "account_setup_required"), "FinchUnauthorized", false],
      [403, errorBody(403, "insufficient_scope_error"), "FinchForbidden", false],
      [404, errorBody(404, "not_found_error", "item_not_found"), "FinchNotFound", false],
      [400, errorBody(400, "invalid_grant_error"), "FinchBadRequest", false],
      [402, errorBody(402, "payment_required", "payment_required"), "FinchBadRequest", false],
      [422, errorBody(422, "unprocessable_request_error"), "FinchBadRequest", false],
      [409, errorBody(409, "conflict"), "FinchBadRequest", true],
      [408, errorBody(408, "client_connection_closed"), "FinchTimeout", true],
      [429, errorBody(429, "rate_limit_exceeded_error", "finch_application_rl"), "FinchRateLimited", true],
      [500, errorBody(500, "server_error"), "FinchServerError", true],
      [501, errorBody(501, "not_implemented_error"), "FinchServerError", true],
      [502, errorBody(502, "bad_gateway_error", "upstream_provider_error"), "FinchServerError", true],
      [202, "", "FinchDataPending", false],
    ]
    for (const [status, body, tag, retryable] of cases) {
      const failure = map(respond(status, body))
      assert.strictEqual(failure.error._tag, tag, `HTTP ${status}`)
      assert.strictEqual(failure.retryable, retryable, `HTTP ${status} retryable`)
      assert.strictEqual(failure.error.operation, "GET /employer/directory")
      assert.strictEqual(failure.error.requestId, "req-123")
      if (typeof body === "object") assert.strictEqual(failure.error.detail, `${(body as { name: string }).name}!`)
    }
  })

  it("keeps finch_code and name where the error has them", () => {
    const error = map(respond(403, errorBody(403, "error_permissions", "insufficient_account_permissions"))).error
    assert.strictEqual(error._tag, "FinchForbidden")
    if (error._tag === "FinchForbidden") {
      assert.strictEqual(error.finchCode, "insufficient_account_permissions")
      assert.strictEqual(error.errorName, "error_permissions")
    }
    const bad = map(respond(400, errorBody(400, "bad_request", "invalid_request"))).error
    assert.strictEqual(bad._tag === "FinchBadRequest" && bad.status, 400)
  })

  it("derives the rate-limit wait from the headers or the body", () => {
    const withHeader = map(respond(429, errorBody(429, "rate_limit_exceeded_error"), { "retry-after": "7" }))
    assert.strictEqual(withHeader.retryAfterMs, 7000)
    assert.strictEqual(withHeader.error._tag === "FinchRateLimited" && withHeader.error.retryAfterMs, 7000)
    const withBody = map(
      respond(429, { retry_at: "2026-01-01T00:00:05Z", allowed_refreshes: 1, remaining_refreshes: 0 }),
    )
    assert.strictEqual(withBody.error._tag === "FinchRateLimited" && withBody.error.retryAfterMs, 5000)
    const without = map(respond(429, errorBody(429, "rate_limit_exceeded_error")))
    assert.strictEqual(without.error._tag === "FinchRateLimited" && without.error.retryAfterMs, null)
  })

  it("obeys x-should-retry over the status", () => {
    assert.isFalse(map(respond(503, "", { "x-should-retry": "false" })).retryable)
    assert.isTrue(map(respond(400, "", { "x-should-retry": "true" })).retryable)
  })

  it("reads older error bodies and non-JSON bodies", () => {
    const old = map(respond(404, { error_name: "not_found_error", error_message: "gone" })).error
    assert.strictEqual(old.detail, "gone")
    const html = map(respond(502, "<html>Bad gateway</html>")).error
    assert.strictEqual(html.detail, "<html>Bad gateway</html>")
    const empty = map(respond(503, "")).error
    assert.strictEqual(empty.detail, "HTTP 503")
    const noRequestId = FinchFailure.fromResponse(
      "GET /introspect",
      { status: 500, header: () => undefined, text: "" },
      context,
    )
    assert.strictEqual(noRequestId.error.requestId, null)
  })
})

describe("FinchFailure.decode", () => {
  it("says where the shape differed without quoting any value", () => {
    const Shape = Schema.Struct({ id: Schema.String, ssn: Schema.Number, token: Schema.Number })
    const secretish = { id: 5, ssn: "123-45-6789", token: "tok_sandbox_very_secret" }
    const exit = Schema.decodeUnknownEither(Shape, { errors: "all" })(secretish)
    assert.isTrue(exit._tag === "Left")
    if (exit._tag === "Left") {
      const error = FinchFailure.decode("POST /employer/individual", "req-9", exit.left)
      assert.strictEqual(error._tag, "FinchDecodeError")
      assert.strictEqual(error.requestId, "req-9")
      assert.include(error.detail, "ssn")
      assert.include(error.detail, "token")
      assert.notInclude(error.detail, "123-45-6789")
      assert.notInclude(error.detail, "tok_sandbox_very_secret")
      assert.notInclude(`${error.message}${JSON.stringify(error)}`, "123-45-6789")
    }
  })
})
