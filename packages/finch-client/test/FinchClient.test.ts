/**
 * The client end to end against finch-sandbox over real HTTP on loopback: every endpoint, every error Finch can
 * answer, retries counted at the sandbox, 25,000-person paging, batch limits, 202s, reauthentication, revocation,
 * latency and dropped connections.
 */
import { assert, describe, it } from "@effect/vitest"
import type { BatchItem } from "@finch-connections/core/FinchData"
import { CustomerId, EntityId, FinchConnectionId, ProviderId } from "@finch-connections/core/Ids"
import { Product } from "@finch-connections/core/Product"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { sandbox } from "./fixtures/Sandbox.ts"

const products = (...names: ReadonlyArray<string>) => names.map((name) => Product.make(name))
const sessionRequest = {
  customerId: CustomerId.make("customer-1"),
  customerName: "Acme Inc",
  products: products("company", "directory", "individual", "employment"),
  redirectUri: Option.some("https://app.example.com/finch/callback"),
  providerId: Option.some(ProviderId.make("gusto")),
  minutesToExpire: Option.none(),
}
const statuses = (log: { readonly requests: ReadonlyArray<{ readonly status: number }> }) =>
  log.requests.map((r) => r.status)
const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)
const found = <A>(items: ReadonlyArray<BatchItem<A>>) => items.filter((item) => item._tag === "Found")

describe("FinchClient against the sandbox: the Connect flow", () => {
  it.scopedLive("opens a session, exchanges the code, introspects the token, and reauthenticates it in place", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const session = yield* client.createConnectSession(sessionRequest)
      assert.include(session.connectUrl, session.sessionId)
      assert.isTrue(session.connectUrl.startsWith(finch.baseUrl))
      const completed = yield* finch.admin<{ code: string }>(
        "POST",
        `/connect/sessions/${session.sessionId}/complete`,
        {
          provider_id: "gusto",
          username: "good_user",
        },
      )
      const exchange = yield* client.exchangeCode({
        code: completed.code,
        redirectUri: Option.some("https://app.example.com/finch/callback"),
      })
      assert.strictEqual(exchange.providerId, "gusto")
      assert.isTrue(Option.isSome(exchange.finchConnectionId))
      assert.isTrue(Option.isSome(exchange.companyId))
      assert.deepStrictEqual([...exchange.products].sort(), ["company", "directory", "employment", "individual"])

      const introspection = yield* client.introspect(exchange.accessToken)
      assert.deepStrictEqual(introspection.finchConnectionId, exchange.finchConnectionId)
      assert.deepStrictEqual(introspection.companyId, exchange.companyId)
      assert.deepStrictEqual(introspection.accountId, exchange.accountId)
      assert.deepStrictEqual(introspection.finchCustomerId, Option.some("customer-1"))
      assert.deepStrictEqual(introspection.status, Option.some("connected"))

      // The code is single use.
      const reused = yield* Effect.flip(client.exchangeCode({ code: completed.code, redirectUri: Option.none() }))
      assert.strictEqual(reused._tag, "FinchBadRequest")
      assert.strictEqual(reused._tag === "FinchBadRequest" && reused.errorName, "invalid_grant_error")

      // Finch asks for reauthentication: data calls say so; a reauth session keeps the connection, mints a new token.
      const connectionId = Option.getOrThrow(exchange.finchConnectionId)
      yield* finch.admin("POST", `/connections/${connectionId}/status`, { status: "reauth" })
      const reauth = yield* Effect.flip(client.company(exchange.accessToken))
      assert.strictEqual(reauth._tag, "FinchReauthRequired")
      assert.isNotNull(reauth.requestId)
      assert.strictEqual(reauth.operation, "GET /employer/company")
      assert.isTrue((yield* client.introspect(exchange.accessToken)).needsReauthentication)

      const reauthSession = yield* client.createReauthenticationSession({
        finchConnectionId: FinchConnectionId.make(connectionId),
        products: Option.none(),
        redirectUri: Option.none(),
        minutesToExpire: Option.some(60),
      })
      const again = yield* finch.admin<{ code: string }>(
        "POST",
        `/connect/sessions/${reauthSession.sessionId}/complete`,
        { username: "good_user" },
      )
      const renewed = yield* client.exchangeCode({ code: again.code, redirectUri: Option.none() })
      assert.deepStrictEqual(renewed.finchConnectionId, exchange.finchConnectionId)
      assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(exchange.accessToken))
      const company = yield* client.company(renewed.accessToken)
      assert.strictEqual(company.id, Option.getOrThrow(exchange.companyId))
    }),
  )

  it.scopedLive("wrong client credentials are FinchUnauthorized on Basic and body-credential calls alike", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ clientSecret: Redacted.make("wrong-secret") })
      const session = yield* Effect.flip(client.createConnectSession(sessionRequest))
      assert.strictEqual(session._tag, "FinchUnauthorized")
      assert.strictEqual(session._tag === "FinchUnauthorized" && session.errorName, "invalid_client_error")
      const token = yield* Effect.flip(client.exchangeCode({ code: "whatever", redirectUri: Option.none() }))
      assert.strictEqual(token._tag, "FinchUnauthorized")
      const reauth = yield* Effect.flip(
        client.createReauthenticationSession({
          finchConnectionId: FinchConnectionId.make("nope"),
          products: Option.none(),
          redirectUri: Option.none(),
          minutesToExpire: Option.none(),
        }),
      )
      assert.strictEqual(reauth._tag, "FinchUnauthorized")
      const log = yield* finch.requests
      assert.deepStrictEqual(statuses(log), [401, 401, 401])
    }),
  )

  it.scopedLive(
    "an unknown code is FinchBadRequest invalid_grant_error; an unknown connection to reauth is FinchNotFound",
    () =>
      Effect.gen(function* () {
        const finch = yield* sandbox()
        const client = yield* finch.client()
        const grant = yield* Effect.flip(client.exchangeCode({ code: "not-a-code", redirectUri: Option.none() }))
        assert.strictEqual(grant._tag === "FinchBadRequest" && grant.status, 400)
        const missing = yield* Effect.flip(
          client.createReauthenticationSession({
            finchConnectionId: FinchConnectionId.make("no-such-connection"),
            products: Option.none(),
            redirectUri: Option.none(),
            minutesToExpire: Option.none(),
          }),
        )
        assert.strictEqual(missing._tag, "FinchNotFound")
      }),
  )
})

