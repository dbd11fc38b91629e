import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import {
  Account,
  Connection,
  type ConnectionStatus,
  markActive,
  markDisconnected,
  markReauthRequired,
  reopen,
  requireOwned,
  selectAccount,
} from "../src/Connection.ts"
import { AccountId, CompanyId, ConnectionId, CustomerId, ProviderId, TokenId } from "../src/Ids.ts"
import { Product } from "../src/Product.ts"

const acme = CustomerId.make("acme")
const connectionId = ConnectionId.make("11111111-1111-4111-8111-111111111111")
const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000)

const account = (
  id: string,
  products: ReadonlyArray<string>,
  status: Account["status"] = "active",
  updated = 0,
  tokenNumber = updated,
) =>
  new Account({
    accountId: AccountId.make(id),
    tokenId: TokenId.make(`00000000-0000-4000-8000-${tokenNumber.toString().padStart(12, "0")}`),
    products: products.map((p) => Product.make(p)),
    status,
    connectedAt: at(0),
    updatedAt: at(updated),
  })

const connection = (
  status: ConnectionStatus = "active",
  accounts: ReadonlyArray<Account> = [account("a1", ["directory", "individual", "employment"])],
) =>
  new Connection({
    id: connectionId,
    customerId: acme,
    providerId: ProviderId.make("gusto"),
    companyId: CompanyId.make("c1"),
    finchConnectionId: Option.none(),
    status,
    accounts,
    entities: [],
    createdAt: at(0),
    updatedAt: at(0),
    reauthRequiredAt: Option.none(),
    disconnectedAt: Option.none(),
  })

const products = (...names: ReadonlyArray<string>) => names.map((p) => Product.make(p))

const illegal = (
  result: Either.Either<Connection, { readonly _tag: string; readonly from: string; readonly to: string }>,
) => {
  const error = Option.getOrThrow(Either.getLeft(result))
  return [error._tag, error.from, error.to]
}

describe("lifecycle", () => {
  it("active → reauth_required marks every active account and records when", () => {
    const before = connection("active", [account("a1", ["directory"]), account("a2", ["payment"], "revoked")])
    const after = Either.getOrThrow(markReauthRequired(before, at(5)))
    assert.strictEqual(after.status, "reauth_required")
    assert.deepStrictEqual(Option.getOrNull(after.reauthRequiredAt), at(5))
    assert.deepStrictEqual(
      after.accounts.map((a) => a.status),
      ["reauth_required", "revoked"],
    )
  })

  it("markReauthRequired on a reauth_required connection is idempotent (same connection back)", () => {
    const flagged = Either.getOrThrow(markReauthRequired(connection(), at(5)))
    const again = Either.getOrThrow(markReauthRequired(flagged, at(9)))
    assert.strictEqual(again, flagged)
  })

  it("reauth_required → active when a token is replaced", () => {
    const flagged = Either.getOrThrow(markReauthRequired(connection(), at(5)))
    const restored = Either.getOrThrow(markActive(flagged, at(9)))
    assert.strictEqual(restored.status, "active")
    assert.isTrue(Option.isNone(restored.reauthRequiredAt))
    assert.deepStrictEqual(restored.updatedAt, at(9))
  })

  it("active | reauth_required → disconnected revokes every account", () => {
    for (const status of ["active", "reauth_required"] as const) {
      const after = Either.getOrThrow(
        markDisconnected(
          connection(status, [account("a1", [], "active"), account("a2", [], "reauth_required")]),
          at(3),
        ),
      )
      assert.strictEqual(after.status, "disconnected")
      assert.deepStrictEqual(Option.getOrNull(after.disconnectedAt), at(3))
      assert.deepStrictEqual(
        after.accounts.map((a) => a.status),
        ["revoked", "revoked"],
      )
    }
  })

  it("disconnected is terminal for every lifecycle signal: each is an IllegalTransition", () => {
    const gone = connection("disconnected")
    assert.deepStrictEqual(illegal(markReauthRequired(gone, at(1))), [
      "IllegalTransition",
      "disconnected",
      "reauth_required",
    ])
    assert.deepStrictEqual(illegal(markActive(gone, at(1))), ["IllegalTransition", "disconnected", "active"])
    assert.deepStrictEqual(illegal(markDisconnected(gone, at(1))), [
      "IllegalTransition",
      "disconnected",
      "disconnected",
    ])
  })

  it("reopen is only for a disconnected connection (a fresh Connect by its owner)", () => {
    const reopened = Either.getOrThrow(reopen(connection("disconnected"), at(2)))
    assert.strictEqual(reopened.status, "active")
    assert.isTrue(Option.isNone(reopened.disconnectedAt))
    assert.deepStrictEqual(illegal(reopen(connection("active"), at(2))), ["IllegalTransition", "active", "active"])
  })

  const signal = FastCheck.constantFrom<"reauth" | "active" | "disconnect">("reauth", "active", "disconnect")
  const apply = (c: Connection, s: "reauth" | "active" | "disconnect", now: Date) =>
    s === "reauth" ? markReauthRequired(c, now) : s === "active" ? markActive(c, now) : markDisconnected(c, now)

  it.prop(
    "never leaves disconnected, whatever signals follow",
    [FastCheck.array(signal, { maxLength: 60 })],
    ([signals]) => {
      let current = connection()
      let disconnected = false
      signals.forEach((s, i) => {
        const result = apply(current, s, at(i))
        if (disconnected) assert.isTrue(Either.isLeft(result), `${s} left disconnected`)
        current = Either.getOrElse(result, () => current)
        disconnected ||= current.status === "disconnected"
        assert.strictEqual(current.status === "disconnected", disconnected)
      })
    },
  )

  it.prop(
    "every legal transition lands on the status it names; every refusal names from and to",
    [FastCheck.array(signal, { maxLength: 40 })],
    ([signals]) => {
      let current = connection()
      signals.forEach((s, i) => {
        const target = s === "reauth" ? "reauth_required" : s === "active" ? "active" : "disconnected"
        const result = apply(current, s, at(i))
        if (Either.isRight(result)) {
          assert.strictEqual(result.right.status, target)
          current = result.right
        } else {
          assert.deepStrictEqual([result.left.from, result.left.to], [current.status, target])
          assert.strictEqual(current.status, "disconnected")
        }
      })
    },
  )
})

