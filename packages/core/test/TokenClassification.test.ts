import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { AccountChange, applyAccountChange, type Connection, isLive } from "../src/Connection.ts"
import { AccountId, CompanyId, ConnectionId, CustomerId, ProviderId } from "../src/Ids.ts"
import type { Introspection } from "../src/Introspection.ts"
import { applyClassification, classifyToken, identifyToken, TokenClassification } from "../src/TokenClassification.ts"
import * as Fixtures from "../testing/Fixtures.ts"
import { SimulatedStore } from "../testing/Simulation.ts"

const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")
const token = Fixtures.introspection

/** The connection with every login disconnected, as `Connections.disconnect` leaves it. */
const disconnected = (connection: Connection, now = new Date(5)) =>
  Either.getOrThrow(applyAccountChange(connection, AccountChange.Disconnected({ accountIds: Option.none() }), now))

/** The connection with one login needing reauthentication. */
const needingReauth = (connection: Connection, accountId: string, now = new Date(5)) =>
  Either.getOrThrow(
    applyAccountChange(connection, AccountChange.ReauthRequired({ accountId: AccountId.make(accountId) }), now),
  )

const classify = (customerId: CustomerId, introspection: Introspection, known: ReadonlyArray<Connection>) =>
  Either.getOrThrow(classifyToken(customerId, introspection, known))

const only = <A>(items: ReadonlyArray<A>): A => {
  assert.lengthOf(items, 1)
  return items[0]!
}

describe("identifyToken", () => {
  it("uses company_id and account_id when Finch sends them (old model)", () => {
    const identity = Either.getOrThrow(identifyToken(acme, token({ provider: "gusto", company: "c1", account: "a1" })))
    assert.deepStrictEqual(
      [identity.providerId, identity.companyId, identity.accountId, identity.accountIdFromFinch],
      ["gusto", "c1", "a1", true],
    )
  })

  it("falls back to the Finch connection id for the account when account_id is missing", () => {
    const identity = Either.getOrThrow(
      identifyToken(acme, token({ provider: "gusto", company: "c1", finchConnection: "f1" })),
    )
    assert.deepStrictEqual([identity.companyId, identity.accountId, identity.accountIdFromFinch], ["c1", "f1", false])
  })

  it("derives the company from the Finch connection id when company_id is missing (multi-entity)", () => {
    const identity = Either.getOrThrow(
      identifyToken(acme, token({ provider: "gusto", finchConnection: "f1", entities: ["e2", "e1"] })),
    )
    assert.deepStrictEqual([identity.companyId, identity.accountId], ["connection:f1", "f1"])
  })

  it("derives the company from the smallest entity id when neither company_id nor connection_id is present", () => {
    const identity = Either.getOrThrow(identifyToken(acme, token({ provider: "gusto", entities: ["e2", "e1"] })))
    assert.deepStrictEqual([identity.companyId, identity.accountId], ["entity:e1", "entity:e1"])
  })

  it("refuses a token naming no company, connection or entity", () => {
    const error = Either.getLeft(identifyToken(acme, token({ provider: "gusto", account: "a1" })))
    assert.strictEqual(Option.getOrThrow(error)._tag, "UnidentifiableToken")
  })

  it("refuses a token stamped by another customer's Connect session, and accepts our own stamp", () => {
    const foreign = identifyToken(acme, token({ provider: "gusto", company: "c1", finchCustomer: "globex" }))
    assert.strictEqual(Option.getOrThrow(Either.getLeft(foreign))._tag, "ForeignConnectSession")
    const ours = identifyToken(acme, token({ provider: "gusto", company: "c1", finchCustomer: "acme" }))
    assert.isTrue(Either.isRight(ours))
  })
})

