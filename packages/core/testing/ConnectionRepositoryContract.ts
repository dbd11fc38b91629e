/**
 * The behaviour every `ConnectionRepository` must have, as one suite to run against each implementation (memory in
 * core, PostgreSQL in store-postgres). Every case uses fresh customer and company ids, so the suite shares one store
 * (one layer build) and needs no clearing between cases. Runs on the live clock (real databases time out).
 */
import { assert, layer } from "@effect/vitest"
import { assertInstanceOf } from "@effect/vitest/utils"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ConnectionNotFound } from "../src/Connection.ts"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { AccountId, ConnectionId, type CustomerId } from "../src/Ids.ts"
import type { Introspection } from "../src/Introspection.ts"
import { Product } from "../src/Product.ts"
import * as Fixtures from "./Fixtures.ts"

const products = (...names: ReadonlyArray<string>) => names.map((name) => Product.make(name))

/** Creates a fresh customer in the repository under test. */
const newCustomer = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  return (yield* customers.create(Fixtures.customer())).id
})

const record = (customerId: CustomerId, introspection: Introspection, token = Fixtures.accessToken()) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.recordToken({ customerId, introspection, accessToken: token }),
  )

const open = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  options: { readonly products?: ReadonlyArray<string>; readonly account?: string } = {},
) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.openToken({
      customerId,
      connectionId,
      products: products(...(options.products ?? [])),
      account: Option.map(Option.fromNullable(options.account), (id) => AccountId.make(id)),
    }),
  )

/**
 * Registers the `ConnectionRepository` contract for the implementation `layer` provides (with the
 * `CustomerRepository` its connections hang off), under the name `name`.
 */
