import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AccountChange, type Connection, isLive } from "../src/Connection.ts"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { CustomerId } from "../src/Ids.ts"
import { StoresTest } from "../testing/CoreTest.ts"
import * as Fixtures from "../testing/Fixtures.ts"

// The contract (test/Contracts.test.ts) pins named cases; this drives the memory repository through random
// histories and checks the invariants every history must keep.

const customers = ["acme", "globex"].map((id) => CustomerId.make(id))
const customer = FastCheck.constantFrom(...customers)
const operation = FastCheck.oneof(
  FastCheck.record({
    op: FastCheck.constant("record" as const),
    customer,
    provider: FastCheck.constantFrom("gusto", "deel"),
    company: FastCheck.option(FastCheck.constantFrom("c1", "c2"), { nil: undefined }),
    account: FastCheck.option(FastCheck.constantFrom("a1", "a2"), { nil: undefined }),
    finchConnection: FastCheck.option(FastCheck.constantFrom("f1", "f2", "f3"), { nil: undefined }),
  }),
  FastCheck.record({
    op: FastCheck.constantFrom("reauth" as const, "disconnect" as const),
    customer,
    pick: FastCheck.nat(),
  }),
)

describe("ConnectionRepository.layerMemory under random histories", () => {
  it.effect.prop(
    "keeps live provider+company unique, never crosses customers, and always opens the latest token of a live account",
    [FastCheck.array(operation, { maxLength: 30 })],
    ([operations]) =>
      Effect.gen(function* () {
        const repository = yield* ConnectionRepository
        for (const id of customers) yield* (yield* CustomerRepository).create(Fixtures.customer(id))
        const latest = new Map<string, string>()
        for (const [i, step] of operations.entries()) {
          if (step.op === "record") {
            const accessToken = `token-${i}`
            const result = yield* Effect.either(
              repository.recordToken({
                customerId: step.customer,
                accessToken: Redacted.make(accessToken),
                introspection: Fixtures.introspection({
                  provider: step.provider,
                  ...(step.company === undefined ? {} : { company: step.company }),
                  ...(step.account === undefined ? {} : { account: step.account }),
                  ...(step.finchConnection === undefined ? {} : { finchConnection: step.finchConnection }),
                }),
              }),
            )
            if (result._tag === "Right") {
              assert.strictEqual(result.right.connection.customerId, step.customer)
              latest.set(`${result.right.connection.id}/${result.right.account.accountId}`, accessToken)
            }
          } else {
            const owned = yield* repository.list(step.customer)
            const target = owned[step.pick % Math.max(owned.length, 1)]
            const account = target?.accounts[step.pick % Math.max(target.accounts.length, 1)]
            if (target === undefined || account === undefined) continue
            const change =
              step.op === "reauth"
                ? AccountChange.ReauthRequired({ accountId: account.accountId })
                : AccountChange.Disconnected({ accountIds: Option.some([account.accountId]) })
            const result = yield* Effect.either(repository.applyChange(step.customer, target.id, change, "user"))
            if (result._tag === "Left") {
              assert.strictEqual(result.left._tag, "IllegalTransition")
              assert.isFalse(isLive(account.status))
            }
          }
        }
        const all: Array<Connection> = []
        for (const id of customers) {
          const owned = yield* repository.list(id)
          assert.isTrue(owned.every((c) => c.customerId === id))
          all.push(...owned)
        }
        const identities = all.filter((c) => c.status !== "disconnected").map((c) => `${c.providerId}/${c.companyId}`)
        assert.strictEqual(new Set(identities).size, identities.length)
        for (const connection of all) {
          for (const account of connection.accounts) {
            const opened = yield* Effect.either(
              repository.openToken({
                customerId: connection.customerId,
                connectionId: connection.id,
                need: { products: [], accountId: account.accountId },
              }),
            )
            if (!isLive(account.status)) {
              assert.strictEqual(opened._tag, "Left")
            } else {
              assert.strictEqual(opened._tag, "Right")
              if (opened._tag === "Right") {
                assert.strictEqual(
                  Redacted.value(opened.right.token),
                  latest.get(`${connection.id}/${account.accountId}`),
                )
              }
            }
          }
        }
      }).pipe(Effect.provide(StoresTest)),
    { fastCheck: { numRuns: 50 } },
  )
})
