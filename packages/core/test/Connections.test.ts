import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { ConnectionNotFound } from "../src/Connection.ts"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import * as Connections from "../src/Connections.ts"
import * as Customers from "../src/Customers.ts"
import { EmployeeStore } from "../src/EmployeeStore.ts"
import { FinchReauthRequired, FinchServerError, FinchUnauthorized } from "../src/FinchError.ts"
import { FinchGateway, FinchMemory } from "../src/FinchGateway.ts"
import { AccountId, ConnectionId, CustomerId, EntityId, FinchConnectionId, ProviderId } from "../src/Ids.ts"
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
          need: { products: [], accountId: r.account.accountId },
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
        (id) => Connections.markReauthRequired(globex, id, AccountId.make("a1"), "webhook"),
        (id) => Connections.disconnect({ customerId: globex, connectionId: id, accountId: AccountId.make("a1") }),
        (id) => Connections.disconnectEntity({ customerId: globex, connectionId: id, entityId: EntityId.make("e1") }),
        (id) =>
          Connections.completeReauthentication({
            customerId: globex,
            connectionId: id,
            accountId: AccountId.make("a1"),
            code: "never-spent",
          }),
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
  it.effect("a 401 reauthenticate_user from the call marks the (only) login and is re-raised", () =>
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

  it.effect("a login Finch refuses is marked and the call goes on with the company's other login", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const hr = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      yield* TestClock.adjust("1 minute")
      const backup = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      // The newest login is tried first; it needs reauthentication.
      yield* finch.setStatus(backup.accessToken, "reauth")
      assert.strictEqual(yield* tokenUsed(acme, hr.connection.id), hr.accessToken)
      const connection = yield* Connections.getConnection(acme, hr.connection.id)
      assert.deepStrictEqual(
        connection.accounts.map((a) => a.status),
        ["connected", "reauth_required"],
      )
      assert.strictEqual(connection.status, "reauth_required")
      // A token Finch refuses outright (401 invalid_token) is revoked; with no login left, Finch's error is raised.
      yield* (yield* FinchGateway).disconnect(Redacted.make(hr.accessToken))
      const error = yield* Effect.flip(tokenUsed(acme, hr.connection.id))
      assert.strictEqual(error._tag, "FinchUnauthorized")
      assert.deepStrictEqual(
        (yield* Connections.getConnection(acme, hr.connection.id)).accounts.map((a) => a.status),
        ["revoked", "reauth_required"],
      )
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("other failures of the call leave the connection as it was", () =>
    Effect.gen(function* () {
      yield* setup
      const recorded = yield* connect(acme, gustoC1("a1"))
      const error = yield* Effect.flip(
        Connections.withAccessToken(acme, recorded.connection.id, [], () =>
          Effect.fail(new FinchServerError({ operation: "GET /x", requestId: null, detail: "", status: 500 })),
        ),
      )
      assert.strictEqual(error._tag, "FinchServerError")
      assert.strictEqual((yield* Connections.getConnection(acme, recorded.connection.id)).status, "active")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("an entity's read uses the login whose token reaches that entity", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchGateway
      const first = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1", entities: ["e0"] }))
      const second = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1", entities: ["e1"] }))
      for (const [entity, expected] of [
        ["e0", first.accessToken],
        ["e1", second.accessToken],
      ] as const) {
        const used = yield* Connections.withAccessToken(
          acme,
          first.connection.id,
          employeeSyncProducts,
          (token) => Effect.as(finch.company(token), Redacted.value(token)),
          { entityId: EntityId.make(entity) },
        )
        assert.strictEqual(used, expected)
      }
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
      yield* Connections.markReauthRequired(acme, first.connection.id, AccountId.make("a1"), "webhook")
      const started = yield* Connections.startReauthentication({ customerId: acme, connectionId: first.connection.id })
      assert.strictEqual(started.kind, "connect")
      assert.strictEqual(started.accountId, "a1")
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

describe("reauthentication of one login among several", () => {
  it.effect("the session names that login's Finch connection and products, and only its token is replaced", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const hr = yield* connect(
        acme,
        Fixtures.currentToken({ provider: "gusto", company: "c1", products: ["directory", "individual"] }),
      )
      const pay = yield* connect(
        acme,
        Fixtures.currentToken({ provider: "gusto", company: "c1", products: ["payment"] }),
      )
      yield* finch.setStatus(pay.accessToken, "reauth")
      yield* Effect.flip(tokenUsed(acme, hr.connection.id, [Product.make("payment")]))
      const connectionId = hr.connection.id
      // Without naming one, the login that needs it is chosen.
      const started = yield* Connections.startReauthentication({ customerId: acme, connectionId })
      assert.strictEqual(started.accountId, pay.account.accountId)
      const opened = (yield* finch.sessions).at(-1)
      if (opened?.kind !== "reauthenticate") return assert.fail("expected a reauthentication session")
      assert.deepStrictEqual(opened.request.finchConnectionId, Option.getOrThrow(pay.account.finchConnectionId))
      assert.deepStrictEqual(Option.getOrNull(opened.request.products), [Product.make("payment")])
      // The employer reauthenticates the payroll login: same Finch connection, a new token.
      const newToken = Fixtures.unique("token")
      yield* finch.grant(
        "reauth-code",
        newToken,
        Fixtures.introspection({
          provider: "gusto",
          company: "c1",
          finchConnection: opened.request.finchConnectionId,
          products: ["payment"],
        }),
      )
      const done = yield* Connections.completeReauthentication({
        customerId: acme,
        connectionId,
        accountId: started.accountId,
        code: "reauth-code",
      })
      assert.strictEqual(done.classification, "TokenReplaced")
      const after = yield* Connections.getConnection(acme, connectionId)
      assert.deepStrictEqual(
        after.accounts.map((a) => [a.accountId, a.status]),
        [
          [hr.account.accountId, "connected"],
          [pay.account.accountId, "connected"],
        ],
      )
      assert.strictEqual(after.status, "active")
      assert.strictEqual(yield* tokenUsed(acme, connectionId, [Product.make("payment")]), newToken)
      assert.strictEqual(yield* tokenUsed(acme, connectionId, [Product.make("directory")]), hr.accessToken)
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a reauthentication that signs in to another company is refused; nothing is replaced", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const first = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      yield* Connections.markReauthRequired(acme, first.connection.id, first.account.accountId, "webhook")
      const started = yield* Connections.startReauthentication({ customerId: acme, connectionId: first.connection.id })
      yield* finch.grant(
        "wrong-company",
        "token-elsewhere",
        Fixtures.currentToken({ provider: "gusto", company: "c2" }),
      )
      const error = yield* Effect.flip(
        Connections.completeReauthentication({
          customerId: acme,
          connectionId: first.connection.id,
          accountId: started.accountId,
          code: "wrong-company",
        }),
      )
      assert.strictEqual(error._tag, "TokenMismatch")
      const after = yield* Connections.getConnection(acme, first.connection.id)
      assert.strictEqual(after.status, "reauth_required")
      assert.strictEqual(Option.getOrThrow(after.account(first.account.accountId)).tokenId, first.account.tokenId)
      assert.lengthOf(yield* Connections.listConnections(acme), 1)
      // That token's Finch connection is new and nobody's: it is disconnected at Finch, not left billing.
      assert.isFalse(yield* finch.isLive("token-elsewhere"))
    }).pipe(Effect.provide(CoreTest)),
  )
})

describe("refused and half-described tokens", () => {
  it.effect(
    "a token refused as another customer's company is disconnected at Finch when its Finch connection is new",
    () =>
      Effect.gen(function* () {
        yield* setup
        const finch = yield* FinchMemory
        const owner = yield* connect(globex, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
        const error = yield* Effect.flip(
          connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }), "orphan-token"),
        )
        assert.strictEqual(error._tag, "OwnedByAnotherCustomer")
        assert.isFalse(yield* finch.isLive("orphan-token"))
        assert.isTrue(yield* finch.isLive(owner.accessToken))
        // A token of the owner's own Finch connection (e.g. its reauth completed in the wrong place) is left alone.
        const error2 = yield* Effect.flip(
          connect(
            acme,
            Fixtures.introspection({
              provider: "gusto",
              company: "c1",
              finchConnection: Option.getOrThrow(owner.account.finchConnectionId),
            }),
            "owners-connection-token",
          ),
        )
        assert.strictEqual(error2._tag, "OwnedByAnotherCustomer")
        assert.isTrue(yield* finch.isLive("owners-connection-token"))
        assert.isTrue(yield* finch.isLive(owner.accessToken))
      }).pipe(Effect.provide(CoreTest)),
  )

  it.effect(
    "when /introspect fails after the exchange, the token is kept from the exchange and introspected later",
    () =>
      Effect.gen(function* () {
        yield* setup
        const finch = yield* FinchMemory
        yield* finch.failNext(
          "GET /introspect",
          new FinchServerError({ operation: "GET /introspect", requestId: null, detail: "down", status: 503 }),
        )
        const finchConnection = Fixtures.unique("conn")
        const recorded = yield* connect(
          acme,
          Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection, entities: ["e1"] }),
        )
        assert.strictEqual(recorded.classification, "NewConnection")
        assert.isTrue(Option.isNone(recorded.account.introspectedAt))
        assert.deepStrictEqual(Option.getOrNull(recorded.account.finchConnectionId), finchConnection)
        assert.strictEqual(yield* tokenUsed(acme, recorded.connection.id), recorded.accessToken)
        const refreshed = yield* Connections.refreshConnectionStatus(acme, recorded.connection.id)
        const account = Option.getOrThrow(refreshed.account(recorded.account.accountId))
        assert.isTrue(Option.isSome(account.introspectedAt))
        assert.deepStrictEqual(Option.getOrNull(refreshed.entities[0]?.name ?? Option.none()), "Entity e1")
      }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("a webhook's status for a Finch connection reaches the account holding it, whichever customer", () =>
    Effect.gen(function* () {
      yield* setup
      const a = yield* connect(globex, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      const finchConnection = Option.getOrThrow(a.account.finchConnectionId)
      const holders = yield* Connections.recordFinchConnectionStatus(finchConnection, "reauth", "webhook")
      assert.deepStrictEqual(holders, [
        { customerId: globex, connectionId: a.connection.id, accountId: a.account.accountId },
      ])
      assert.strictEqual((yield* Connections.getConnection(globex, a.connection.id)).status, "reauth_required")
      yield* Connections.recordFinchConnectionStatus(finchConnection, "connected", "webhook")
      assert.strictEqual((yield* Connections.getConnection(globex, a.connection.id)).status, "active")
      assert.lengthOf(
        yield* Connections.recordFinchConnectionStatus(FinchConnectionId.make("unknown"), "reauth", "webhook"),
        0,
      )
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
      yield* Connections.markReauthRequired(acme, a.connection.id, AccountId.make("a1"), "webhook")
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

  it.effect("one login can be disconnected alone; the company's other login keeps working", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const kept = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      const gone = yield* connect(acme, Fixtures.currentToken({ provider: "gusto", company: "c1" }))
      const after = yield* Connections.disconnect({
        customerId: acme,
        connectionId: kept.connection.id,
        accountId: gone.account.accountId,
      })
      assert.strictEqual(after.status, "active")
      assert.deepStrictEqual(yield* finch.disconnectCalls, [gone.accessToken])
      assert.isTrue(yield* finch.isLive(kept.accessToken))
      assert.strictEqual(yield* tokenUsed(acme, kept.connection.id), kept.accessToken)
      const again = yield* Effect.flip(
        Connections.disconnect({
          customerId: acme,
          connectionId: kept.connection.id,
          accountId: gone.account.accountId,
        }),
      )
      assert.strictEqual(again._tag, "IllegalTransition")
    }).pipe(Effect.provide(CoreTest)),
  )

  it.effect("one entity can be disconnected; the connection keeps its other entities", () =>
    Effect.gen(function* () {
      yield* setup
      const finch = yield* FinchMemory
      const multi = yield* connect(
        acme,
        Fixtures.currentToken({ provider: "gusto", company: "c1", entities: ["llc", "holdings"] }),
      )
      const after = yield* Connections.disconnectEntity({
        customerId: acme,
        connectionId: multi.connection.id,
        entityId: EntityId.make("holdings"),
      })
      assert.deepStrictEqual(
        after.entities.map((e) => e.id),
        ["llc"],
      )
      assert.strictEqual(after.status, "active")
      assert.deepStrictEqual(yield* finch.entityDisconnectCalls, [
        { token: multi.accessToken, entityIds: ["holdings"] },
      ])
      const unknown = yield* Effect.flip(
        Connections.disconnectEntity({
          customerId: acme,
          connectionId: multi.connection.id,
          entityId: EntityId.make("holdings"),
        }),
      )
      assert.strictEqual(unknown._tag, "EntityNotFound")
    }).pipe(Effect.provide(CoreTest)),
  )
})