describe("classifyToken: the seed's seven scenarios", () => {
  it("different logins: two admins of one provider+company are two accounts of ONE connection", () => {
    const store = new SimulatedStore()
    const [first, second] = store.recordAll(acme, [
      token({ provider: "gusto", company: "acme-inc", account: "admin-alice" }),
      token({ provider: "gusto", company: "acme-inc", account: "admin-bob" }),
    ])
    assert.deepStrictEqual([first?.classification, second?.classification], ["NewConnection", "NewAccount"])
    const connection = only(store.all())
    assert.deepStrictEqual(
      connection.accounts.map((a) => a.accountId),
      ["admin-alice", "admin-bob"],
    )
  })

  it("different permissions: a second permission set is another account with its own products", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [
      token({ provider: "adp_run", company: "acme-inc", account: "hr", products: ["directory", "individual"] }),
      token({ provider: "adp_run", company: "acme-inc", account: "payroll", products: ["payment", "pay_statement"] }),
    ])
    const connection = only(store.all())
    assert.deepStrictEqual(
      connection.accounts.map((a) => [a.accountId, [...a.products]]),
      [
        ["hr", ["directory", "individual"]],
        ["payroll", ["payment", "pay_statement"]],
      ],
    )
    assert.deepStrictEqual([...connection.products].sort(), ["directory", "individual", "pay_statement", "payment"])
  })

  it("provider migration: the same employer moving from Gusto to ADP gets a second connection; the first stays", () => {
    const store = new SimulatedStore()
    const [gusto, adp] = store.recordAll(acme, [
      token({ provider: "gusto", company: "acme-inc", account: "a1" }),
      token({ provider: "adp_workforce_now", company: "acme-inc", account: "a1" }),
    ])
    assert.deepStrictEqual([gusto?.classification, adp?.classification], ["NewConnection", "NewConnection"])
    assert.deepStrictEqual(
      store
        .all()
        .map((c) => c.providerId)
        .sort(),
      ["adp_workforce_now", "gusto"],
    )
  })

  it("foreign workers on a second provider: Deel beside Gusto is its own connection", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [
      token({ provider: "gusto", company: "acme-us", account: "a1" }),
      token({ provider: "deel", finchConnection: "deel-conn-1" }),
    ])
    const deel = store.all().find((c) => c.providerId === "deel")
    assert.strictEqual(store.all().length, 2)
    assert.strictEqual(deel?.companyId, "connection:deel-conn-1")
  })

  it("pay groups: each pay group Finch reports as its own company is its own connection", () => {
    const store = new SimulatedStore()
    const outcomes = store.recordAll(acme, [
      token({ provider: "paychex_flex", company: "acme-hourly", account: "a1" }),
      token({ provider: "paychex_flex", company: "acme-salaried", account: "a1" }),
    ])
    assert.deepStrictEqual(
      outcomes.map((o) => o.classification),
      ["NewConnection", "NewConnection"],
    )
    assert.deepStrictEqual(
      store
        .all()
        .map((c) => c.companyId)
        .sort(),
      ["acme-hourly", "acme-salaried"],
    )
  })

  it("legal entities: one multi-entity token (no company_id) is ONE connection that keeps every entity", () => {
    const store = new SimulatedStore()
    const [first, reauth] = store.recordAll(acme, [
      token({ provider: "rippling", finchConnection: "f-entities", entities: ["acme-llc", "acme-holdings"] }),
      // The employer later adds a third EIN through the reauth session: same connection, more entities.
      token({
        provider: "rippling",
        finchConnection: "f-entities",
        entities: ["acme-llc", "acme-holdings", "acme-eu"],
      }),
    ])
    assert.deepStrictEqual([first?.classification, reauth?.classification], ["NewConnection", "TokenReplaced"])
    const connection = only(store.all())
    assert.deepStrictEqual(connection.entities.map((e) => e.id).sort(), ["acme-eu", "acme-holdings", "acme-llc"])
    // Older Finch: one company_id per legal entity, so one connection per entity.
    const older = new SimulatedStore()
    older.recordAll(acme, [
      token({ provider: "rippling", company: "acme-llc", account: "a1" }),
      token({ provider: "rippling", company: "acme-holdings", account: "a1" }),
    ])
    assert.strictEqual(older.all().length, 2)
  })

  it("PEO: each co-employed company is its own connection; another PEO admin login joins its company's", () => {
    const store = new SimulatedStore()
    const outcomes = store.recordAll(acme, [
      token({ provider: "justworks", company: "acme-at-justworks", account: "owner" }),
      token({ provider: "justworks", company: "acme-labs-at-justworks", account: "owner" }),
      token({ provider: "justworks", company: "acme-at-justworks", account: "peo-admin" }),
    ])
    assert.deepStrictEqual(
      outcomes.map((o) => o.classification),
      ["NewConnection", "NewConnection", "NewAccount"],
    )
    assert.strictEqual(store.all().length, 2)
    // The PEO never makes the companies one: another customer connecting a co-employed company is refused.
    const refused = store.record(globex, token({ provider: "justworks", company: "acme-at-justworks", account: "x" }))
    assert.strictEqual(Option.getOrThrow(Either.getLeft(refused))._tag, "OwnedByAnotherCustomer")
  })
})

