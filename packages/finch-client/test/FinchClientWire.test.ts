import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { FinchGateway } from "@finch-connections/core/FinchGateway"
import { CustomerId, EntityId, FinchConnectionId, ProviderId } from "@finch-connections/core/Ids"
import { Product } from "@finch-connections/core/Product"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as FinchClient from "../src/FinchClient.ts"
import { recordingServer } from "./fixtures/RecordingServer.ts"

const clientId = "client-abc"
const clientSecret = "secret-xyz-do-not-leak"
const token = Redacted.make("tok-very-secret")

const clientFor = (baseUrl: string, options: FinchClient.Options = {}) =>
  FinchClient.make({
    baseUrl,
    clientId,
    clientSecret: Redacted.make(clientSecret),
    rateLimits: "off",
    retryPolicy: { initialDelay: "1 millis", maxDelay: "5 millis" },
    ...options,
  }).pipe(Effect.provide(FetchHttpClient.layer))

const tokenAnswer = {
  access_token: "tok-new",
  token_type: "bearer",
  connection_id: "conn-1",
  connection_type: "finch",
  client_type: "sandbox",
  provider_id: "gusto",
  products: ["company", "directory", " "],
  entity_ids: ["ent-1"],
  company_id: "co-1",
  account_id: "acc-1",
  customer_id: null,
  customer_name: null,
  something_new: { ignored: true },
}

