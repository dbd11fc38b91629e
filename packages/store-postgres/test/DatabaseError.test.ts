import { assert, describe, it } from "@effect/vitest"
import { fromPgError } from "../src/DatabaseError.ts"

describe("fromPgError", () => {
  it("reads SQLSTATE codes and the constraint", () => {
    const cases: Array<[unknown, string, string | undefined]> = [
      [
        { code: "23505", constraint: "connections_provider_company_key" },
        "UniqueViolation",
        "connections_provider_company_key",
      ],
      [
        { code: "23503", constraint: "access_tokens_connection_fkey" },
        "ForeignKeyViolation",
        "access_tokens_connection_fkey",
      ],
      [{ code: "23514" }, "CheckViolation", undefined],
      [{ code: "40001" }, "SerializationFailure", undefined],
      [{ code: "40P01" }, "SerializationFailure", undefined],
      [{ code: "42501" }, "InsufficientPrivilege", undefined],
      [{ code: "08006" }, "Unavailable", undefined],
      [{ code: "57P01" }, "Unavailable", undefined],
      [{ code: "53300" }, "Unavailable", undefined],
      [{ code: "ECONNREFUSED" }, "Unavailable", undefined],
      [{ code: "22P02" }, "Unknown", undefined],
      [new Error("no code"), "Unknown", undefined],
      ["a string", "Unknown", undefined],
    ]
    for (const [cause, reason, constraint] of cases) {
      const error = fromPgError(cause)
      assert.deepStrictEqual([error.reason, error.constraint], [reason, constraint], JSON.stringify(cause))
      assert.strictEqual(error.cause, cause)
    }
  })
})