describe("selectAccount", () => {
  it("picks a healthy account whose products cover the need", () => {
    const c = connection("active", [
      account("hr", ["directory", "individual"]),
      account("pay", ["payment"], "active", 1),
    ])
    assert.strictEqual(Either.getOrThrow(selectAccount(c, products("directory"))).accountId, "hr")
    assert.strictEqual(Either.getOrThrow(selectAccount(c, products("payment"))).accountId, "pay")
  })

  it("prefers the most recently updated of several that qualify", () => {
    const c = connection("active", [
      account("old", ["directory"], "active", 1),
      account("new", ["directory"], "active", 7),
    ])
    assert.strictEqual(Either.getOrThrow(selectAccount(c, products("directory"))).accountId, "new")
  })

  it("skips accounts needing reauthentication or revoked; none left ⇒ NoUsableToken with the products", () => {
    const c = connection("active", [
      account("stale", ["directory"], "reauth_required", 9),
      account("gone", ["directory"], "revoked", 9),
      account("narrow", ["company"], "active", 1),
    ])
    const error = Option.getOrThrow(Either.getLeft(selectAccount(c, products("directory"))))
    assert.deepStrictEqual(
      [error._tag, error.connectionId, [...error.products]],
      ["NoUsableToken", connectionId, ["directory"]],
    )
  })

  it("a named account is used when live and covering, even if it needs reauthentication (for /disconnect)", () => {
    const c = connection("reauth_required", [account("a1", ["directory"], "reauth_required")])
    assert.isTrue(Either.isLeft(selectAccount(c, [])))
    assert.strictEqual(Either.getOrThrow(selectAccount(c, [], Option.some(AccountId.make("a1")))).accountId, "a1")
    assert.isTrue(Either.isLeft(selectAccount(c, products("payment"), Option.some(AccountId.make("a1")))))
    assert.isTrue(Either.isLeft(selectAccount(c, [], Option.some(AccountId.make("unknown")))))
  })

  it("a disconnected connection has no usable token, even by name", () => {
    const c = connection("disconnected", [account("a1", ["directory"], "active")])
    assert.isTrue(Either.isLeft(selectAccount(c, [], Option.some(AccountId.make("a1")))))
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