describe("classifyToken: each outcome", () => {
  it("NewConnection for an unknown provider+company, with the token's identity", () => {
    const outcome = classify(acme, token({ provider: "gusto", company: "c1", account: "a1" }), [])
    assert.deepStrictEqual(
      summary(outcome),
      summary(
        TokenClassification.NewConnection({
          providerId: ProviderId.make("gusto"),
          companyId: CompanyId.make("c1"),
          accountId: AccountId.make("a1"),
        }),
      ),
    )
  })

  it("TokenReplaced for the same account, naming it, and the old token is retired", () => {
    const store = new SimulatedStore()
    const [first] = store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1" })])
    const replaced = Either.getOrThrow(store.record(acme, token({ provider: "gusto", company: "c1", account: "a1" })))
    assert.strictEqual(replaced.classification, "TokenReplaced")
    assert.strictEqual(replaced.account.accountId, "a1")
    assert.deepStrictEqual(Option.getOrNull(replaced.retiredTokenId), first?.account.tokenId)
    assert.notStrictEqual(replaced.account.tokenId, first?.account.tokenId)
    assert.strictEqual(replaced.account.connectedAt.getTime(), first?.account.connectedAt.getTime())
  })

  it("TokenReplaced for the same Finch connection without account_id (reauth session), of the account needing reauth", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [
      token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1" }),
      token({ provider: "gusto", company: "c1", account: "a2", finchConnection: "f1" }),
    ])
    const connection = only(store.all())
    // Only a2 needs reauthentication: the reauth token must replace a2's, not the healthy a1's.
    store.put(needingReauth(connection, "a2"))
    const outcome = classify(acme, token({ provider: "gusto", finchConnection: "f1" }), store.all())
    assert.strictEqual(outcome._tag, "TokenReplaced")
    assert.strictEqual(outcome._tag === "TokenReplaced" ? outcome.accountId : "", "a2")
  })

  it("NewAccount when the same Finch connection names a new account_id (older multi-account connections)", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1" })])
    const outcome = classify(
      acme,
      token({ provider: "gusto", company: "c1", account: "a2", finchConnection: "f1" }),
      store.all(),
    )
    assert.strictEqual(outcome._tag, "NewAccount")
  })

  it("the Finch connection id matches even when the token now lacks company_id", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1" })])
    const applied = Either.getOrThrow(store.record(acme, token({ provider: "gusto", finchConnection: "f1" })))
    assert.strictEqual(applied.classification, "TokenReplaced")
    assert.strictEqual(applied.connection.companyId, "c1")
    assert.strictEqual(store.all().length, 1)
  })

  it("reauthentication dropping an entity drops it from the connection; what another login reaches is kept", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [
      token({ provider: "rippling", finchConnection: "f1", entities: ["llc", "holdings", "eu"] }),
      token({ provider: "rippling", finchConnection: "f1", entities: ["llc", "holdings"] }),
    ])
    assert.deepStrictEqual(
      only(store.all())
        .entities.map((e) => e.id)
        .sort(),
      ["holdings", "llc"],
    )
    // Two logins at one company: what one token lists does not decide for the other.
    const shared = new SimulatedStore()
    shared.recordAll(acme, [
      token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1", entities: ["e1", "e2"] }),
      token({ provider: "gusto", company: "c1", account: "a2", finchConnection: "f2", entities: ["e3"] }),
      token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1", entities: ["e1"] }),
    ])
    const connection = only(shared.all())
    assert.deepStrictEqual(connection.entities.map((e) => e.id).sort(), ["e1", "e3"])
    assert.deepStrictEqual(
      connection.accounts.map((a) => [a.accountId, [...a.entityIds]]),
      [
        ["a1", ["e1"]],
        ["a2", ["e3"]],
      ],
    )
  })

  it("an old-model connection learns its Finch connection id from a later token", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1" })])
    const applied = Either.getOrThrow(
      store.record(acme, token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1" })),
    )
    assert.strictEqual(applied.classification, "TokenReplaced")
    assert.deepStrictEqual(Option.getOrNull(applied.account.finchConnectionId), "f1")
  })

  it("OwnedByAnotherCustomer when another customer holds the provider+company, or the Finch connection", () => {
    const store = new SimulatedStore()
    store.recordAll(globex, [token({ provider: "gusto", company: "c1", account: "a1", finchConnection: "f1" })])
    for (const attempt of [
      token({ provider: "gusto", company: "c1", account: "mine" }),
      token({ provider: "gusto", company: "c-other", finchConnection: "f1" }),
      token({ provider: "gusto", finchConnection: "f1" }),
    ]) {
      assert.strictEqual(classify(acme, attempt, store.all())._tag, "OwnedByAnotherCustomer")
    }
    const error = Either.getLeft(store.record(acme, token({ provider: "gusto", company: "c1", account: "a1" })))
    const refused = Option.getOrThrow(error)
    assert.strictEqual(refused._tag, "OwnedByAnotherCustomer")
    assert.notInclude(refused.message, "globex")
  })

  it("a disconnected connection connected again by its owner is reopened (same id), not duplicated", () => {
    const store = new SimulatedStore()
    const [first] = store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1" })])
    store.put(disconnected(first!.connection))
    const again = Either.getOrThrow(
      store.record(acme, token({ provider: "gusto", company: "c1", account: "a2" }), new Date(10)),
    )
    assert.strictEqual(again.classification, "NewAccount")
    assert.strictEqual(again.connection.id, first?.connection.id)
    assert.strictEqual(again.connection.status, "active")
    assert.isTrue(Option.isNone(again.connection.disconnectedAt))
    // The old login stays disconnected: its token was destroyed at disconnect.
    assert.deepStrictEqual(
      again.connection.accounts.map((a) => [a.accountId, a.status]),
      [
        ["a1", "disconnected"],
        ["a2", "connected"],
      ],
    )
    assert.strictEqual(store.all().length, 1)
  })

  it("a company its customer disconnected can be connected by another customer (a connection of their own)", () => {
    const store = new SimulatedStore()
    const [first] = store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1" })])
    store.put(disconnected(first!.connection))
    const taken = Either.getOrThrow(store.record(globex, token({ provider: "gusto", company: "c1", account: "a1" })))
    assert.strictEqual(taken.classification, "NewConnection")
    assert.notStrictEqual(taken.connection.id, first!.connection.id)
    assert.strictEqual(taken.connection.customerId, globex)
    // And then it is theirs: the first customer connecting it again is refused.
    const back = store.record(acme, token({ provider: "gusto", company: "c1", account: "a1" }))
    assert.strictEqual(Option.getOrThrow(Either.getLeft(back))._tag, "OwnedByAnotherCustomer")
  })

  it("a reauth token brings a reauth_required connection back to active", () => {
    const store = new SimulatedStore()
    const [first] = store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "a1" })])
    store.put(needingReauth(first!.connection, "a1"))
    assert.strictEqual(only(store.all()).status, "reauth_required")
    const again = Either.getOrThrow(store.record(acme, token({ provider: "gusto", company: "c1", account: "a1" })))
    assert.strictEqual(again.connection.status, "active")
    assert.isTrue(Option.isNone(again.connection.reauthRequiredAt))
    assert.deepStrictEqual(
      again.connection.accounts.map((a) => a.status),
      ["connected"],
    )
  })
})

