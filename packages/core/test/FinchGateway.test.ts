import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { FinchServerError } from "../src/FinchError.ts"
import { FinchGateway, FinchMemory, layerMemory } from "../src/FinchGateway.ts"
import { FinchConnectionId } from "../src/Ids.ts"
import * as Fixtures from "../testing/Fixtures.ts"

const none = Option.none()

describe("FinchGateway.layerMemory (the scriptable fake Finch)", () => {
  it.effect("exchanges a granted code once; the token introspects as granted, with its current status", () =>
    Effect.gen(function* () {
      const finch = yield* FinchGateway
      const control = yield* FinchMemory
      const introspection = Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f1" })
      yield* control.grant("code", "token", introspection)
      const exchange = yield* finch.exchangeCode({ code: "code", redirectUri: none })
      assert.strictEqual(Redacted.value(exchange.accessToken), "token")
      assert.deepStrictEqual(Option.getOrNull(exchange.finchConnectionId), "f1")
      const again = yield* Effect.flip(finch.exchangeCode({ code: "code", redirectUri: none }))
      assert.strictEqual(again._tag, "FinchBadRequest")
      yield* control.setStatus("token", "reauth")
      const seen = yield* finch.introspect(exchange.accessToken)
      assert.isTrue(seen.needsReauthentication)
      assert.strictEqual(seen.providerId, "gusto")
    }).pipe(Effect.provide(layerMemory)),
  )

  it.effect("serves employees, fails data calls with reauthenticate_user while in reauth, 401 once revoked", () =>
    Effect.gen(function* () {
      const finch = yield* FinchGateway
      const control = yield* FinchMemory
      yield* control.grant("code", "token", Fixtures.introspection({ provider: "gusto", company: "c1", account: "a" }))
      yield* control.setEmployees("token", [
        { individual: { id: "i1", first_name: "Ada" }, employment: { id: "i1", title: "Engineer" } },
        { individual: { id: "i2", first_name: "Alan" } },
      ])
      const token = Redacted.make("token")
      const directory = Chunk.toArray(yield* Stream.runCollect(finch.directory(token)))
      assert.deepStrictEqual(
        directory.map((d) => d.id),
        ["i1", "i2"],
      )
      const individuals = yield* finch.individuals(token, ["i1", "nobody"])
      assert.deepStrictEqual(
        individuals.map((i) => i._tag),
        ["Found", "Failed"],
      )
      const employments = yield* finch.employments(token, ["i1", "i2"])
      assert.deepStrictEqual(
        employments.map((e) => e._tag),
        ["Found", "Failed"],
      )
      yield* control.setStatus("token", "reauth")
      assert.strictEqual((yield* Effect.flip(finch.company(token)))._tag, "FinchReauthRequired")
      yield* control.setStatus("token", "connected")
      yield* finch.disconnect(token)
      assert.strictEqual((yield* Effect.flip(finch.company(token)))._tag, "FinchUnauthorized")
      assert.strictEqual((yield* Effect.flip(finch.introspect(token)))._tag, "FinchUnauthorized")
    }).pipe(Effect.provide(layerMemory)),
  )

  it.effect("disconnect revokes every token of the Finch connection and nothing else", () =>
    Effect.gen(function* () {
      const finch = yield* FinchGateway
      const control = yield* FinchMemory
      yield* control.grant("c1", "t1", Fixtures.introspection({ provider: "gusto", finchConnection: "f1" }))
      yield* control.grant("c2", "t2", Fixtures.introspection({ provider: "gusto", finchConnection: "f1" }))
      yield* control.grant("c3", "t3", Fixtures.introspection({ provider: "gusto", finchConnection: "f2" }))
      yield* finch.disconnect(Redacted.make("t1"))
      assert.deepStrictEqual(
        [yield* control.isLive("t1"), yield* control.isLive("t2"), yield* control.isLive("t3")],
        [false, false, true],
      )
    }).pipe(Effect.provide(layerMemory)),
  )

  it.effect("scripted failures hit the next call of that operation only; sessions are recorded", () =>
    Effect.gen(function* () {
      const finch = yield* FinchGateway
      const control = yield* FinchMemory
      yield* control.failNext(
        "POST /connect/sessions/reauthenticate",
        new FinchServerError({ operation: "x", requestId: null, detail: "down", status: 503 }),
      )
      yield* control.grant("c1", "t1", Fixtures.introspection({ provider: "gusto", finchConnection: "f1" }))
      const request = {
        finchConnectionId: FinchConnectionId.make("f1"),
        products: none,
        redirectUri: none,
        minutesToExpire: none,
      }
      assert.strictEqual((yield* Effect.flip(finch.createReauthenticationSession(request)))._tag, "FinchServerError")
      const session = yield* finch.createReauthenticationSession(request)
      const unknown = yield* Effect.flip(
        finch.createReauthenticationSession({ ...request, finchConnectionId: FinchConnectionId.make("nope") }),
      )
      assert.strictEqual(unknown._tag, "FinchNotFound")
      const sessions = yield* control.sessions
      assert.deepStrictEqual(
        sessions.map((s) => [s.kind, s.session.sessionId]),
        [["reauthenticate", session.sessionId]],
      )
    }).pipe(Effect.provide(layerMemory)),
  )
})