describe("FinchClient on the wire", () => {
  it.scoped("POST /auth/token sends the credentials in the body and no Authorization header", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ body: tokenAnswer }))
      const client = yield* clientFor(server.baseUrl)
      const exchange = yield* client.exchangeCode({ code: "code-1", redirectUri: Option.some("https://app/cb") })
      const [request] = server.requests
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.path, "/auth/token")
      assert.isUndefined(request?.headers.authorization)
      assert.strictEqual(request?.headers["finch-api-version"], "2020-09-17")
      assert.strictEqual(request?.headers["content-type"], "application/json")
      assert.deepStrictEqual(JSON.parse(request?.body ?? ""), {
        client_id: clientId,
        client_secret: clientSecret,
        code: "code-1",
        redirect_uri: "https://app/cb",
      })
      assert.strictEqual(Redacted.value(exchange.accessToken), "tok-new")
      assert.deepStrictEqual(exchange.finchConnectionId, Option.some(FinchConnectionId.make("conn-1")))
      assert.strictEqual(exchange.providerId, "gusto")
      assert.deepStrictEqual(exchange.products, [Product.make("company"), Product.make("directory")])
      assert.deepStrictEqual(exchange.entityIds, [EntityId.make("ent-1")])
      assert.notInclude(String(exchange.accessToken), "tok-new")

      yield* client.exchangeCode({ code: "code-2", redirectUri: Option.none() })
      assert.notProperty(JSON.parse(server.requests[1]?.body ?? ""), "redirect_uri")
    }),
  )

  it.scoped("Connect sessions use Basic client credentials", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({
        status: 201,
        body: { session_id: "s-1", connect_url: "http://connect/authorize?session=s-1" },
      }))
      const client = yield* clientFor(server.baseUrl)
      const session = yield* client.createConnectSession({
        customerId: CustomerId.make("cust-1"),
        customerName: "Acme",
        products: [Product.make("directory")],
        redirectUri: Option.some("https://app/cb"),
        providerId: Option.some(ProviderId.make("gusto")),
        minutesToExpire: Option.none(),
      })
      assert.deepStrictEqual(session, { sessionId: "s-1", connectUrl: "http://connect/authorize?session=s-1" })
      const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`
      assert.strictEqual(server.requests[0]?.headers.authorization, basic)
      assert.deepStrictEqual(JSON.parse(server.requests[0]?.body ?? ""), {
        customer_id: "cust-1",
        customer_name: "Acme",
        products: ["directory"],
        redirect_uri: "https://app/cb",
        integration: { provider: "gusto" },
      })

      yield* client.createReauthenticationSession({
        finchConnectionId: FinchConnectionId.make("conn-1"),
        products: Option.none(),
        redirectUri: Option.none(),
        minutesToExpire: Option.some(60),
      })
      assert.strictEqual(server.requests[1]?.path, "/connect/sessions/reauthenticate")
      assert.strictEqual(server.requests[1]?.headers.authorization, basic)
      assert.deepStrictEqual(JSON.parse(server.requests[1]?.body ?? ""), {
        connection_id: "conn-1",
        minutes_to_expire: 60,
      })
    }),
  )

  it.scoped("Bearer calls send the token, the API version and entity_ids[]", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      const answers: Record<string, unknown> = {
        "/employer/directory": { paging: { count: 1, offset: 0 }, individuals: [{ id: "i-1", first_name: null }] },
        "/disconnect": { status: "success" },
        "/introspect": { provider_id: "gusto", products: ["directory"], connection_id: "conn-1" },
        "/employer/individual": { responses: [] },
        "/employer/employment": { responses: [] },
        "/providers": [{ id: "gusto" }],
      }
      server.answer((request) => ({ body: answers[request.path] ?? { id: "co-1", legal_name: null } }))
      const client = yield* clientFor(server.baseUrl)
      const entityId = EntityId.make("ent-9")
      yield* client.company(token, { entityId })
      const people = yield* Stream.runCollect(client.directory(token, { entityId }))
      yield* client.disconnect(token)
      yield* client.introspect(token)
      yield* client.individuals(token, ["i-1"], { entityId })
      yield* client.employments(token, ["i-1"], { entityId })
      yield* client.providers(token)
      assert.strictEqual(people.length, 1)
      assert.deepStrictEqual(
        server.requests.map((request) => `${request.method} ${request.path}`),
        [
          "GET /employer/company",
          "GET /employer/directory",
          "POST /disconnect",
          "GET /introspect",
          "POST /employer/individual",
          "POST /employer/employment",
          "GET /providers",
        ],
      )
      for (const request of server.requests) {
        assert.strictEqual(request.headers.authorization, "Bearer tok-very-secret", request.path)
        assert.strictEqual(request.headers["finch-api-version"], "2020-09-17", request.path)
      }
      assert.deepStrictEqual(server.requests[4]?.query.getAll("entity_ids[]"), ["ent-9"])
      assert.deepStrictEqual(server.requests[5]?.query.getAll("entity_ids[]"), ["ent-9"])
      // The provider catalogue can be read without a token too.
      yield* client.providers()
      assert.isUndefined(server.requests[7]?.headers.authorization)
      assert.deepStrictEqual(server.requests[0]?.query.getAll("entity_ids[]"), ["ent-9"])
      assert.strictEqual(server.requests[1]?.query.get("limit"), "10000")
      assert.strictEqual(server.requests[1]?.query.get("offset"), "0")
      assert.deepStrictEqual(server.requests[1]?.query.getAll("entity_ids[]"), ["ent-9"])
      assert.strictEqual(server.requests[2]?.method, "POST")
      assert.strictEqual(server.requests[2]?.path, "/disconnect")
    }),
  )

  it.scoped("individuals ask for SSNs only when told to", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ body: { responses: [] } }))
      const client = yield* clientFor(server.baseUrl)
      yield* client.individuals(token, ["a", "b", "a"])
      yield* client.individuals(token, ["a"], { includeSsn: true })
      assert.deepStrictEqual(JSON.parse(server.requests[0]?.body ?? ""), {
        requests: [{ individual_id: "a" }, { individual_id: "b" }],
      })
      assert.deepStrictEqual(JSON.parse(server.requests[1]?.body ?? ""), {
        requests: [{ individual_id: "a" }],
        options: { include: ["ssn"] },
      })
      assert.deepStrictEqual(yield* client.employments(token, []), [])
      assert.strictEqual(server.requests.length, 2)
    }),
  )

  it.scoped("a directory page at another offset than asked fails as FinchDecodeError instead of looping", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ body: { paging: { count: 300, offset: 0 }, individuals: [{ id: "i-1" }] } }))
      const client = yield* clientFor(server.baseUrl, { directoryPageSize: 1 })
      const error = yield* Effect.flip(Stream.runCollect(client.directory(token)))
      assert.strictEqual(error._tag, "FinchDecodeError")
      assert.include(error.detail, "offset")
      assert.strictEqual(server.requests.length, 2)
    }),
  )

  it.scoped("an undecodable body is a FinchDecodeError, never retried, without the token in it", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ body: { access_token: "tok-leak", products: "nope" } }))
      const client = yield* clientFor(server.baseUrl)
      const error = yield* Effect.flip(client.exchangeCode({ code: "c", redirectUri: Option.none() }))
      assert.strictEqual(error._tag, "FinchDecodeError")
      assert.strictEqual(error.requestId, "req-1")
      assert.strictEqual(error.operation, "POST /auth/token")
      assert.notInclude(`${error.message} ${JSON.stringify(error)}`, "tok-leak")
      server.answer(() => ({ body: "<html>" }))
      const notJson = yield* Effect.flip(client.introspect(token))
      assert.strictEqual(notJson._tag, "FinchDecodeError")
      assert.strictEqual(server.requests.length, 2)
    }),
  )

  it.scoped("an introspection with a malformed id is a FinchDecodeError naming the field, not a defect", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({
        body: { provider_id: "gusto", products: ["directory"], connection_id: "conn-1", company_id: "c".repeat(300) },
      }))
      const client = yield* clientFor(server.baseUrl)
      const error = yield* Effect.flip(client.introspect(token))
      assert.strictEqual(error._tag, "FinchDecodeError")
      assert.include(error.detail, "companyId")
      assert.notInclude(error.detail, "ccc")
    }),
  )

  it.scoped("no error or span attribute carries the token or the client secret", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ status: 401, body: { code: 401, name: "invalid_token_error", message: "bad token" } }))
      const client = yield* clientFor(server.baseUrl)
      const errors = [
        yield* Effect.flip(client.introspect(token)),
        yield* Effect.flip(client.exchangeCode({ code: "c", redirectUri: Option.none() })),
        yield* Effect.flip(
          client.createReauthenticationSession({
            finchConnectionId: FinchConnectionId.make("conn-1"),
            products: Option.none(),
            redirectUri: Option.none(),
            minutesToExpire: Option.none(),
          }),
        ),
      ]
      for (const error of errors) {
        assert.strictEqual(error._tag, "FinchUnauthorized")
        const shown = `${error.message} ${JSON.stringify(error)} ${String(error)}`
        assert.notInclude(shown, "tok-very-secret")
        assert.notInclude(shown, clientSecret)
      }
    }),
  )

  it.scoped("a token or client secret echoed back in an error body is scrubbed from the error", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      const client = yield* clientFor(server.baseUrl, { maxRetries: 0 })
      server.answer(() => ({
        status: 401,
        body: { code: 401, name: "invalid_token_error", message: `token tok-very-secret is revoked` },
      }))
      const echoedToken = yield* Effect.flip(client.introspect(token))
      server.answer(() => ({ status: 502, body: `<html>upstream saw client_secret=${clientSecret}</html>` }))
      const echoedSecret = yield* Effect.flip(client.exchangeCode({ code: "c", redirectUri: Option.none() }))
      assert.include(echoedToken.detail, "is revoked")
      assert.include(echoedSecret.detail, "upstream saw")
      for (const error of [echoedToken, echoedSecret]) {
        const shown = `${error.message} ${JSON.stringify(error)} ${String(error)}`
        assert.notInclude(shown, "tok-very-secret")
        assert.notInclude(shown, clientSecret)
        assert.include(shown, "[redacted]")
      }
    }),
  )

  it.effect("calls needing client credentials die with a clear message when none are configured", () =>
    Effect.gen(function* () {
      const client = yield* FinchClient.make({ baseUrl: "http://127.0.0.1:9" }).pipe(
        Effect.provide(FetchHttpClient.layer),
      )
      const exit = yield* Effect.exit(client.exchangeCode({ code: "c", redirectUri: Option.none() }))
      assert.isTrue(Exit.isFailure(exit) && !Exit.isInterrupted(exit))
      assert.include(String(exit), "FINCH_CLIENT_ID")
    }),
  )

  it.scoped("layerConfig reads FINCH_* through Config and provides both the client and core's FinchGateway", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ body: { id: "co-1" } }))
      const config = ConfigProvider.fromMap(
        new Map([
          ["FINCH_BASE_URL", server.baseUrl],
          ["FINCH_CLIENT_ID", clientId],
          ["FINCH_CLIENT_SECRET", clientSecret],
          ["FINCH_TIMEOUT_MS", "5000"],
          ["FINCH_MAX_RETRIES", "0"],
          ["FINCH_RATE_LIMITS", "off"],
        ]),
      )
      const live = FinchClient.layerConfig().pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(Layer.setConfigProvider(config)),
      )
      const company = yield* Effect.flatMap(FinchGateway, (gateway) => gateway.company(token)).pipe(
        Effect.provide(live),
      )
      assert.strictEqual(company.id, "co-1")
      yield* Effect.flatMap(FinchClient.FinchClient, (client) => client.company(token)).pipe(Effect.provide(live))
      assert.strictEqual(server.requests.length, 2)

      const bad = ConfigProvider.fromMap(new Map([["FINCH_BASE_URL", "ftp://nope"]]))
      const exit = yield* Effect.exit(
        Layer.build(
          FinchClient.layerConfig().pipe(
            Layer.provide(FetchHttpClient.layer),
            Layer.provide(Layer.setConfigProvider(bad)),
          ),
        ),
      )
      assert.isTrue(Exit.isFailure(exit))
    }),
  )
})

// These run on the live clock: backoff, Retry-After and timeouts really elapse.
describe("FinchClient retries on the wire", () => {
  it.scopedLive("retries 5xx, 429, 408 and 409 up to maxRetries, and never a 4xx that cannot succeed", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      const client = yield* clientFor(server.baseUrl, { maxRetries: 2 })
      for (const status of [500, 502, 503, 429, 408, 409]) {
        server.requests.length = 0
        server.answer(() => ({ status, body: { code: status, name: "x", message: "again" } }))
        yield* Effect.flip(client.introspect(token))
        assert.strictEqual(server.requests.length, 3, `HTTP ${status}`)
      }
      for (const status of [400, 401, 403, 404, 422]) {
        server.requests.length = 0
        server.answer(() => ({ status, body: { code: status, name: "x", message: "no" } }))
        yield* Effect.flip(client.introspect(token))
        assert.strictEqual(server.requests.length, 1, `HTTP ${status}`)
      }
    }),
  )

  it.scopedLive("a 503 then a 200 succeeds on the retry", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => (server.requests.length === 1 ? { status: 503, body: "" } : { body: { id: "co-1" } }))
      const client = yield* clientFor(server.baseUrl)
      assert.strictEqual((yield* client.company(token)).id, "co-1")
      assert.strictEqual(server.requests.length, 2)
    }),
  )

  it.scopedLive("honours retry-after-ms between attempts", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      const at: Array<number> = []
      server.answer(() => {
        at.push(Date.now())
        return at.length === 1
          ? {
              status: 429,
              headers: { "retry-after-ms": "300" },
              body: { code: 429, name: "rate_limit_exceeded_error" },
            }
          : { body: { id: "co-1" } }
      })
      const client = yield* clientFor(server.baseUrl)
      yield* client.company(token)
      assert.isAtLeast((at[1] ?? 0) - (at[0] ?? 0), 290)
    }),
  )

  it.scopedLive("a slow answer is a FinchTimeout after retries", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ delayMs: 1_000, body: { id: "co-1" } }))
      const client = yield* clientFor(server.baseUrl, { timeout: "100 millis", maxRetries: 1 })
      const error = yield* Effect.flip(client.company(token))
      assert.strictEqual(error._tag, "FinchTimeout")
      assert.strictEqual(error._tag === "FinchTimeout" && error.timeoutMs, 100)
      assert.strictEqual(server.requests.length, 2)
    }),
  )

  it.scopedLive("a dropped connection is a FinchTransportError after retries", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      server.answer(() => ({ drop: true }))
      const client = yield* clientFor(server.baseUrl, { maxRetries: 2 })
      const error = yield* Effect.flip(client.company(token))
      assert.strictEqual(error._tag, "FinchTransportError")
      assert.strictEqual(error.operation, "GET /employer/company")
      assert.strictEqual(server.requests.length, 3)
    }),
  )

  it.scopedLive("a refused connection is a FinchTransportError", () =>
    Effect.gen(function* () {
      const client = yield* clientFor("http://127.0.0.1:9", { maxRetries: 0 })
      const error = yield* Effect.flip(client.company(token))
      assert.strictEqual(error._tag, "FinchTransportError")
      assert.notInclude(JSON.stringify(error), "tok-very-secret")
    }),
  )
})

describe("FinchClient state-changing calls on the wire", () => {
  it.scopedLive("a disconnect whose answer was lost is done when the retry finds the token already revoked", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer
      let revoked = false
      server.answer(() => {
        if (!revoked) {
          revoked = true
          return { drop: true }
        }
        return { status: 401, body: { code: 401, name: "invalid_token_error", message: "revoked" } }
      })
      const client = yield* clientFor(server.baseUrl, { maxRetries: 2 })
      yield* client.disconnect(token)
      assert.strictEqual(server.requests.length, 2)
      // Without a lost earlier attempt, the same 401 is the caller's to see.
      server.requests.length = 0
      const error = yield* Effect.flip(client.disconnect(token))
      assert.strictEqual(error._tag, "FinchUnauthorized")
      assert.strictEqual(server.requests.length, 1)
    }),
  )
})
