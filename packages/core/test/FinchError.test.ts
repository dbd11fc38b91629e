import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
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
} from "../src/FinchError.ts"

const common = { operation: "GET /employer/company", requestId: "req-42", detail: "Finch's own words" }
const withCode = { ...common, finchCode: "some_code", errorName: "some_error" }

const every: ReadonlyArray<readonly [FinchError, string]> = [
  [new FinchReauthRequired(common), "reauthenticate"],
  [new FinchUnauthorized(withCode), "unauthorized (some_error)"],
  [new FinchForbidden(withCode), "forbidden (some_error)"],
  [new FinchRateLimited({ ...common, retryAfterMs: 1500 }), "1500 ms"],
  [new FinchDataPending(common), "not ready"],
  [new FinchNotFound({ ...common, finchCode: null }), "not found"],
  [new FinchBadRequest({ ...withCode, status: 422 }), "HTTP 422 some_error"],
  [new FinchServerError({ ...common, status: 503 }), "HTTP 503"],
  [new FinchTimeout({ ...common, timeoutMs: 100 }), "timed out"],
  [new FinchTransportError(common), "connection failed"],
  [new FinchDecodeError(common), "unusable response"],
]

describe("FinchError", () => {
  it("each message names the call, what went wrong, Finch's detail and the Finch-Request-Id", () => {
    for (const [error, what] of every) {
      assert.include(error.message, "GET /employer/company", error._tag)
      assert.include(error.message, what, error._tag)
      assert.include(error.message, "Finch's own words", error._tag)
      assert.include(error.message, "req-42", error._tag)
    }
    assert.notInclude(new FinchDataPending({ ...common, requestId: null }).message, "Finch-Request-Id")
  })

  it("prints under its own tag, not Finch's error name", () => {
    for (const [error] of every) {
      assert.isTrue(String(error).startsWith(`${error._tag}: `), String(error))
      assert.isTrue(Cause.pretty(Cause.fail(error)).startsWith(`${error._tag}: `), error._tag)
    }
  })
})