describe("FinchClient against the sandbox: data", () => {
  it.scopedLive("reads the company and the provider list", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({ employee_size: 5 })
      const company = yield* client.company(connection.token)
      assert.strictEqual(company.id, connection.company_id)
      const providers = yield* client.providers(connection.token)
      assert.isTrue(providers.some((provider) => provider.id === "gusto"))
      assert.isTrue((yield* client.providers()).length === providers.length)
    }),
  )

  it.scopedLive(
    "pages a 25,000-person directory in pages of 10,000 and batches 25,000 ids in requests of 10,000",
    () =>
      Effect.gen(function* () {
        const finch = yield* sandbox()
        const client = yield* finch.client()
        const connection = yield* finch.connect({ employee_size: 25_000 })
        yield* finch.clearRequests
        const directory = Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(connection.token)))
        assert.strictEqual(directory.length, 25_000)
        assert.strictEqual(new Set(ids(directory)).size, 25_000)
        const individuals = yield* client.individuals(connection.token, ids(directory))
        const employments = yield* client.employments(connection.token, ids(directory))
        assert.strictEqual(found(individuals).length, 25_000)
        assert.strictEqual(found(employments).length, 25_000)
        assert.deepStrictEqual(
          individuals.map((item) => item.individualId),
          ids(directory),
        )
        const log = yield* finch.requests
        assert.deepStrictEqual(log.counts, {
          "GET /employer/directory": 3,
          "POST /employer/individual": 3,
          "POST /employer/employment": 3,
        })
      }),
    60_000,
  )

  it.scopedLive("pages with a smaller page size too, and stops on an empty directory after one request", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ directoryPageSize: 7 })
      const connection = yield* finch.connect({ employee_size: 30 })
      yield* finch.clearRequests
      const directory = yield* Stream.runCollect(client.directory(connection.token))
      assert.strictEqual(directory.length, 30)
      assert.strictEqual((yield* finch.requests).counts["GET /employer/directory"], 5)
      // Only the first page is fetched when the stream is cut short.
      yield* finch.clearRequests
      yield* Stream.runCollect(Stream.take(client.directory(connection.token), 3))
      assert.strictEqual((yield* finch.requests).counts["GET /employer/directory"], 1)
    }),
  )

  it.scopedLive("surfaces each batch item on its own: unknown ids fail alone, SSNs only when asked and granted", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({
        employee_size: 3,
        products: ["company", "directory", "individual", "employment", "ssn"],
      })
      const people = ids(Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(connection.token))))
      const items = yield* client.individuals(connection.token, [...people, "00000000-0000-0000-0000-000000000000"])
      assert.strictEqual(found(items).length, 3)
      const missing = items.find((item) => item._tag === "Failed")
      assert.strictEqual(missing?._tag === "Failed" && missing.code, 404)
      assert.strictEqual(missing?._tag === "Failed" && missing.error.finch_code, "individual_not_found")
      const withoutSsn = found(items).map((item) => (item._tag === "Found" ? item.body.ssn : undefined))
      assert.isTrue(withoutSsn.every((ssn) => ssn === undefined || ssn === null))
      const withSsn = found(yield* client.individuals(connection.token, people, { includeSsn: true }))
      assert.isTrue(withSsn.every((item) => item._tag === "Found" && typeof item.body.ssn === "string"))
    }),
  )

  it.scopedLive("reads one entity of a multi-entity connection with entity_ids[]", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({ employee_size: 4 })
      const entityId = connection.entity_ids[0]
      assert.isDefined(entityId)
      const company = yield* client.company(connection.token, { entityId: EntityId.make(entityId!) })
      assert.strictEqual(company.id, connection.company_id)
      const foreign = yield* Effect.flip(client.company(connection.token, { entityId: EntityId.make("not-mine") }))
      assert.strictEqual(foreign._tag, "FinchBadRequest")
    }),
  )
})

