import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import {
  Account,
  AccountChange,
  type AccountStatus,
  accountStatusFromFinch,
  accountsEnded,
  applyAccountChange,
  Connection,
  ConnectionEntity,
  connectionStatusOf,
  requireOwned,
  selectAccount,
} from "../src/Connection.ts"
import {
  AccountId,
  CompanyId,
  ConnectionId,
  CustomerId,
  EntityId,
  FinchConnectionId,
  ProviderId,
  TokenId,
} from "../src/Ids.ts"
import { Product } from "../src/Product.ts"
import * as Fixtures from "../testing/Fixtures.ts"

const acme = CustomerId.make("acme")
const connectionId = ConnectionId.make("11111111-1111-4111-8111-111111111111")
const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000)

const account = (
  id: string,
  products: ReadonlyArray<string>,
  options: {
    readonly status?: AccountStatus
    readonly updated?: number
    readonly entities?: ReadonlyArray<string>
    readonly finchConnection?: string
  } = {},
) =>
  new Account({
    accountId: AccountId.make(id),
    finchConnectionId: Option.map(Option.fromNullable(options.finchConnection), (f) => FinchConnectionId.make(f)),
    tokenId: TokenId.make(`00000000-0000-4000-8000-${(options.updated ?? 0).toString().padStart(12, "0")}`),
    products: products.map((p) => Product.make(p)),
    entityIds: (options.entities ?? []).map((e) => EntityId.make(e)),
    authenticationMethod: Option.none(),
    username: Option.none(),
    status: options.status ?? "connected",
    connectedAt: at(0),
    updatedAt: at(options.updated ?? 0),
    reauthRequiredAt: options.status === "reauth_required" ? Option.some(at(0)) : Option.none(),
    introspectedAt: Option.some(at(0)),
  })

const connection = (accounts: ReadonlyArray<Account> = [account("a1", ["directory", "individual", "employment"])]) =>
  new Connection({
    id: connectionId,
    customerId: acme,
    providerId: ProviderId.make("gusto"),
    companyId: CompanyId.make("c1"),
    accounts,
    entities: [...new Set(accounts.flatMap((a) => a.entityIds))].map(
      (id) => new ConnectionEntity({ id, name: Option.some(`Entity ${id}`), status: Option.none() }),
    ),
    createdAt: at(0),
    updatedAt: at(0),
  })

const products = (...names: ReadonlyArray<string>) => names.map((p) => Product.make(p))
const id = (value: string) => AccountId.make(value)
const statuses = (c: Connection) => c.accounts.map((a) => [a.accountId, a.status])
const apply = (c: Connection, change: AccountChange, n = 5) => applyAccountChange(c, change, at(n))
const leftTag = <E extends { readonly _tag: string }>(result: Either.Either<unknown, E>) =>
  Option.getOrThrow(Either.getLeft(result))._tag

describe("connectionStatusOf: the connection's status from its accounts", () => {
  const of = (...list: ReadonlyArray<AccountStatus>) => connectionStatusOf(list.map((status) => ({ status })))

  it("needs attention while any live login needs reauthentication, even when another works", () => {
    assert.strictEqual(of("connected", "reauth_required"), "reauth_required")
    assert.strictEqual(of("error_permissions", "reauth_required"), "reauth_required")
  })

  it("an assisted error state outranks healthy logins; one connected login makes it active", () => {
    assert.strictEqual(of("connected", "error_no_account_setup"), "error")
    assert.strictEqual(of("connected", "pending"), "active")
    assert.strictEqual(of("connected", "revoked"), "active")
  })

  it("pending while every live login waits for Finch; disconnected when none is live (or none exists)", () => {
    assert.strictEqual(of("pending", "processing"), "pending")
    assert.strictEqual(of("revoked", "disconnected"), "disconnected")
    assert.strictEqual(of(), "disconnected")
  })
})

describe("accountStatusFromFinch", () => {
  it("keeps every Finch status (reauth and its old spelling become reauth_required), ignores unknown ones", () => {
    assert.deepStrictEqual(
      [
        "connected",
        "pending",
        "processing",
        "error_no_account_setup",
        "error_permissions",
        "reauth",
        "error_reauth",
        "disconnected",
        "something_new",
      ].map((s) => Option.getOrNull(accountStatusFromFinch(s))),
      [
        "connected",
        "pending",
        "processing",
        "error_no_account_setup",
        "error_permissions",
        "reauth_required",
        "reauth_required",
        "disconnected",
        null,
      ],
    )
  })
})

