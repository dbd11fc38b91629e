/**
 * The redirect flow's `state`: what it says survives signing, and a tampered, foreign or expired state is refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { CustomerId } from "@finch-connections/core/Ids"
import { Effect, Redacted, TestClock } from "effect"
import * as ConnectState from "../src/ConnectState.ts"

const states = ConnectState.make({ secret: Redacted.make("a secret for tests"), ttlSeconds: 60 })
const acme = CustomerId.make("acme")

describe("ConnectState", () => {
  it.effect("verifies what it signed: customer, redirect URI, a fresh id, the expiry", () =>
    Effect.gen(function* () {
      const first = yield* states.sign(acme, "https://app.example/callback")
      const second = yield* states.sign(acme, "https://app.example/callback")
      const state = yield* states.verify(first)
      assert.strictEqual(state.customerId, acme)
      assert.strictEqual(state.redirectUri, "https://app.example/callback")
      assert.strictEqual(state.expiresAt.getTime(), 60_000)
      assert.notStrictEqual(state.stateId, (yield* states.verify(second)).stateId)
    }),
  )

  it.effect("refuses a state whose payload was changed, or signed with another secret (forged)", () =>
    Effect.gen(function* () {
      const [payload, signature] = (yield* states.sign(acme, "https://app.example/cb")).split(".")
      const changed = Buffer.from(
        Buffer.from(payload ?? "", "base64url")
          .toString("utf8")
          .replace("acme", "acmf"),
      ).toString("base64url")
      const other = ConnectState.make({ secret: Redacted.make("another secret") })
      for (const state of [`${changed}.${signature}`, yield* other.sign(acme, "https://app.example/cb")]) {
        const error = yield* Effect.flip(states.verify(state))
        assert.strictEqual(error.reason, "forged")
      }
    }),
  )

  it.effect("refuses a malformed state and an expired one", () =>
    Effect.gen(function* () {
      for (const state of ["", "abc", "a.b.c"]) {
        assert.strictEqual((yield* Effect.flip(states.verify(state))).reason, "malformed")
      }
      const state = yield* states.sign(acme, "https://app.example/cb")
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* Effect.flip(states.verify(state))).reason, "expired")
    }),
  )
})