describe("FinchClient against the sandbox: errors", () => {
  it.scopedLive("a token without the product is FinchForbidden", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({ products: ["company", "directory"] })
      const error = yield* Effect.flip(client.employments(connection.token, ["x"]))
      assert.strictEqual(error._tag, "FinchForbidden")
      assert.strictEqual(error._tag === "FinchForbidden" && error.errorName, "insufficient_scope_error")
    }),
  )

  it.scopedLive("revoked, disconnected and unknown tokens are FinchUnauthorized, never retried", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const revoked = yield* finch.connect({ employee_size: 2 })
      yield* finch.admin("POST", "/tokens/revoke", { access_token: revoked.access_token })
      const disconnected = yield* finch.connect({ employee_size: 2 })
      yield* client.disconnect(disconnected.token)
      yield* finch.clearRequests
      for (const token of [revoked.token, disconnected.token, Redacted.make("never-issued")]) {
        const error = yield* Effect.flip(client.introspect(token))
        assert.strictEqual(error._tag, "FinchUnauthorized")
        assert.strictEqual(error._tag === "FinchUnauthorized" && error.errorName, "invalid_token_error")
        assert.notInclude(`${JSON.stringify(error)} ${error.message} ${String(error)}`, Redacted.value(token))
      }
      assert.deepStrictEqual(statuses(yield* finch.requests), [401, 401, 401])
    }),
  )

  it.scopedLive("an assisted connection still being set up answers 202: FinchDataPending, not retried", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.admin("POST", `/connections/${connection.connection_id}/status`, { status: "pending" })
      yield* finch.clearRequests
      const error = yield* Effect.flip(Stream.runCollect(client.directory(connection.token)))
      assert.strictEqual(error._tag, "FinchDataPending")
      assert.strictEqual(error.operation, "GET /employer/directory")
      assert.deepStrictEqual(statuses(yield* finch.requests), [202])
    }),
  )

  it.scopedLive("each injected status maps to its error, retried only where it can succeed", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ maxRetries: 2 })
      const connection = yield* finch.connect({ employee_size: 2 })
      const cases: ReadonlyArray<readonly [number, string, number]> = [
        [400, "FinchBadRequest", 1],
        [404, "FinchNotFound", 1],
        [422, "FinchBadRequest", 1],
        [408, "FinchTimeout", 3],
        [409, "FinchBadRequest", 3],
        [429, "FinchRateLimited", 3],
        [500, "FinchServerError", 3],
        [502, "FinchServerError", 3],
        [503, "FinchServerError", 3],
      ]
      for (const [status, tag, attempts] of cases) {
        yield* finch.clearRequests
        yield* finch.fault({ path: "/employer/company", status, count: 5 })
        const error = yield* Effect.flip(client.company(connection.token))
        assert.strictEqual(error._tag, tag, `HTTP ${status}`)
        assert.isNotNull(error.requestId, `HTTP ${status} carries Finch-Request-Id`)
        assert.strictEqual((yield* finch.requests).requests.length, attempts, `HTTP ${status} attempts`)
        yield* finch.admin("DELETE", "/faults")
      }
    }),
  )

  it.scopedLive("retries two 503s and succeeds on the third attempt, as counted at the sandbox", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ maxRetries: 2 })
      const connection = yield* finch.connect({ employee_size: 12 })
      yield* finch.clearRequests
      yield* finch.fault({ path: "/employer/directory", status: 503, count: 2 })
      const directory = yield* Stream.runCollect(client.directory(connection.token))
      assert.strictEqual(directory.length, 12)
      assert.deepStrictEqual(statuses(yield* finch.requests), [503, 503, 200])
    }),
  )

  it.scopedLive("the retry bound is configurable, and 0 means one attempt", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const connection = yield* finch.connect({ employee_size: 2 })
      for (const maxRetries of [0, 4]) {
        const client = yield* finch.client({ maxRetries })
        yield* finch.clearRequests
        yield* finch.fault({ status: 500, count: 10 })
        yield* Effect.flip(client.introspect(connection.token))
        assert.strictEqual((yield* finch.requests).requests.length, maxRetries + 1)
        yield* finch.admin("DELETE", "/faults")
      }
    }),
  )

  it.scopedLive("waits as long as Retry-After / retry-after-ms say before retrying", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.fault({ path: "/employer/company", status: 429, count: 1, retry_after_ms: 400 })
      const started = Date.now()
      yield* client.company(connection.token)
      assert.isAtLeast(Date.now() - started, 390)

      yield* finch.fault({ path: "/employer/company", status: 503, count: 1, retry_after: 1 })
      const again = Date.now()
      yield* client.company(connection.token)
      assert.isAtLeast(Date.now() - again, 990)
    }),
  )

  it.scopedLive("a Retry-After beyond what the client sleeps through surfaces FinchRateLimited with the wait", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ retryPolicy: { maxRetryAfter: "5 seconds" } })
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.clearRequests
      yield* finch.fault({ path: "/employer/company", status: 429, count: 1, retry_after: 120 })
      const error = yield* Effect.flip(client.company(connection.token))
      assert.strictEqual(error._tag, "FinchRateLimited")
      assert.strictEqual(error._tag === "FinchRateLimited" && error.retryAfterMs, 120_000)
      assert.strictEqual((yield* finch.requests).requests.length, 1)
    }),
  )

  it.scopedLive("Finch's own rate limit (429 rate_limit_exceeded_error) is FinchRateLimited after retries", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox({ rateLimits: "always" })
      const client = yield* finch.client({ maxRetries: 1 })
      const connection = yield* finch.connect({ employee_size: 2 })
      const error = yield* Effect.flip(client.company(connection.token))
      assert.strictEqual(error._tag, "FinchRateLimited")
      assert.strictEqual((yield* finch.requests).counts["GET /employer/company"], 2)
    }),
  )

  it.scopedLive("latency beyond the timeout is FinchTimeout after retries", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ timeout: "150 millis", maxRetries: 1 })
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.clearRequests
      yield* finch.fault({ path: "/introspect", latency_ms: 600, count: 2 })
      const error = yield* Effect.flip(client.introspect(connection.token))
      assert.strictEqual(error._tag, "FinchTimeout")
      assert.strictEqual(error._tag === "FinchTimeout" && error.timeoutMs, 150)
      yield* Effect.sleep("700 millis")
      assert.strictEqual((yield* finch.requests).counts["GET /introspect"], 2)
      // Latency within the timeout is fine.
      yield* finch.fault({ path: "/introspect", latency_ms: 50, count: 1 })
      yield* client.introspect(connection.token)
    }),
  )

  it.scopedLive("dropped connections are FinchTransportError after retries, and recovered from within them", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client({ maxRetries: 2 })
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.clearRequests
      yield* finch.fault({ path: "/employer/company", drop: true, count: 3 })
      const error = yield* Effect.flip(client.company(connection.token))
      assert.strictEqual(error._tag, "FinchTransportError")
      assert.strictEqual(error.operation, "GET /employer/company")
      assert.strictEqual((yield* finch.requests).counts["GET /employer/company"], 3)
      yield* finch.fault({ path: "/employer/company", drop: true, count: 1 })
      assert.strictEqual((yield* client.company(connection.token)).id, connection.company_id)
    }),
  )
})