describe("applyAccountChange", () => {
  const twoLogins = () =>
    connection([
      account("hr", ["directory"], { finchConnection: "f-hr" }),
      account("pay", ["payment"], { finchConnection: "f-pay", updated: 1 }),
    ])

  it("reauthentication is per login: only the named account is marked, with when", () => {
    const after = Either.getOrThrow(apply(twoLogins(), AccountChange.ReauthRequired({ accountId: id("pay") })))
    assert.deepStrictEqual(statuses(after), [
      ["hr", "connected"],
      ["pay", "reauth_required"],
    ])
    assert.deepStrictEqual(
      Option.getOrNull(after.account("pay").pipe(Option.flatMap((a) => a.reauthRequiredAt))),
      at(5),
    )
    assert.strictEqual(after.status, "reauth_required")
    assert.deepStrictEqual(Option.getOrNull(after.reauthRequiredAt), at(5))
  })

  it("a repeated signal is idempotent (the same connection back)", () => {
    const flagged = Either.getOrThrow(apply(twoLogins(), AccountChange.ReauthRequired({ accountId: id("pay") })))
    assert.strictEqual(
      Either.getOrThrow(apply(flagged, AccountChange.ReauthRequired({ accountId: id("pay") }), 9)),
      flagged,
    )
  })

  it("Finch's statuses are all recorded, and `connected` brings a login back without a new token", () => {
    let current = twoLogins()
    for (const status of ["pending", "processing", "error_permissions", "error_no_account_setup", "reauth"]) {
      current = Either.getOrThrow(apply(current, AccountChange.FinchStatus({ accountId: id("hr"), status })))
    }
    assert.deepStrictEqual(statuses(current)[0], ["hr", "reauth_required"])
    current = Either.getOrThrow(apply(current, AccountChange.FinchStatus({ accountId: id("hr"), status: "connected" })))
    assert.deepStrictEqual(statuses(current)[0], ["hr", "connected"])
    assert.isTrue(Option.isNone(current.reauthRequiredAt))
    const unknown = Either.getOrThrow(apply(current, AccountChange.FinchStatus({ accountId: id("hr"), status: "new" })))
    assert.strictEqual(unknown, current)
  })

  it("a dead login ignores status signals and refuses reauthentication; an unknown account is AccountNotFound", () => {
    const gone = Either.getOrThrow(apply(twoLogins(), AccountChange.Revoked({ accountId: id("hr") })))
    assert.deepStrictEqual(statuses(gone)[0], ["hr", "revoked"])
    assert.strictEqual(
      Either.getOrThrow(apply(gone, AccountChange.FinchStatus({ accountId: id("hr"), status: "connected" }))),
      gone,
    )
    assert.strictEqual(leftTag(apply(gone, AccountChange.ReauthRequired({ accountId: id("hr") }))), "IllegalTransition")
    assert.strictEqual(leftTag(apply(gone, AccountChange.Revoked({ accountId: id("nobody") }))), "AccountNotFound")
  })

  it("disconnecting one login leaves the other; disconnecting what is dead is an IllegalTransition", () => {
    const before = twoLogins()
    const after = Either.getOrThrow(apply(before, AccountChange.Disconnected({ accountIds: Option.some([id("hr")]) })))
    assert.deepStrictEqual(statuses(after), [
      ["hr", "disconnected"],
      ["pay", "connected"],
    ])
    assert.strictEqual(after.status, "active")
    assert.deepStrictEqual(
      accountsEnded(before, after).map((a) => a.accountId),
      ["hr"],
    )
    const again = apply(after, AccountChange.Disconnected({ accountIds: Option.some([id("hr")]) }))
    assert.strictEqual(leftTag(again), "IllegalTransition")
    const all = Either.getOrThrow(apply(after, AccountChange.Disconnected({ accountIds: Option.none() }), 7))
    assert.strictEqual(all.status, "disconnected")
    assert.deepStrictEqual(Option.getOrNull(all.disconnectedAt), at(7))
    assert.strictEqual(
      leftTag(apply(all, AccountChange.Disconnected({ accountIds: Option.none() }))),
      "IllegalTransition",
    )
  })

  it("an introspection updates products, entities and status, and fills a missing Finch connection id", () => {
    const before = connection([account("legacy", ["directory"], { entities: ["e1"] })])
    const after = Either.getOrThrow(
      apply(
        before,
        AccountChange.Introspected({
          accountId: id("legacy"),
          introspection: Fixtures.introspection({
            provider: "gusto",
            company: "c1",
            finchConnection: "f-new",
            status: "reauth",
            products: ["directory", "payment"],
            entities: ["e1", "e2"],
          }),
        }),
      ),
    )
    const described = Option.getOrThrow(after.account("legacy"))
    assert.deepStrictEqual(Option.getOrNull(described.finchConnectionId), "f-new")
    assert.deepStrictEqual(described.products, products("directory", "payment"))
    assert.deepStrictEqual([...described.entityIds], ["e1", "e2"])
    assert.strictEqual(described.status, "reauth_required")
    assert.deepStrictEqual(
      after.entities.map((e) => e.id),
      ["e1", "e2"],
    )
  })

  it("an introspection of another Finch connection than the account's is a TokenMismatch", () => {
    const result = apply(
      twoLogins(),
      AccountChange.Introspected({
        accountId: id("hr"),
        introspection: Fixtures.introspection({ provider: "gusto", company: "c1", finchConnection: "f-pay" }),
      }),
    )
    assert.strictEqual(leftTag(result), "TokenMismatch")
  })

  it("removing an entity takes it off every login reaching it and off the connection; an unreached one is EntityNotFound", () => {
    const before = connection([
      account("a", ["directory"], { entities: ["e1", "e2"] }),
      account("b", ["directory"], { entities: ["e2", "e3"], updated: 1 }),
    ])
    const after = Either.getOrThrow(apply(before, AccountChange.EntitiesRemoved({ entityIds: [EntityId.make("e2")] })))
    assert.deepStrictEqual(
      after.accounts.map((a) => [...a.entityIds] as Array<string>),
      [["e1"], ["e3"]],
    )
    assert.deepStrictEqual(
      after.entities.map((e) => e.id),
      ["e1", "e3"],
    )
    assert.strictEqual(
      leftTag(apply(after, AccountChange.EntitiesRemoved({ entityIds: [EntityId.make("e2")] }))),
      "EntityNotFound",
    )
  })

  const change = FastCheck.oneof(
    FastCheck.record({ kind: FastCheck.constant("reauth" as const), who: FastCheck.constantFrom("hr", "pay") }),
    FastCheck.record({
      kind: FastCheck.constant("status" as const),
      who: FastCheck.constantFrom("hr", "pay"),
      status: FastCheck.constantFrom("connected", "pending", "reauth", "error_permissions", "disconnected", "odd"),
    }),
    FastCheck.record({ kind: FastCheck.constant("revoke" as const), who: FastCheck.constantFrom("hr", "pay") }),
    FastCheck.record({ kind: FastCheck.constant("disconnect" as const), who: FastCheck.constantFrom("hr", "pay") }),
  )
  const toChange = (c: { kind: string; who: string; status?: string }): AccountChange =>
    c.kind === "reauth"
      ? AccountChange.ReauthRequired({ accountId: id(c.who) })
      : c.kind === "status"
        ? AccountChange.FinchStatus({ accountId: id(c.who), status: c.status ?? "connected" })
        : c.kind === "revoke"
          ? AccountChange.Revoked({ accountId: id(c.who) })
          : AccountChange.Disconnected({ accountIds: Option.some([id(c.who)]) })

  it.prop(
    "no signal revives a dead login, and the connection's status always follows its accounts",
    [FastCheck.array(change, { maxLength: 50 })],
    ([changes]) => {
      let current = twoLogins()
      const dead = new Set<string>()
      changes.forEach((c, i) => {
        current = Either.getOrElse(apply(current, toChange(c), i), () => current)
        for (const a of current.accounts) {
          if (dead.has(a.accountId)) assert.include(["revoked", "disconnected"], a.status)
          if (a.status === "revoked" || a.status === "disconnected") dead.add(a.accountId)
        }
        assert.strictEqual(current.status, connectionStatusOf(current.accounts))
      })
    },
  )
})