export const connectionRepositoryContract = <E>(
  name: string,
  layer_: Layer.Layer<ConnectionRepository | CustomerRepository, E>,
): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(
    `ConnectionRepository contract: ${name}`,
    (it) => {
      it.effect("a first token creates an active connection with one account, and its token opens", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const token = Fixtures.accessToken()
          const introspection = Fixtures.oldModelToken("gusto")
          const recorded = yield* record(customerId, introspection, token)
          assert.strictEqual(recorded.classification, "NewConnection")
          assert.strictEqual(recorded.connection.customerId, customerId)
          assert.strictEqual(recorded.connection.providerId, "gusto")
          assert.strictEqual(recorded.connection.status, "active")
          assert.deepStrictEqual(
            recorded.connection.accounts.map((a) => [a.accountId, a.status]),
            [[Option.getOrThrow(introspection.accountId), "active"]],
          )
          const fetched = yield* repository.get(customerId, recorded.connection.id)
          assert.strictEqual(fetched.id, recorded.connection.id)
          assert.deepStrictEqual(
            (yield* repository.list(customerId)).map((c) => c.id),
            [recorded.connection.id],
          )
          const opened = yield* open(customerId, recorded.connection.id, { products: ["directory"] })
          assert.strictEqual(Redacted.value(opened.token), Redacted.value(token))
          assert.strictEqual(opened.account.accountId, recorded.account.accountId)
        }),
      )

      it.effect("an unknown customer cannot record a token", () =>
        Effect.gen(function* () {
          const customerId = Fixtures.customerId()
          const error = yield* Effect.flip(record(customerId, Fixtures.oldModelToken()))
          assert.strictEqual(error._tag, "CustomerNotFound")
        }),
      )

      it.effect("multi-account: a second login at the same provider+company joins the one connection", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const adminToken = Fixtures.accessToken()
          const payrollToken = Fixtures.accessToken()
          const first = yield* record(
            customerId,
            Fixtures.introspection({ provider: "adp_run", company, account: "admin", products: ["directory"] }),
            adminToken,
          )
          const second = yield* record(
            customerId,
            Fixtures.introspection({ provider: "adp_run", company, account: "payroll", products: ["pay_statement"] }),
            payrollToken,
          )
          assert.strictEqual(second.classification, "NewAccount")
          assert.strictEqual(second.connection.id, first.connection.id)
          assert.deepStrictEqual(second.connection.accounts.map((a) => a.accountId).sort(), ["admin", "payroll"])
          assert.lengthOf(yield* repository.list(customerId), 1)
          // Each account keeps its own token; selection follows the products needed.
          const forDirectory = yield* open(customerId, first.connection.id, { products: ["directory"] })
          assert.strictEqual(Redacted.value(forDirectory.token), Redacted.value(adminToken))
          const forPay = yield* open(customerId, first.connection.id, { products: ["pay_statement"] })
          assert.strictEqual(Redacted.value(forPay.token), Redacted.value(payrollToken))
          const neither = yield* Effect.flip(open(customerId, first.connection.id, { products: ["ssn"] }))
          assert.strictEqual(neither._tag, "NoUsableToken")
        }),
      )

      it.effect("multi-provider and multi-entity: another provider or another company is another connection", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const gusto = yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "a" }))
          const deel = yield* record(customerId, Fixtures.introspection({ provider: "deel", company, account: "a" }))
          const otherEntity = yield* record(
            customerId,
            Fixtures.introspection({ provider: "gusto", company: Fixtures.unique("company"), account: "a" }),
          )
          assert.deepStrictEqual(
            [gusto.classification, deel.classification, otherEntity.classification],
            ["NewConnection", "NewConnection", "NewConnection"],
          )
          assert.strictEqual(new Set([gusto.connection.id, deel.connection.id, otherEntity.connection.id]).size, 3)
          assert.lengthOf(yield* repository.list(customerId), 3)
        }),
      )

      it.effect("the same account again replaces its token and retires the old one", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const introspection = Fixtures.oldModelToken("gusto")
          const oldToken = Fixtures.accessToken()
          const newToken = Fixtures.accessToken()
          const first = yield* record(customerId, introspection, oldToken)
          const second = yield* record(customerId, introspection, newToken)
          assert.strictEqual(second.classification, "TokenReplaced")
          assert.strictEqual(second.connection.id, first.connection.id)
          assert.lengthOf(second.connection.accounts, 1)
          assert.notStrictEqual(second.account.tokenId, first.account.tokenId)
          const opened = yield* open(customerId, first.connection.id, {
            account: Option.getOrThrow(introspection.accountId),
          })
          assert.strictEqual(Redacted.value(opened.token), Redacted.value(newToken))
          assert.strictEqual(opened.account.tokenId, second.account.tokenId)
        }),
      )

      it.effect(
        "reauthentication: marked, no healthy token, then the reauth token (same Finch connection) restores it",
        () =>
          Effect.gen(function* () {
            const repository = yield* ConnectionRepository
            const customerId = yield* newCustomer
            const finchConnection = Fixtures.unique("conn")
            const company = Fixtures.unique("company")
            const first = yield* record(
              customerId,
              Fixtures.introspection({ provider: "gusto", company, account: "login-1", finchConnection }),
            )
            const marked = yield* repository.markReauthRequired(customerId, first.connection.id, "finch_401")
            assert.strictEqual(marked.status, "reauth_required")
            assert.isTrue(Option.isSome(marked.reauthRequiredAt))
            assert.deepStrictEqual(
              marked.accounts.map((a) => a.status),
              ["reauth_required"],
            )
            const again = yield* repository.markReauthRequired(customerId, first.connection.id, "webhook")
            assert.strictEqual(again.status, "reauth_required")
            const unusable = yield* Effect.flip(open(customerId, first.connection.id))
            assert.strictEqual(unusable._tag, "NoUsableToken")
            // A reauth session keeps Finch's connection_id; the new response no longer names the deprecated account_id.
            const newToken = Fixtures.accessToken()
            const reauthed = yield* record(
              customerId,
              Fixtures.introspection({ provider: "gusto", finchConnection }),
              newToken,
            )
            assert.strictEqual(reauthed.classification, "TokenReplaced")
            assert.strictEqual(reauthed.connection.id, first.connection.id)
            assert.strictEqual(reauthed.connection.status, "active")
            assert.strictEqual(reauthed.account.accountId, "login-1")
            const opened = yield* open(customerId, first.connection.id)
            assert.strictEqual(Redacted.value(opened.token), Redacted.value(newToken))
          }),
      )

      it.effect("retired tokens still held open for revocation, most recently retired first, until disconnect", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const introspection = Fixtures.oldModelToken("gusto")
          const tokens = [Fixtures.accessToken(), Fixtures.accessToken(), Fixtures.accessToken()]
          const first = yield* record(customerId, introspection, tokens[0])
          assert.deepStrictEqual(yield* repository.openRetiredTokens(customerId, first.connection.id), [])
          yield* record(customerId, introspection, tokens[1])
          yield* Effect.sleep("5 millis") // retired at distinct instants
          yield* record(customerId, introspection, tokens[2])
          const retired = yield* repository.openRetiredTokens(customerId, first.connection.id)
          assert.deepStrictEqual(
            retired.map(Redacted.value),
            [tokens[1], tokens[0]].map((t) => Redacted.value(t!)),
          )
          const other = yield* newCustomer
          const hidden = yield* Effect.flip(repository.openRetiredTokens(other, first.connection.id))
          assertInstanceOf(hidden, ConnectionNotFound)
          yield* repository.markDisconnected(customerId, first.connection.id, "user")
          assert.deepStrictEqual(yield* repository.openRetiredTokens(customerId, first.connection.id), [])
        }),
      )

      it.effect("a token needing reauthentication still opens by account name (to call /disconnect with it)", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const token = Fixtures.accessToken()
          const recorded = yield* record(customerId, Fixtures.oldModelToken("gusto"), token)
          yield* repository.markReauthRequired(customerId, recorded.connection.id, "finch_401")
          assert.strictEqual((yield* Effect.flip(open(customerId, recorded.connection.id)))._tag, "NoUsableToken")
          const named = yield* open(customerId, recorded.connection.id, { account: recorded.account.accountId })
          assert.strictEqual(Redacted.value(named.token), Redacted.value(token))
        }),
      )

      it.effect("lists the customer's connections newest first", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const created: Array<ConnectionId> = []
          for (const provider of ["gusto", "deel", "adp_run"]) {
            created.push((yield* record(customerId, Fixtures.oldModelToken(provider))).connection.id)
            yield* Effect.sleep("5 millis")
          }
          assert.deepStrictEqual(
            (yield* repository.list(customerId)).map((c) => c.id),
            created.reverse(),
          )
        }),
      )

      it.effect("isolation: another customer's connection is exactly as unknown as a missing one", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const owner = yield* newCustomer
          const stranger = yield* newCustomer
          const { connection } = yield* record(owner, Fixtures.oldModelToken())
          const missing = ConnectionId.make(Fixtures.uuid())
          for (const connectionId of [connection.id, missing]) {
            const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }, ConnectionRepository>> = [
              repository.get(stranger, connectionId),
              repository.markReauthRequired(stranger, connectionId, "user"),
              repository.markDisconnected(stranger, connectionId, "user"),
              open(stranger, connectionId),
            ]
            for (const attempt of attempts) {
              const error = yield* Effect.flip(attempt)
              assertInstanceOf(error, ConnectionNotFound)
              assert.deepStrictEqual([error.customerId, error.connectionId], [stranger, connectionId])
            }
          }
          assert.lengthOf(yield* repository.list(stranger), 0)
          // The owner's connection is untouched by the stranger's attempts.
          assert.strictEqual((yield* repository.get(owner, connection.id)).status, "active")
        }),
      )

      it.effect("a provider+company connected by another customer is refused, revealing nothing", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const owner = yield* newCustomer
          const other = yield* newCustomer
          const introspection = Fixtures.oldModelToken("gusto")
          yield* record(owner, introspection)
          const error = yield* Effect.flip(
            record(
              other,
              Fixtures.introspection({
                provider: "gusto",
                company: Option.getOrThrow(introspection.companyId),
                account: "x",
              }),
            ),
          )
          assert.strictEqual(error._tag, "OwnedByAnotherCustomer")
          assert.notInclude(error.message, owner)
          assert.lengthOf(yield* repository.list(other), 0)
          assert.lengthOf((yield* repository.list(owner))[0]?.accounts ?? [], 1)
        }),
      )

      it.effect("a token from another customer's Connect session is refused and nothing is stored", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const error = yield* Effect.flip(
            record(
              customerId,
              Fixtures.introspection({
                provider: "gusto",
                finchConnection: Fixtures.unique("conn"),
                finchCustomer: Fixtures.unique("someone-else"),
              }),
            ),
          )
          assert.strictEqual(error._tag, "ForeignConnectSession")
          assert.lengthOf(yield* repository.list(customerId), 0)
        }),
      )

      it.effect("a token naming no company, connection or entity is refused", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const error = yield* Effect.flip(record(customerId, Fixtures.introspection({ provider: "gusto" })))
          assert.strictEqual(error._tag, "UnidentifiableToken")
        }),
      )

      it.effect("multi-entity (newer Finch): no company_id, identified by the Finch connection; entities kept", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const finchConnection = Fixtures.unique("conn")
          const recorded = yield* record(
            customerId,
            Fixtures.introspection({ provider: "justworks", finchConnection, entities: ["entity-b", "entity-a"] }),
          )
          assert.strictEqual(recorded.classification, "NewConnection")
          assert.strictEqual(recorded.connection.companyId, `connection:${finchConnection}`)
          assert.deepStrictEqual(Option.getOrNull(recorded.connection.finchConnectionId), finchConnection)
          assert.deepStrictEqual(recorded.connection.entities.map((e) => e.id).sort(), ["entity-a", "entity-b"])
        }),
      )

      it.effect("disconnect revokes every account, destroys the tokens, and is terminal for lifecycle signals", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const first = yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "a" }))
          yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "b" }))
          const disconnected = yield* repository.markDisconnected(customerId, first.connection.id, "user")
          assert.strictEqual(disconnected.status, "disconnected")
          assert.isTrue(Option.isSome(disconnected.disconnectedAt))
          assert.deepStrictEqual(
            disconnected.accounts.map((a) => a.status),
            ["revoked", "revoked"],
          )
          for (const account of [undefined, "a", "b"]) {
            const exit = yield* Effect.exit(
              open(customerId, first.connection.id, account === undefined ? {} : { account }),
            )
            assert.isTrue(Exit.isFailure(exit), `account ${account ?? "(any)"} must not open after disconnect`)
          }
          const twice = yield* Effect.flip(repository.markDisconnected(customerId, first.connection.id, "user"))
          assert.strictEqual(twice._tag, "IllegalTransition")
          const reauth = yield* Effect.flip(repository.markReauthRequired(customerId, first.connection.id, "webhook"))
          assert.strictEqual(reauth._tag, "IllegalTransition")
          assert.strictEqual((yield* repository.get(customerId, first.connection.id)).status, "disconnected")
        }),
      )

      it.effect("connecting a disconnected provider+company again reopens the same connection", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const first = yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "a" }))
          yield* repository.markDisconnected(customerId, first.connection.id, "user")
          const token = Fixtures.accessToken()
          const again = yield* record(
            customerId,
            Fixtures.introspection({ provider: "gusto", company, account: "a" }),
            token,
          )
          assert.strictEqual(again.connection.id, first.connection.id)
          assert.strictEqual(again.connection.status, "active")
          assert.isTrue(Option.isNone(again.connection.disconnectedAt))
          const opened = yield* open(customerId, first.connection.id)
          assert.strictEqual(Redacted.value(opened.token), Redacted.value(token))
          assert.lengthOf(yield* repository.list(customerId), 1)
        }),
      )

      it.effect("20 concurrent first tokens for one provider+company yield one connection with every account", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const results = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i),
            (i) => record(customerId, Fixtures.introspection({ provider: "gusto", company, account: `login-${i}` })),
            { concurrency: "unbounded" },
          )
          assert.strictEqual(new Set(results.map((r) => r.connection.id)).size, 1)
          assert.strictEqual(results.filter((r) => r.classification === "NewConnection").length, 1)
          const connections = yield* repository.list(customerId)
          assert.lengthOf(connections, 1)
          assert.lengthOf(connections[0]?.accounts ?? [], 20)
        }),
      )

      it.effect("20 concurrent tokens of the same account leave one account whose token is the last one stored", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const introspection = Fixtures.oldModelToken("gusto")
          const tokens = Array.from({ length: 20 }, () => Fixtures.accessToken())
          const results = yield* Effect.forEach(tokens, (token) => record(customerId, introspection, token), {
            concurrency: "unbounded",
          })
          assert.strictEqual(results.filter((r) => r.classification === "NewConnection").length, 1)
          const [connection] = yield* repository.list(customerId)
          assert.isDefined(connection)
          assert.lengthOf(connection?.accounts ?? [], 1)
          const opened = yield* open(customerId, results[0]!.connection.id)
          const winner = results.findIndex((r) => r.account.tokenId === opened.account.tokenId)
          assert.isAtLeast(winner, 0)
          assert.strictEqual(Redacted.value(opened.token), Redacted.value(tokens[winner]!))
        }),
      )

      it.effect("two customers racing for one provider+company: exactly one owns it", () =>
        Effect.gen(function* () {
          const first = yield* newCustomer
          const second = yield* newCustomer
          const company = Fixtures.unique("company")
          const [a, b] = yield* Effect.all(
            [
              Effect.either(record(first, Fixtures.introspection({ provider: "gusto", company, account: "a" }))),
              Effect.either(record(second, Fixtures.introspection({ provider: "gusto", company, account: "b" }))),
            ],
            { concurrency: "unbounded" },
          )
          const outcomes = [a, b].map((result) => (result._tag === "Right" ? "owner" : result.left._tag)).sort()
          assert.deepStrictEqual(outcomes, ["OwnedByAnotherCustomer", "owner"])
        }),
      )
    },
  )
}