describe("FinchClient against the sandbox: rate limits", () => {
  it.scopedLive("with Finch's limits on at both ends, the client holds the 21st call instead of collecting a 429", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox({ rateLimits: "finch" })
      const client = yield* finch.client({ rateLimits: "finch" })
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.clearRequests
      for (let i = 0; i < 20; i++) yield* client.company(connection.token)
      const held = yield* Effect.fork(client.company(connection.token))
      yield* Effect.sleep("500 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(held)))
      const log = yield* finch.requests
      assert.strictEqual(log.counts["GET /employer/company"], 20)
      assert.isTrue(statuses(log).every((status) => status === 200))
      // Other endpoints have their own budget.
      yield* client.introspect(connection.token)
      yield* Stream.runCollect(client.directory(connection.token))
      yield* Fiber.interrupt(held)
    }),
  )

  it.scopedLive("without the client's limiter, Finch's 21st call in a minute is a 429 FinchRateLimited", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox({ rateLimits: "finch", rateLimitRetryAfter: true })
      const client = yield* finch.client({ rateLimits: "off", retryPolicy: { maxRetryAfter: "1 second" } })
      const connection = yield* finch.connect({ employee_size: 2 })
      for (let i = 0; i < 20; i++) yield* client.company(connection.token)
      const error = yield* Effect.flip(client.company(connection.token))
      assert.strictEqual(error._tag, "FinchRateLimited")
      assert.isTrue(error._tag === "FinchRateLimited" && (error.retryAfterMs ?? 0) > 1000)
    }),
  )
})

