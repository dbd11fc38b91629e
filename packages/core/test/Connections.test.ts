import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ConnectionNotFound } from "../src/Connection.ts"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import * as Connections from "../src/Connections.ts"
import * as Customers from "../src/Customers.ts"
import { EmployeeStore } from "../src/EmployeeStore.ts"
import { FinchReauthRequired, FinchServerError, FinchUnauthorized } from "../src/FinchError.ts"
import { FinchGateway, FinchMemory } from "../src/FinchGateway.ts"
import { ConnectionId, CustomerId, ProviderId } from "../src/Ids.ts"
import type { Introspection } from "../src/Introspection.ts"
import { employeeSyncProducts, Product } from "../src/Product.ts"
import { CoreTest } from "../testing/CoreTest.ts"
import * as Fixtures from "../testing/Fixtures.ts"

const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

type CoreServices = Layer.Layer.Success<typeof CoreTest>

/** The two customers most cases start from. */
const setup = Effect.gen(function* () {
  yield* Customers.createCustomer({ id: acme, name: "Acme Inc." })
  yield* Customers.createCustomer({ id: globex, name: "Globex" })
})

/** A login at Gusto's company c1, the provider+company most cases connect to. */
const gustoC1 = (account: string) => Fixtures.introspection({ provider: "gusto", company: "c1", account })

/** Finch Connect completed by the employer: the code Finch hands back, exchanged by the app. */
const connect = (customerId: CustomerId, introspection: Introspection, accessToken = Fixtures.unique("token")) =>
  Effect.gen(function* () {
    const finch = yield* FinchMemory
    const code = Fixtures.unique("code")
    yield* finch.grant(code, accessToken, introspection)
    const recorded = yield* Connections.completeConnect({ customerId, code })
    return { ...recorded, accessToken }
  })

/** The token `withAccessToken` hands out, as Finch saw it. */
const tokenUsed = (customerId: CustomerId, connectionId: ConnectionId, products = employeeSyncProducts) =>
  Effect.gen(function* () {
    const finch = yield* FinchGateway
    return yield* Connections.withAccessToken(customerId, connectionId, products, (token) =>
      Effect.as(finch.company(token), Redacted.value(token)),
    )
  })

