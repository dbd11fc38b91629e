import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { AccountId, type CompanyId, ConnectionId, CustomerId, ProviderId } from "../src/Ids.ts"

describe("Ids", () => {
  it("are brands: one kind of id never passes for another (checked by tsc)", () => {
    const takesCompany = (id: CompanyId): string => id
    const provider = ProviderId.make("gusto")
    // @ts-expect-error a ProviderId is not a CompanyId
    assert.strictEqual(takesCompany(provider), "gusto")
    // @ts-expect-error a plain string is not a CustomerId
    const customer: CustomerId = "acme"
    assert.strictEqual(customer, "acme")
  })

  it("decode trimmed, and refuse blank or longer than 255 characters", () => {
    const decode = Schema.decodeUnknownEither(CustomerId)
    assert.deepStrictEqual(decode("  acme  "), Either.right(CustomerId.make("acme")))
    for (const bad of ["", "   ", "x".repeat(256), 42, null]) assert.isTrue(Either.isLeft(decode(bad)), String(bad))
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(AccountId)("x".repeat(255))))
  })

  it("our connection ids are UUIDs", () => {
    const decode = Schema.decodeUnknownEither(ConnectionId)
    assert.isTrue(Either.isRight(decode("11111111-1111-4111-8111-111111111111")))
    assert.isTrue(Either.isLeft(decode("conn-1")))
  })
})