describe("FinchClient against the sandbox: secrets", () => {
  it.scopedLive("no span, span attribute, span event or log line carries a token, the client secret or an SSN", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const spans: Array<Tracer.Span> = []
      const native = yield* Effect.tracer
      const recording = Tracer.make({
        span: (...args) => {
          const span = native.span(...args)
          spans.push(span)
          return span
        },
        context: native.context,
      })
      const logs: Array<string> = []
      const capture = Logger.make(({ message, annotations, cause }) => {
        logs.push(`${JSON.stringify(message)} ${JSON.stringify([...annotations])} ${String(cause)}`)
      })

      const secrets = yield* Effect.gen(function* () {
        const client = yield* finch.client()
        const session = yield* client.createConnectSession(sessionRequest)
        const { code } = yield* finch.admin<{ code: string }>(
          "POST",
          `/connect/sessions/${session.sessionId}/complete`,
          {
            provider_id: "gusto",
            username: "good_user",
          },
        )
        const exchange = yield* client.exchangeCode({ code, redirectUri: Option.none() })
        yield* client.introspect(exchange.accessToken)
        const connection = yield* finch.connect({
          employee_size: 5,
          products: ["company", "directory", "individual", "employment", "ssn"],
        })
        const people = ids(Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(connection.token))))
        const individuals = yield* client.individuals(connection.token, people, { includeSsn: true })
        yield* client.employments(connection.token, people)
        yield* finch.fault({ path: "/employer/company", status: 500, count: 1 })
        yield* client.company(connection.token)
        yield* Effect.flip(client.company(Redacted.make("tok-not-issued-but-secret")))
        const ssns = individuals.flatMap((item) => (item._tag === "Found" && item.body.ssn ? [item.body.ssn] : []))
        assert.strictEqual(ssns.length, 5)
        return [
          Redacted.value(exchange.accessToken),
          connection.access_token,
          finch.clientSecret,
          "tok-not-issued-but-secret",
          ...ssns,
        ]
      }).pipe(
        Effect.withTracer(recording),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
        Logger.withMinimumLogLevel(LogLevel.All),
      )

      assert.isAbove(spans.length, 10)
      const recorded = [
        ...logs,
        ...spans.map((span) =>
          JSON.stringify({
            name: span.name,
            attributes: [...span.attributes].map(([key, value]) => [key, String(value)]),
            events: (span as unknown as { events?: unknown }).events,
            // What exporters record of an ended span: its failure, if any (success values are not exported).
            status:
              span.status._tag === "Ended"
                ? span.status.exit._tag === "Failure"
                  ? String(span.status.exit.cause)
                  : "ok"
                : "open",
          }),
        ),
      ].join("\n")
      assert.include(recorded, "FinchClient.individuals")
      for (const secret of secrets) {
        const at = recorded.indexOf(secret)
        assert.strictEqual(at, -1, `${secrets.indexOf(secret)}: ${recorded.slice(Math.max(0, at - 300), at + 60)}`)
      }
    }),
  )
})