describe("classifyToken on Finch's current API (each login its own Finch connection)", () => {
  it("a second login at the same provider+company is a new Finch connection: one connection, two accounts", () => {
    const store = new SimulatedStore()
    const [first, second] = store.recordAll(acme, [
      Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-hr", products: ["directory"] }),
      Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-pay", products: ["payment"] }),
    ])
    assert.deepStrictEqual([first?.classification, second?.classification], ["NewConnection", "NewAccount"])
    const connection = only(store.all())
    assert.deepStrictEqual(
      connection.accounts.map((a): string | null => Option.getOrNull(a.finchConnectionId)),
      ["f-hr", "f-pay"],
    )
  })

  it("a reauthenticated token (same Finch connection) replaces that login's token only", () => {
    const store = new SimulatedStore()
    const [hr, pay] = store.recordAll(acme, [
      Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-hr" }),
      Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-pay" }),
    ])
    store.put(needingReauth(only(store.all()), pay!.account.accountId))
    const again = Either.getOrThrow(
      store.record(acme, Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-pay" })),
    )
    assert.strictEqual(again.classification, "TokenReplaced")
    assert.strictEqual(again.account.accountId, pay!.account.accountId)
    assert.deepStrictEqual(Option.getOrNull(again.retiredTokenId), pay!.account.tokenId)
    assert.strictEqual(Option.getOrThrow(again.connection.account(hr!.account.accountId)).tokenId, hr!.account.tokenId)
    assert.strictEqual(again.connection.status, "active")
  })

  it("a known Finch connection that now reaches another company is refused: never two employers in one connection", () => {
    const store = new SimulatedStore()
    store.recordAll(acme, [Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f1" })])
    const before = only(store.all())
    const result = store.record(
      acme,
      Fixtures.currentToken({ provider: "gusto", company: "c2", finchConnection: "f1" }),
    )
    const refused = Option.getOrThrow(Either.getLeft(result))
    assert.strictEqual(refused._tag, "TokenMismatch")
    assert.strictEqual(only(store.all()), before)
  })

  describe("completing a reauthentication for one account", () => {
    const setUp = () => {
      const store = new SimulatedStore()
      const [hr, pay] = store.recordAll(acme, [
        Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-hr" }),
        Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-pay" }),
      ])
      const target = { connectionId: hr!.connection.id, accountId: pay!.account.accountId }
      return { store, target, hr: hr!, pay: pay! }
    }

    it("replaces that account's token when the new token is its Finch connection", () => {
      const { store, target } = setUp()
      const outcome = classifyToken(
        acme,
        Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f-pay" }),
        store.all(),
        Option.some(target),
      )
      assert.deepStrictEqual(
        Either.map(outcome, summary),
        Either.right(`TokenReplaced:${target.connectionId}:${target.accountId}`),
      )
    })

    it("refuses a token of a sibling login, of a new Finch connection, or of another company", () => {
      const { store, target } = setUp()
      for (const attempt of [
        Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-hr" }),
        Fixtures.currentToken({ provider: "gusto", company: "c1", finchConnection: "f-brand-new" }),
        Fixtures.currentToken({ provider: "gusto", company: "c9", finchConnection: "f-elsewhere" }),
      ]) {
        const outcome = classifyToken(acme, attempt, store.all(), Option.some(target))
        assert.strictEqual(Option.getOrThrow(Either.getLeft(outcome))._tag, "TokenMismatch")
      }
    })

    it("legacy (no Finch connection id): the same provider, company and account_id, else refused", () => {
      const store = new SimulatedStore()
      const [first] = store.recordAll(acme, [token({ provider: "gusto", company: "c1", account: "admin" })])
      const target = { connectionId: first!.connection.id, accountId: AccountId.make("admin") }
      const same = classifyToken(
        acme,
        token({ provider: "gusto", company: "c1", account: "admin" }),
        store.all(),
        Option.some(target),
      )
      assert.strictEqual(Either.getOrThrow(same)._tag, "TokenReplaced")
      const otherLogin = classifyToken(
        acme,
        token({ provider: "gusto", company: "c1", account: "clerk" }),
        store.all(),
        Option.some(target),
      )
      assert.strictEqual(Option.getOrThrow(Either.getLeft(otherLogin))._tag, "TokenMismatch")
      const unknownConnection = classifyToken(
        acme,
        token({ provider: "gusto", company: "c1", account: "admin" }),
        store.all(),
        Option.some({ ...target, connectionId: ConnectionId.make("22222222-2222-4222-8222-222222222222") }),
      )
      assert.strictEqual(Option.getOrThrow(Either.getLeft(unknownConnection))._tag, "TokenMismatch")
    })
  })
})

describe("applyClassification", () => {
  it("keeps each login's username from its latest token, and the one it had when a token does not say", () => {
    const store = new SimulatedStore()
    const login = (username?: string) =>
      token({ provider: "gusto", company: "c1", finchConnection: "f1", ...(username ? { username } : {}) })
    const first = Either.getOrThrow(store.record(acme, login("alice@acme.test"), new Date(1)))
    assert.deepStrictEqual(first.account.username, Option.some("alice@acme.test"))
    const second = Either.getOrThrow(
      store.record(
        acme,
        token({ provider: "gusto", company: "c1", finchConnection: "f2", username: "bob" }),
        new Date(2),
      ),
    )
    assert.strictEqual(second.classification, "NewAccount")
    assert.deepStrictEqual(
      second.connection.accounts.map((account) => Option.getOrNull(account.username)),
      ["alice@acme.test", "bob"],
    )
    // Reauthenticated by another admin: the login's username becomes the new one; a token without one keeps it.
    const renamed = Either.getOrThrow(store.record(acme, login("carol"), new Date(3)))
    assert.strictEqual(renamed.classification, "TokenReplaced")
    assert.deepStrictEqual(renamed.account.username, Option.some("carol"))
    const unnamed = Either.getOrThrow(store.record(acme, login(), new Date(4)))
    assert.deepStrictEqual(unnamed.account.username, Option.some("carol"))
    // An introspection names it too.
    const introspected = Either.getOrThrow(
      applyAccountChange(
        unnamed.connection,
        AccountChange.Introspected({ accountId: unnamed.account.accountId, introspection: login("dave") }),
        new Date(5),
      ),
    )
    assert.deepStrictEqual(
      Option.getOrThrow(introspected.account(unnamed.account.accountId)).username,
      Option.some("dave"),
    )
  })

  it("refuses to apply OwnedByAnotherCustomer, or a connection of another customer", () => {
    const store = new SimulatedStore()
    const [first] = store.recordAll(globex, [token({ provider: "gusto", company: "c1", account: "a1" })])
    const common = {
      customerId: acme,
      introspection: token({ provider: "gusto", company: "c1", account: "a1" }),
      tokenId: first!.account.tokenId,
      connectionId: first!.connection.id,
      now: new Date(0),
    }
    for (const classification of [
      TokenClassification.OwnedByAnotherCustomer({ providerId: first!.connection.providerId }),
      TokenClassification.TokenReplaced({ connection: first!.connection, accountId: first!.account.accountId }),
      TokenClassification.NewAccount({ connection: first!.connection, accountId: first!.account.accountId }),
    ]) {
      const refused = applyClassification({ ...common, classification })
      assert.strictEqual(Option.getOrThrow(Either.getLeft(refused))._tag, "OwnedByAnotherCustomer")
    }
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Properties over random histories of tokens from three customers, a few providers, companies and Finch connections.

const customers = [acme, globex, CustomerId.make("initech")]
const arbitraryToken = FastCheck.record({
  customer: FastCheck.constantFrom(...customers),
  provider: FastCheck.constantFrom("gusto", "deel", "adp_run"),
  company: FastCheck.option(FastCheck.constantFrom("c1", "c2", "c3"), { nil: undefined }),
  account: FastCheck.option(FastCheck.constantFrom("a1", "a2", "a3"), { nil: undefined }),
  finchConnection: FastCheck.option(FastCheck.constantFrom("f1", "f2", "f3", "f4"), { nil: undefined }),
  entities: FastCheck.subarray(["e1", "e2"]),
  stamp: FastCheck.constantFrom("none", "own", "foreign"),
  disconnectAfter: FastCheck.boolean(),
})
type ArbitraryToken = typeof arbitraryToken extends FastCheck.Arbitrary<infer A> ? A : never

const toIntrospection = (t: ArbitraryToken) =>
  token({
    provider: t.provider,
    ...(t.company === undefined ? {} : { company: t.company }),
    ...(t.account === undefined ? {} : { account: t.account }),
    ...(t.finchConnection === undefined ? {} : { finchConnection: t.finchConnection }),
    entities: t.entities,
    ...(t.stamp === "none" ? {} : { finchCustomer: t.stamp === "own" ? t.customer : "someone-else" }),
  })

const replay = (history: ReadonlyArray<ArbitraryToken>) => {
  const store = new SimulatedStore()
  const outcomes = history.map((t, i) => {
    const result = store.record(t.customer, toIntrospection(t), new Date(i))
    if (Either.isRight(result) && t.disconnectAfter) store.put(disconnected(result.right.connection, new Date(i)))
    return result
  })
  return { store, outcomes }
}

const summary = (outcome: TokenClassification) =>
  outcome._tag === "NewConnection"
    ? `${outcome._tag}:${outcome.providerId}:${outcome.companyId}:${outcome.accountId}`
    : outcome._tag === "OwnedByAnotherCustomer"
      ? `${outcome._tag}:${outcome.providerId}`
      : `${outcome._tag}:${outcome.connection.id}:${outcome.accountId}`

describe("classifyToken properties", () => {
  it.prop(
    "is deterministic: the same token against the same connections, in any order, gets the same outcome",
    [FastCheck.array(arbitraryToken, { maxLength: 25 }), arbitraryToken, FastCheck.integer()],
    ([history, next, seed]) => {
      const { store } = replay(history)
      const known = store.all()
      const shuffled = [...known].sort(
        (a, b) => ((a.id.charCodeAt(35) ^ seed) & 7) - ((b.id.charCodeAt(35) ^ seed) & 7),
      )
      const first = classifyToken(next.customer, toIntrospection(next), known)
      const second = classifyToken(next.customer, toIntrospection(next), shuffled.reverse())
      assert.deepStrictEqual(Either.map(first, summary), Either.map(second, summary))
    },
  )

  it.prop(
    "never assigns a token to two customers nor to another customer's connection",
    [FastCheck.array(arbitraryToken, { maxLength: 40 })],
    ([history]) => {
      const { store, outcomes } = replay(history)
      outcomes.forEach((outcome, i) => {
        if (Either.isRight(outcome)) assert.strictEqual(outcome.right.connection.customerId, history[i]?.customer)
      })
      const owners = new Map<string, string>()
      for (const connection of store.all()) {
        for (const account of connection.accounts) {
          assert.isFalse(owners.has(account.tokenId), `token ${account.tokenId} is held twice`)
          owners.set(account.tokenId, connection.customerId)
        }
      }
    },
  )

  it.prop(
    "never two live connections for one provider+company, nor one per customer, nor a live Finch connection in two",
    [FastCheck.array(arbitraryToken, { maxLength: 40 })],
    ([history]) => {
      const { store } = replay(history)
      const live = store.all().filter((c) => c.status !== "disconnected")
      const identities = live.map((c) => `${c.providerId}/${c.companyId}`)
      assert.strictEqual(new Set(identities).size, identities.length)
      const perCustomer = store.all().map((c) => `${c.customerId}/${c.providerId}/${c.companyId}`)
      assert.strictEqual(new Set(perCustomer).size, perCustomer.length)
      const holders = new Map<string, string>()
      for (const connection of store.all()) {
        for (const account of connection.accounts.filter((a) => isLive(a.status))) {
          for (const id of Option.toArray(account.finchConnectionId)) {
            assert.strictEqual(holders.get(id) ?? connection.id, connection.id, `Finch connection ${id} in two`)
            holders.set(id, connection.id)
          }
        }
      }
    },
  )

  it.prop(
    "a refused token changes nothing, and a foreign Connect session is always refused",
    [FastCheck.array(arbitraryToken, { maxLength: 25 }), arbitraryToken],
    ([history, next]) => {
      const { store } = replay(history)
      const before = store.all().map((c) => `${c.id}:${c.accounts.length}:${c.status}`)
      const result = store.record(next.customer, toIntrospection(next))
      if (Either.isLeft(result)) {
        assert.deepStrictEqual(
          store.all().map((c) => `${c.id}:${c.accounts.length}:${c.status}`),
          before,
        )
      }
      if (next.stamp === "foreign") assert.isTrue(Either.isLeft(result))
    },
  )
})