describe("Customers", () => {
  it.effect("createCustomer trims the name and refuses a taken id or a blank name", () =>
    Effect.gen(function* () {
      const created = yield* Customers.createCustomer({ id: acme, name: "  Acme Inc.  " })
      assert.strictEqual(created.name, "Acme Inc.")
      assert.strictEqual((yield* Customers.getCustomer(acme)).name, "Acme Inc.")
      const taken = yield* Effect.flip(Customers.createCustomer({ id: acme, name: "Other" }))
      assert.strictEqual(taken._tag, "CustomerAlreadyExists")
      const blank = yield* Effect.flip(Customers.createCustomer({ id: globex, name: "   " }))
      assert.strictEqual(blank._tag, "ParseError")
      assert.strictEqual((yield* Effect.flip(Customers.getCustomer(globex)))._tag, "CustomerNotFound")
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("startConnect", () => {
  it.effect("opens a Connect session stamped with our customer id and name", () =>
    Effect.gen(function* () {
      yield* setup
      const session = yield* Connections.startConnect({
        customerId: acme,
        products: employeeSyncProducts,
        redirectUri: "http://127.0.0.1/callback",
        providerId: ProviderId.make("gusto"),
      })
      const [opened] = yield* (yield* FinchMemory).sessions
      assert.strictEqual(opened?.kind, "connect")
      assert.strictEqual(opened?.session.sessionId, session.sessionId)
      if (opened?.kind !== "connect") return
      assert.strictEqual(opened.request.customerId, "acme")
      assert.strictEqual(opened.request.customerName, "Acme Inc.")
      assert.deepStrictEqual(opened.request.products, employeeSyncProducts)
      assert.deepStrictEqual(Option.getOrNull(opened.request.redirectUri), "http://127.0.0.1/callback")
      assert.deepStrictEqual(Option.getOrNull(opened.request.providerId), "gusto")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("an unknown customer gets CustomerNotFound and no session", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Connections.startConnect({ customerId: acme, products: employeeSyncProducts }))
      assert.strictEqual(error._tag, "CustomerNotFound")
      assert.lengthOf(yield* (yield* FinchMemory).sessions, 0)
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("completeConnect", () => {
  it.effect("code → token → introspect → a new connection whose token is the one Finch issued", () =>
    Effect.gen(function* () {
      yield* setup
      const recorded = yield* connect(acme, gustoC1("a1"))
      assert.strictEqual(recorded.classification, "NewConnection")
      assert.strictEqual(recorded.connection.customerId, acme)
      assert.strictEqual(yield* tokenUsed(acme, recorded.connection.id), recorded.accessToken)
      assert.deepStrictEqual(
        (yield* Connections.listConnections(acme)).map((c) => c.id),
        [recorded.connection.id],
      )
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a second login at the same provider+company is a new account of the same connection", () =>
    Effect.gen(function* () {
      yield* setup
      const first = yield* connect(acme, gustoC1("a1"))
      const second = yield* connect(acme, gustoC1("a2"))
      assert.strictEqual(second.classification, "NewAccount")
      assert.strictEqual(second.connection.id, first.connection.id)
      assert.lengthOf(yield* Connections.listConnections(acme), 1)
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a code works once: the second exchange is Finch's invalid_grant_error", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      yield* finch.grant("code-1", "token-1", gustoC1("a1"))
      yield* Connections.completeConnect({ customerId: acme, code: "code-1" })
      const error = yield* Effect.flip(Connections.completeConnect({ customerId: acme, code: "code-1" }))
      assert.strictEqual(error._tag, "FinchBadRequest")
      assert.strictEqual(error._tag === "FinchBadRequest" ? error.finchCode : null, "invalid_grant_error")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("an unknown customer is refused before the single-use code is spent", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      yield* finch.grant("code-1", "token-1", gustoC1("a1"))
      const error = yield* Effect.flip(
        Connections.completeConnect({ customerId: CustomerId.make("nobody"), code: "code-1" }),
      )
      assert.strictEqual(error._tag, "CustomerNotFound")
      const recorded = yield* Connections.completeConnect({ customerId: acme, code: "code-1" })
      assert.strictEqual(recorded.classification, "NewConnection")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a token from another customer's Connect session is refused and not stored (nor revoked at Finch)", () =>
    Effect.gen(function* () {
      yield* setup
      const error = yield* Effect.flip(
        connect(
          acme,
          Fixtures.introspection({ provider: "gusto", finchConnection: "f1", finchCustomer: "globex" }),
          "t1",
        ),
      )
      assert.strictEqual(error._tag, "ForeignConnectSession")
      assert.lengthOf(yield* Connections.listConnections(acme), 0)
      assert.isTrue(yield* (yield* FinchMemory).isLive("t1"))
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("another customer's provider+company is OwnedByAnotherCustomer", () =>
    Effect.gen(function* () {
      yield* setup
      yield* connect(globex, gustoC1("a1"))
      const error = yield* Effect.flip(connect(acme, gustoC1("a9")))
      assert.strictEqual(error._tag, "OwnedByAnotherCustomer")
      assert.lengthOf(yield* Connections.listConnections(acme), 0)
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("concurrent completions for one provider+company yield one connection holding every login", () =>
    Effect.gen(function* () {
      yield* setup
      const logins = ["a1", "a2", "a3", "a4", "a5", "a6"]
      const recorded = yield* Effect.forEach(
        logins,
        (account) => connect(acme, Fixtures.introspection({ provider: "gusto", company: "c1", account })),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(new Set(recorded.map((r) => r.connection.id)).size, 1)
      assert.deepStrictEqual(recorded.map((r) => r.classification).sort(), [
        "NewAccount",
        "NewAccount",
        "NewAccount",
        "NewAccount",
        "NewAccount",
        "NewConnection",
      ])
      const [connection] = yield* Connections.listConnections(acme)
      assert.deepStrictEqual(connection?.accounts.map((a) => a.accountId).sort(), logins)
      // Each login keeps the token Finch issued for it.
      const repository = yield* ConnectionRepository
      for (const r of recorded) {
        const opened = yield* repository.openToken({
          customerId: acme,
          connectionId: r.connection.id,
          products: [],
          account: Option.some(r.account.accountId),
        })
        assert.strictEqual(Redacted.value(opened.token), r.accessToken)
      }
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a token whose introspection already says reauth leaves the connection reauth_required", () =>
    Effect.gen(function* () {
      yield* setup
      const recorded = yield* connect(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", account: "a1", status: "reauth" }),
      )
      assert.strictEqual(recorded.connection.status, "reauth_required")
      assert.strictEqual(recorded.account.status, "reauth_required")
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("reading connections", () => {
  it.effect("isolation: another customer's connection is ConnectionNotFound everywhere", () =>
    Effect.gen(function* () {
      yield* setup
      const { connection } = yield* connect(acme, gustoC1("a1"))
      const attempts: ReadonlyArray<
        (connectionId: ConnectionId) => Effect.Effect<unknown, { readonly _tag: string }, CoreServices>
      > = [
        (id) => Connections.getConnection(globex, id),
        (id) => Connections.markReauthRequired(globex, id, "webhook"),
        (id) => tokenUsed(globex, id),
        (id) => Connections.disconnect({ customerId: globex, connectionId: id }),
        (id) => Connections.startReauthentication({ customerId: globex, connectionId: id }),
        (id) => Connections.refreshConnectionStatus(globex, id),
        (id) => Effect.flatMap(EmployeeStore, (employees) => employees.listByConnection(globex, id)),
        (id) => Effect.flatMap(EmployeeStore, (employees) => employees.replaceSnapshot(globex, id, [])),
      ]
      const unknown = ConnectionId.make(Fixtures.uuid())
      // The stranger's error for acme's connection equals the one for an id nobody has, but for the id it echoes.
      const seen = (error: { readonly _tag: string }, id: string) =>
        error instanceof ConnectionNotFound
          ? [error._tag, error.customerId, error.connectionId === id, error.message.replace(id, "<id>")]
          : [error._tag]
      for (const attempt of attempts) {
        const foreign = yield* Effect.flip(attempt(connection.id))
        const missing = yield* Effect.flip(attempt(unknown))
        assert.strictEqual(foreign._tag, "ConnectionNotFound")
        assert.deepStrictEqual(seen(foreign, connection.id), seen(missing, unknown))
      }
      assert.lengthOf(yield* Connections.listConnections(globex), 0)
      assert.strictEqual((yield* Connections.getConnection(acme, connection.id)).status, "active")
      assert.lengthOf(yield* (yield* FinchMemory).disconnectCalls, 0)
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("listConnections of an unknown customer is CustomerNotFound", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Connections.listConnections(CustomerId.make("nobody")))
      assert.strictEqual(error._tag, "CustomerNotFound")
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("withAccessToken", () => {
  it.effect("a 401 reauthenticate_user from the call marks the connection and is re-raised", () =>
    Effect.gen(function* () {
      yield* setup
      const recorded = yield* connect(acme, gustoC1("a1"))
      yield* (yield* FinchMemory).setStatus(recorded.accessToken, "reauth")
      const error = yield* Effect.flip(tokenUsed(acme, recorded.connection.id))
      assert.instanceOf(error, FinchReauthRequired)
      assert.strictEqual((yield* Connections.getConnection(acme, recorded.connection.id)).status, "reauth_required")
      const next = yield* Effect.flip(tokenUsed(acme, recorded.connection.id))
      assert.strictEqual(next._tag, "NoUsableToken")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("other failures of the call leave the connection as it was", () =>
    Effect.gen(function* () {
      yield* setup
      const recorded = yield* connect(acme, gustoC1("a1"))
      const error = yield* Effect.flip(
        Connections.withAccessToken(acme, recorded.connection.id, [], () =>
          Effect.fail(
            new FinchUnauthorized({
              operation: "GET /x",
              requestId: null,
              detail: "",
              finchCode: null,
              errorName: null,
            }),
          ),
        ),
      )
      assert.strictEqual(error._tag, "FinchUnauthorized")
      assert.strictEqual((yield* Connections.getConnection(acme, recorded.connection.id)).status, "active")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("picks the account whose products cover the need, and refuses when none does", () =>
    Effect.gen(function* () {
      yield* setup
      const hr = yield* connect(
        acme,
        Fixtures.introspection({
          provider: "gusto",
          company: "c1",
          account: "hr",
          products: ["directory", "individual", "employment"],
        }),
      )
      const pay = yield* connect(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", account: "pay", products: ["payment"] }),
      )
      assert.strictEqual(yield* tokenUsed(acme, hr.connection.id), hr.accessToken)
      assert.strictEqual(yield* tokenUsed(acme, hr.connection.id, [Product.make("payment")]), pay.accessToken)
      const error = yield* Effect.flip(tokenUsed(acme, hr.connection.id, [Product.make("ssn")]))
      assert.strictEqual(error._tag, "NoUsableToken")
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("reauthentication", () => {
  it.effect("with a Finch connection id: a reauth session for it, and its new token replaces the old one", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const first = yield* connect(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f1" }),
      )
      yield* finch.setStatus(first.accessToken, "reauth")
      yield* Effect.flip(tokenUsed(acme, first.connection.id))
      const started = yield* Connections.startReauthentication({ customerId: acme, connectionId: first.connection.id })
      assert.strictEqual(started.kind, "reauthenticate")
      const opened = (yield* finch.sessions).at(-1)
      assert.strictEqual(opened?.kind, "reauthenticate")
      if (opened?.kind === "reauthenticate") assert.strictEqual(opened.request.finchConnectionId, "f1")
      // The employer reauthenticates: same Finch connection, a new token.
      const again = yield* connect(acme, Fixtures.introspection({ provider: "gusto", finchConnection: "f1" }))
      assert.strictEqual(again.classification, "TokenReplaced")
      assert.strictEqual(again.connection.id, first.connection.id)
      assert.strictEqual(again.connection.status, "active")
      assert.strictEqual(yield* tokenUsed(acme, first.connection.id), again.accessToken)
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("without a Finch connection id (old model): a Connect session preselecting the provider", () =>
    Effect.gen(function* () {
      yield* setup
      const first = yield* connect(
        acme,
        Fixtures.introspection({ provider: "adp_run", company: "c1", account: "a1", products: ["directory"] }),
      )
      yield* Connections.markReauthRequired(acme, first.connection.id, "webhook")
      const started = yield* Connections.startReauthentication({ customerId: acme, connectionId: first.connection.id })
      assert.strictEqual(started.kind, "connect")
      const [opened] = yield* (yield* FinchMemory).sessions
      if (opened?.kind !== "connect") return assert.fail("expected a Connect session")
      assert.deepStrictEqual(Option.getOrNull(opened.request.providerId), "adp_run")
      assert.deepStrictEqual([...opened.request.products], [Product.make("directory")])
      assert.strictEqual(opened.request.customerId, "acme")
      const again = yield* connect(acme, Fixtures.introspection({ provider: "adp_run", company: "c1", account: "a1" }))
      assert.strictEqual(again.classification, "TokenReplaced")
      assert.strictEqual(again.connection.status, "active")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("refreshConnectionStatus records a reauth status Finch reports on introspection", () =>
    Effect.gen(function* () {
      yield* setup
      const first = yield* connect(acme, gustoC1("a1"))
      assert.strictEqual((yield* Connections.refreshConnectionStatus(acme, first.connection.id)).status, "active")
      yield* (yield* FinchMemory).setStatus(first.accessToken, "reauth")
      const refreshed = yield* Connections.refreshConnectionStatus(acme, first.connection.id)
      assert.strictEqual(refreshed.status, "reauth_required")
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("disconnect", () => {
  it.effect("revokes at Finch with each account's live token, then marks disconnected; tokens are gone", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const a = yield* connect(acme, gustoC1("a1"))
      const b = yield* connect(acme, gustoC1("a2"))
      yield* Connections.markReauthRequired(acme, a.connection.id, "webhook")
      const gone = yield* Connections.disconnect({ customerId: acme, connectionId: a.connection.id })
      assert.strictEqual(gone.status, "disconnected")
      assert.isFalse(yield* finch.isLive(a.accessToken))
      assert.isFalse(yield* finch.isLive(b.accessToken))
      // Old-model tokens of one provider+company share a fate at Finch: the first call revoked both.
      assert.deepStrictEqual((yield* finch.disconnectCalls).length, 1)
      const error = yield* Effect.flip(tokenUsed(acme, a.connection.id, []))
      assert.strictEqual(error._tag, "NoUsableToken")
      const twice = yield* Effect.flip(Connections.disconnect({ customerId: acme, connectionId: a.connection.id }))
      assert.strictEqual(twice._tag, "IllegalTransition")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("each account that is its own Finch connection is disconnected with its own token", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const a = yield* connect(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f1" }),
      )
      const b = yield* connect(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f2" }),
      )
      assert.strictEqual(b.connection.id, a.connection.id)
      yield* Connections.disconnect({ customerId: acme, connectionId: a.connection.id })
      assert.deepStrictEqual([...(yield* finch.disconnectCalls)].sort(), [a.accessToken, b.accessToken].sort())
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a Finch failure changes nothing here (retry later); a token Finch already revoked does not block", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const a = yield* connect(acme, gustoC1("a1"))
      yield* finch.failNext(
        "POST /disconnect",
        new FinchServerError({ operation: "POST /disconnect", requestId: null, detail: "boom", status: 503 }),
      )
      const error = yield* Effect.flip(Connections.disconnect({ customerId: acme, connectionId: a.connection.id }))
      assert.strictEqual(error._tag, "FinchServerError")
      assert.strictEqual((yield* Connections.getConnection(acme, a.connection.id)).status, "active")
      assert.strictEqual(yield* tokenUsed(acme, a.connection.id), a.accessToken)
      // Revoked at Finch by someone else (e.g. from Finch's dashboard): the 401 counts as done.
      yield* (yield* FinchGateway).disconnect(Redacted.make(a.accessToken))
      const gone = yield* Connections.disconnect({ customerId: acme, connectionId: a.connection.id })
      assert.strictEqual(gone.status, "disconnected")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("replaced tokens are revoked at Finch on disconnect too, when the current one is refused on its own", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const introspection = Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f1" })
      const old = yield* connect(acme, introspection)
      // Reauthentication: a new token on the same Finch connection retires the old one, which stays live at Finch.
      const current = yield* connect(acme, introspection)
      assert.strictEqual(current.connection.id, old.connection.id)
      assert.isTrue(yield* finch.isLive(old.accessToken))
      yield* finch.failNext(
        "POST /disconnect",
        new FinchUnauthorized({
          operation: "POST /disconnect",
          requestId: null,
          detail: "revoked",
          finchCode: null,
          errorName: null,
        }),
      )
      yield* Connections.disconnect({ customerId: acme, connectionId: old.connection.id })
      assert.deepStrictEqual(yield* finch.disconnectCalls, [old.accessToken])
      assert.isFalse(yield* finch.isLive(old.accessToken))
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("connecting again after a disconnect reopens the same connection", () =>
    Effect.gen(function* () {
      yield* setup
      const a = yield* connect(acme, gustoC1("a1"))
      yield* Connections.disconnect({ customerId: acme, connectionId: a.connection.id })
      const started = yield* Effect.flip(
        Connections.startReauthentication({ customerId: acme, connectionId: a.connection.id }),
      )
      assert.strictEqual(started._tag, "IllegalTransition")
      const again = yield* connect(acme, gustoC1("a1"))
      assert.strictEqual(again.connection.id, a.connection.id)
      assert.strictEqual(again.connection.status, "active")
      assert.strictEqual(yield* tokenUsed(acme, a.connection.id), again.accessToken)
    }).pipe(Effect.provide(CoreTest)),
  )
})