describe("FinchClient: a limiter of one's own", () => {
  it.scopedLive(
    "takes a slot from the given limiter before every attempt, in place of its own, and settles it after",
    () =>
      Effect.gen(function* () {
        const finch = yield* sandbox()
        const events: Array<string> = []
        const client = yield* finch.client({
          rateLimiter: {
            take: (operation) =>
              Effect.sync(() => {
                events.push(`take ${operation}`)
                return Effect.sync(() => void events.push(`settle ${operation}`))
              }),
          },
        })
        const connection = yield* finch.connect({ employee_size: 3 })
        const directory = Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(connection.token)))
        yield* client.individuals(connection.token, ids(directory))
        assert.deepStrictEqual(events, [
          "take GET /employer/directory",
          "settle GET /employer/directory",
          "take POST /employer/individual",
          "settle POST /employer/individual",
        ])
      }),
  )

  it.scopedLive("settles the slot of an attempt that failed, once per attempt", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox({ rateLimits: "always" })
      const events: Array<string> = []
      const client = yield* finch.client({
        maxRetries: 1,
        retryPolicy: { initialDelay: "1 millis", maxDelay: "1 millis" },
        rateLimiter: {
          take: () =>
            Effect.sync(() => {
              events.push("take")
              return Effect.sync(() => void events.push("settle"))
            }),
        },
      })
      const connection = yield* finch.connect({ employee_size: 3 })
      yield* Effect.flip(client.company(connection.token))
      assert.deepStrictEqual(events, ["take", "settle", "take", "settle"])
    }),
  )
})