describe("selectAccount", () => {
  it("picks a healthy account whose products cover the need", () => {
    const c = connection([account("hr", ["directory", "individual"]), account("pay", ["payment"], { updated: 1 })])
    assert.strictEqual(Either.getOrThrow(selectAccount(c, { products: products("directory") })).accountId, "hr")
    assert.strictEqual(Either.getOrThrow(selectAccount(c, { products: products("payment") })).accountId, "pay")
  })

  it("prefers the most recently updated of several that qualify", () => {
    const c = connection([account("old", ["directory"], { updated: 1 }), account("new", ["directory"], { updated: 7 })])
    assert.strictEqual(Either.getOrThrow(selectAccount(c, { products: products("directory") })).accountId, "new")
  })

  it("picks the login whose token reaches the entity asked for, whatever is newer", () => {
    const c = connection([
      account("entity-0", ["directory"], { entities: ["e0"], updated: 1 }),
      account("entity-1", ["directory"], { entities: ["e1"], updated: 9 }),
    ])
    const need = (entity: string) => ({ products: products("directory"), entityId: EntityId.make(entity) })
    assert.strictEqual(Either.getOrThrow(selectAccount(c, need("e0"))).accountId, "entity-0")
    assert.strictEqual(Either.getOrThrow(selectAccount(c, need("e1"))).accountId, "entity-1")
    const none = Option.getOrThrow(Either.getLeft(selectAccount(c, need("e9"))))
    assert.deepStrictEqual([none._tag, none.entityId], ["NoUsableToken", "e9"])
  })

  it("a token listing no entity reaches the whole company, after one naming the entity", () => {
    const c = connection([
      account("whole", ["directory"], { updated: 9 }),
      account("named", ["directory"], { entities: ["e1"], updated: 1 }),
    ])
    const need = (entity: string) => ({ products: products("directory"), entityId: EntityId.make(entity) })
    assert.strictEqual(Either.getOrThrow(selectAccount(c, need("e1"))).accountId, "named")
    assert.strictEqual(Either.getOrThrow(selectAccount(c, need("e2"))).accountId, "whole")
  })

  it("skips accounts not connected and excluded ones; none left ⇒ NoUsableToken with the products", () => {
    const c = connection([
      account("stale", ["directory"], { status: "reauth_required", updated: 9 }),
      account("waiting", ["directory"], { status: "pending", updated: 9 }),
      account("gone", ["directory"], { status: "revoked", updated: 9 }),
      account("narrow", ["company"], { updated: 1 }),
      account("refused", ["directory"], { updated: 1 }),
    ])
    const error = Option.getOrThrow(
      Either.getLeft(selectAccount(c, { products: products("directory"), excluding: [id("refused")] })),
    )
    assert.deepStrictEqual(
      [error._tag, error.connectionId, [...error.products]],
      ["NoUsableToken", connectionId, ["directory"]],
    )
  })

  it("a named account is used when live and covering, even if it needs reauthentication (for /disconnect)", () => {
    const c = connection([account("a1", ["directory"], { status: "reauth_required" })])
    assert.isTrue(Either.isLeft(selectAccount(c, { products: [] })))
    assert.strictEqual(Either.getOrThrow(selectAccount(c, { products: [], accountId: id("a1") })).accountId, "a1")
    assert.isTrue(Either.isLeft(selectAccount(c, { products: products("payment"), accountId: id("a1") })))
    assert.isTrue(Either.isLeft(selectAccount(c, { products: [], accountId: id("unknown") })))
  })

  it("a dead account has no usable token, even by name", () => {
    const c = connection([account("a1", ["directory"], { status: "disconnected" })])
    assert.isTrue(Either.isLeft(selectAccount(c, { products: [], accountId: id("a1") })))
  })
})

describe("requireOwned (isolation)", () => {
  it("returns the customer's own connection", () => {
    assert.strictEqual(Either.getOrThrow(requireOwned(acme, connectionId, Option.some(connection()))).id, connectionId)
  })

  it.prop(
    "another customer's connection fails exactly like a missing one",
    [FastCheck.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== "" && s.trim() !== "acme")],
    ([name]) => {
      const stranger = CustomerId.make(name.trim())
      const foreign = Either.getLeft(requireOwned(stranger, connectionId, Option.some(connection())))
      const missing = Either.getLeft(requireOwned(stranger, connectionId, Option.none()))
      assert.deepStrictEqual(
        Option.map(foreign, (e) => [e._tag, e.customerId, e.connectionId, e.message]),
        Option.map(missing, (e) => [e._tag, e.customerId, e.connectionId, e.message]),
      )
      assert.isTrue(Option.isSome(foreign))
    },
  )
})
