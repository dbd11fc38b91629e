/**
 * The behaviour the domain relies on from every `FinchGateway`, as one suite to run against each implementation:
 * core's scriptable `layerMemory` here, and finch-client's HTTP client against finch-sandbox. A harness plays the
 * parts no port method covers (the employer finishing Finch Connect, Finch asking for reauthentication). Every case
 * connects fresh companies, so the suite shares one Finch. Runs on the live clock (real servers time out).
 */
import { assert, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { FinchGateway, FinchMemory } from "../src/FinchGateway.ts"
import { type CustomerId, FinchConnectionId } from "../src/Ids.ts"
import { employeeSyncProducts } from "../src/Product.ts"
import * as Fixtures from "./Fixtures.ts"

/** What a contract run needs besides the gateway: the employer's and Finch's own moves. */
export class FinchGatewayHarness extends Context.Tag("@finch-connections/core/testing/FinchGatewayHarness")<
  FinchGatewayHarness,
  {
    /**
     * The employer finishes Finch Connect for `customerId` at a company no other case uses, with at least one
     * employee and the products of an employee sync; returns the single-use authorization code.
     */
    readonly completeConnect: (customerId: CustomerId) => Effect.Effect<string>
    /** Finch starts asking the employer of the token's connection to reauthenticate. */
    readonly requireReauthentication: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  }
>() {}

/** The harness for core's in-memory Finch (`FinchGateway.layerMemory`), scripted through `FinchMemory`. */
export const layerMemoryHarness: Layer.Layer<FinchGatewayHarness, never, FinchMemory> = Layer.effect(
  FinchGatewayHarness,
  Effect.map(FinchMemory, (control) =>
    FinchGatewayHarness.of({
      completeConnect: (customerId) =>
        Effect.gen(function* () {
          const code = Fixtures.unique("code")
          const token = Fixtures.unique("token")
          const introspection = Fixtures.introspection({
            provider: "gusto",
            company: Fixtures.unique("company"),
            account: Fixtures.unique("account"),
            finchConnection: Fixtures.unique("connection"),
            finchCustomer: customerId,
          })
          yield* control.grant(code, token, introspection)
          yield* control.setEmployees(
            token,
            ["ada", "alan", "grace"].map((name) => {
              const id = Fixtures.uuid()
              return { individual: { id, first_name: name }, employment: { id, title: "Engineer" } }
            }),
          )
          return code
        }),
      requireReauthentication: (token) => control.setStatus(Redacted.value(token), "reauth"),
    }),
  ),
)

/** A token of a freshly connected company, with what Finch says about it. */
const connectFresh = Effect.gen(function* () {
  const finch = yield* FinchGateway
  const customerId = Fixtures.customerId()
  const code = yield* (yield* FinchGatewayHarness).completeConnect(customerId)
  const exchange = yield* finch.exchangeCode({ code, redirectUri: Option.none() })
  const introspection = yield* finch.introspect(exchange.accessToken)
  return { customerId, code, exchange, introspection, token: exchange.accessToken }
})

/**
 * Registers the `FinchGateway` contract for the implementation `layer` provides (with its harness), under the name
 * `name`.
 */
export const finchGatewayContract = <E>(
  name: string,
  layer_: Layer.Layer<FinchGateway | FinchGatewayHarness, E>,
): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(`FinchGateway contract: ${name}`, (it) => {
    it.effect("opens a Connect session whose URL names it", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const session = yield* finch.createConnectSession({
          customerId: Fixtures.customerId(),
          customerName: "Acme Inc.",
          products: employeeSyncProducts,
          redirectUri: Option.none(),
          providerId: Option.none(),
          minutesToExpire: Option.none(),
        })
        assert.isAbove(session.sessionId.length, 0)
        assert.include(session.connectUrl, session.sessionId)
      }),
    )

    it.effect("a code exchanges once, for a token that introspects as the connection Finch made for the customer", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const { customerId, code, exchange, introspection } = yield* connectFresh
        assert.strictEqual(introspection.providerId, exchange.providerId)
        assert.isTrue(Option.isSome(introspection.finchConnectionId))
        assert.deepStrictEqual(introspection.finchConnectionId, exchange.finchConnectionId)
        assert.deepStrictEqual(introspection.finchCustomerId, Option.some(customerId))
        assert.isFalse(introspection.needsReauthentication)
        assert.includeMembers([...introspection.products], [...employeeSyncProducts])
        const again = yield* Effect.flip(finch.exchangeCode({ code, redirectUri: Option.none() }))
        assert.strictEqual(again._tag, "FinchBadRequest")
      }),
    )

    it.effect("reads the company, the whole directory, and individuals and employments item by item", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const { introspection, token } = yield* connectFresh
        const company = yield* finch.company(token)
        if (Option.isSome(introspection.companyId)) assert.strictEqual(company.id, introspection.companyId.value)
        const directory = Chunk.toReadonlyArray(yield* Stream.runCollect(finch.directory(token)))
        assert.isAbove(directory.length, 0)
        const ids = directory.map((person) => person.id)
        const unknown = Fixtures.uuid()
        const individuals = yield* finch.individuals(token, [...ids, unknown])
        const employments = yield* finch.employments(token, [...ids, unknown])
        for (const items of [individuals, employments]) {
          assert.deepStrictEqual(
            items.map((item) => [item.individualId, item._tag]),
            [...ids.map((id) => [id, "Found"]), [unknown, "Failed"]],
          )
          const missing = items.at(-1)
          assert.strictEqual(missing?._tag === "Failed" ? missing.code : null, 404)
        }
      }),
    )

    it.effect("a connection Finch wants reauthenticated: data calls say so, introspection says so", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const { token } = yield* connectFresh
        yield* (yield* FinchGatewayHarness).requireReauthentication(token)
        const error = yield* Effect.flip(finch.company(token))
        assert.strictEqual(error._tag, "FinchReauthRequired")
        assert.strictEqual(error.operation, "GET /employer/company")
        assert.isTrue((yield* finch.introspect(token)).needsReauthentication)
      }),
    )

    it.effect("a reauthentication session opens for a known Finch connection; an unknown one is FinchNotFound", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const { introspection } = yield* connectFresh
        const request = {
          finchConnectionId: Option.getOrThrow(introspection.finchConnectionId),
          products: Option.none(),
          redirectUri: Option.none(),
          minutesToExpire: Option.none(),
        }
        const session = yield* finch.createReauthenticationSession(request)
        assert.include(session.connectUrl, session.sessionId)
        const unknown = yield* Effect.flip(
          finch.createReauthenticationSession({
            ...request,
            finchConnectionId: FinchConnectionId.make(Fixtures.uuid()),
          }),
        )
        assert.strictEqual(unknown._tag, "FinchNotFound")
      }),
    )

    it.effect("disconnect revokes the connection's token and nobody else's; unknown tokens are FinchUnauthorized", () =>
      Effect.gen(function* () {
        const finch = yield* FinchGateway
        const gone = yield* connectFresh
        const kept = yield* connectFresh
        yield* finch.disconnect(gone.token)
        assert.strictEqual((yield* Effect.flip(finch.introspect(gone.token)))._tag, "FinchUnauthorized")
        assert.strictEqual((yield* Effect.flip(finch.company(gone.token)))._tag, "FinchUnauthorized")
        assert.strictEqual((yield* finch.introspect(kept.token)).providerId, kept.exchange.providerId)
        const never = yield* Effect.flip(finch.introspect(Redacted.make(Fixtures.unique("never-issued"))))
        assert.strictEqual(never._tag, "FinchUnauthorized")
      }),
    )
  })
}
