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
import { AccountChange, ConnectionNotFound } from "../src/Connection.ts"
import { type ConnectionEventSource, ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { AccountId, ConnectionId, type CustomerId, EntityId, FinchConnectionId } from "../src/Ids.ts"
import type { Introspection } from "../src/Introspection.ts"
import { Product } from "../src/Product.ts"
import * as Fixtures from "./Fixtures.ts"

const products = (...names: ReadonlyArray<string>) => names.map((name) => Product.make(name))

/** Creates a fresh customer in the repository under test. */
const newCustomer = Effect.gen(function* () {
  const customers = yield* CustomerRepository
  return (yield* customers.create(Fixtures.customer())).id
})

const record = (
  customerId: CustomerId,
  introspection: Introspection,
  token = Fixtures.accessToken(),
  options: {
    readonly introspected?: boolean
    readonly reauthenticating?: { connectionId: ConnectionId; accountId: string }
  } = {},
) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.recordToken({
      customerId,
      introspection,
      accessToken: token,
      introspected: options.introspected ?? true,
      reauthenticating: Option.map(Option.fromNullable(options.reauthenticating), (target) => ({
        connectionId: target.connectionId,
        accountId: AccountId.make(target.accountId),
      })),
    }),
  )

const open = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  options: { readonly products?: ReadonlyArray<string>; readonly account?: string; readonly entity?: string } = {},
) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.openToken({
      customerId,
      connectionId,
      need: {
        products: products(...(options.products ?? [])),
        accountId: options.account === undefined ? undefined : AccountId.make(options.account),
        entityId: options.entity === undefined ? undefined : EntityId.make(options.entity),
      },
    }),
  )

const change = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  accountChange: AccountChange,
  source: ConnectionEventSource = "user",
) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.applyChange(customerId, connectionId, accountChange, source),
  )

const reauthNeeded = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  accountId: string,
  source: ConnectionEventSource = "finch_401",
) => change(customerId, connectionId, AccountChange.ReauthRequired({ accountId: AccountId.make(accountId) }), source)

const disconnectAll = (customerId: CustomerId, connectionId: ConnectionId) =>
  change(customerId, connectionId, AccountChange.Disconnected({ accountIds: Option.none() }))

const statusesOf = (connection: {
  readonly accounts: ReadonlyArray<{ readonly accountId: string; readonly status: string }>
}) => connection.accounts.map((a) => [a.accountId, a.status])

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
            [[Option.getOrThrow(introspection.accountId), "connected"]],
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
        "reauthentication is per login: only that account is marked, the other serves calls, its reauth token restores it",
        () =>
          Effect.gen(function* () {
            const customerId = yield* newCustomer
            const company = Fixtures.unique("company")
            const hrToken = Fixtures.accessToken()
            const payToken = Fixtures.accessToken()
            const hr = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }), hrToken)
            const pay = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }), payToken)
            assert.strictEqual(pay.classification, "NewAccount")
            assert.strictEqual(pay.connection.id, hr.connection.id)
            const connectionId = hr.connection.id
            const marked = yield* reauthNeeded(customerId, connectionId, pay.account.accountId)
            assert.strictEqual(marked.status, "reauth_required")
            assert.isTrue(Option.isSome(marked.reauthRequiredAt))
            assert.deepStrictEqual(statusesOf(marked), [
              [hr.account.accountId, "connected"],
              [pay.account.accountId, "reauth_required"],
            ])
            const again = yield* reauthNeeded(customerId, connectionId, pay.account.accountId, "webhook")
            assert.strictEqual(again.status, "reauth_required")
            // Calls go on with the healthy login.
            assert.strictEqual(Redacted.value((yield* open(customerId, connectionId)).token), Redacted.value(hrToken))
            // Finch's reauth session keeps the Finch connection; the response may leave out the deprecated account_id.
            const newToken = Fixtures.accessToken()
            const payFinchConnection = Option.getOrThrow(pay.account.finchConnectionId)
            const reauthed = yield* record(
              customerId,
              Fixtures.introspection({ provider: "gusto", company, finchConnection: payFinchConnection }),
              newToken,
              { reauthenticating: { connectionId, accountId: pay.account.accountId } },
            )
            assert.strictEqual(reauthed.classification, "TokenReplaced")
            assert.strictEqual(reauthed.connection.id, connectionId)
            assert.strictEqual(reauthed.connection.status, "active")
            assert.strictEqual(reauthed.account.accountId, pay.account.accountId)
            const opened = yield* open(customerId, connectionId, { account: pay.account.accountId })
            assert.strictEqual(Redacted.value(opened.token), Redacted.value(newToken))
            const untouched = yield* open(customerId, connectionId, { account: hr.account.accountId })
            assert.strictEqual(Redacted.value(untouched.token), Redacted.value(hrToken))
          }),
      )

      it.effect("a reauthentication whose token is another login's is refused and replaces nothing", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const hr = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }))
          const payToken = Fixtures.accessToken()
          const pay = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }), payToken)
          yield* reauthNeeded(customerId, hr.connection.id, pay.account.accountId)
          const before = yield* repository.get(customerId, hr.connection.id)
          for (const attempt of [
            Fixtures.currentToken({
              provider: "gusto",
              company,
              finchConnection: Option.getOrThrow(hr.account.finchConnectionId),
            }),
            Fixtures.currentToken({ provider: "gusto", company: Fixtures.unique("other-company") }),
          ]) {
            const error = yield* Effect.flip(
              record(customerId, attempt, Fixtures.accessToken(), {
                reauthenticating: { connectionId: hr.connection.id, accountId: pay.account.accountId },
              }),
            )
            assert.strictEqual(error._tag, "TokenMismatch")
          }
          const after = yield* repository.get(customerId, hr.connection.id)
          assert.deepStrictEqual(statusesOf(after), statusesOf(before))
          assert.deepStrictEqual(
            after.accounts.map((a) => a.tokenId),
            before.accounts.map((a) => a.tokenId),
          )
          assert.lengthOf(yield* repository.list(customerId), 1)
          const stillOld = yield* open(customerId, hr.connection.id, { account: pay.account.accountId })
          assert.strictEqual(Redacted.value(stillOld.token), Redacted.value(payToken))
        }),
      )

      it.effect("a known Finch connection's token naming another company is refused, not stored", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const finchConnection = Fixtures.unique("conn")
          const first = yield* record(
            customerId,
            Fixtures.currentToken({ provider: "gusto", company: Fixtures.unique("company"), finchConnection }),
          )
          const error = yield* Effect.flip(
            record(
              customerId,
              Fixtures.currentToken({ provider: "gusto", company: Fixtures.unique("company"), finchConnection }),
            ),
          )
          assert.strictEqual(error._tag, "TokenMismatch")
          const [only] = yield* repository.list(customerId)
          assert.deepStrictEqual(
            only?.accounts.map((a) => a.tokenId),
            [first.account.tokenId],
          )
        }),
      )

      it.effect("Finch's statuses are kept per login, and `connected` brings a login back", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const recorded = yield* record(
            customerId,
            Fixtures.currentToken({ provider: "gusto", company: Fixtures.unique("company"), status: "pending" }),
          )
          assert.strictEqual(recorded.connection.status, "pending")
          const accountId = recorded.account.accountId
          for (const [status, expected] of [
            ["processing", "pending"],
            ["error_permissions", "error"],
            ["reauth", "reauth_required"],
            ["connected", "active"],
          ] as const) {
            const after = yield* change(
              customerId,
              recorded.connection.id,
              AccountChange.FinchStatus({ accountId, status }),
              "webhook",
            )
            assert.strictEqual(after.status, expected, `after ${status}`)
          }
        }),
      )

      it.effect("keeps each login's username from its latest token or introspection, and reads it back", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const finchConnection = Fixtures.unique("conn")
          const login = (username?: string) =>
            Fixtures.introspection({ provider: "gusto", company, finchConnection, ...(username ? { username } : {}) })
          const first = yield* record(customerId, login("alice@acme.test"))
          const other = yield* record(
            customerId,
            Fixtures.introspection({ provider: "gusto", company, finchConnection: Fixtures.unique("conn") }),
          )
          assert.strictEqual(other.classification, "NewAccount")
          const repository = yield* ConnectionRepository
          const usernames = (connection: { accounts: ReadonlyArray<{ username: Option.Option<string> }> }) =>
            connection.accounts.map((account) => Option.getOrNull(account.username))
          assert.deepStrictEqual(usernames(yield* repository.get(customerId, first.connection.id)), [
            "alice@acme.test",
            null,
          ])
          // A new token of the login under another admin's name, then one that does not say: the latest name stays.
          yield* record(customerId, login("bob"))
          yield* record(customerId, login())
          assert.deepStrictEqual(usernames(yield* repository.get(customerId, first.connection.id)), ["bob", null])
          // An introspection names it too (the worker's path: an update of the account alone).
          yield* change(
            customerId,
            first.connection.id,
            AccountChange.Introspected({ accountId: first.account.accountId, introspection: login("carol") }),
            "introspection",
          )
          const listed = (yield* repository.list(customerId)).find((c) => c.id === first.connection.id)
          assert.deepStrictEqual(usernames(listed!), ["carol", null])
        }),
      )

      it.effect("an account recorded before Finch described it learns its Finch connection from an introspection", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const recorded = yield* record(
            customerId,
            Fixtures.introspection({ provider: "gusto", company, account: "from-exchange" }),
            Fixtures.accessToken(),
            { introspected: false },
          )
          assert.isTrue(Option.isNone(recorded.account.introspectedAt))
          const finchConnection = Fixtures.unique("conn")
          const after = yield* change(
            customerId,
            recorded.connection.id,
            AccountChange.Introspected({
              accountId: recorded.account.accountId,
              introspection: Fixtures.introspection({
                provider: "gusto",
                company,
                account: "from-exchange",
                finchConnection,
                entities: ["e1"],
              }),
            }),
            "introspection",
          )
          const account = Option.getOrThrow(after.account("from-exchange"))
          assert.deepStrictEqual(Option.getOrNull(account.finchConnectionId), finchConnection)
          assert.isTrue(Option.isSome(account.introspectedAt))
          assert.deepStrictEqual([...account.entityIds], ["e1"])
          const located = yield* (yield* ConnectionRepository).locateFinchConnection(
            FinchConnectionId.make(finchConnection),
          )
          assert.deepStrictEqual(located, [
            { customerId, connectionId: recorded.connection.id, accountId: account.accountId },
          ])
        }),
      )

      it.effect("locating a Finch connection finds its holder across customers, and nothing for an unknown one", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const finchConnection = Fixtures.unique("conn")
          const recorded = yield* record(
            customerId,
            Fixtures.currentToken({ provider: "gusto", company: Fixtures.unique("company"), finchConnection }),
          )
          assert.deepStrictEqual(yield* repository.locateFinchConnection(FinchConnectionId.make(finchConnection)), [
            { customerId, connectionId: recorded.connection.id, accountId: recorded.account.accountId },
          ])
          assert.lengthOf(yield* repository.locateFinchConnection(FinchConnectionId.make(Fixtures.unique("conn"))), 0)
        }),
      )

      it.effect("multi-entity logins: a call for an entity uses the login whose token reaches it", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const tokenA = Fixtures.accessToken()
          const tokenB = Fixtures.accessToken()
          const a = yield* record(
            customerId,
            Fixtures.currentToken({ provider: "gusto", company, entities: ["entity-0"] }),
            tokenA,
          )
          yield* record(
            customerId,
            Fixtures.currentToken({ provider: "gusto", company, entities: ["entity-1"] }),
            tokenB,
          )
          const connectionId = a.connection.id
          assert.strictEqual(
            Redacted.value((yield* open(customerId, connectionId, { entity: "entity-0" })).token),
            Redacted.value(tokenA),
          )
          assert.strictEqual(
            Redacted.value((yield* open(customerId, connectionId, { entity: "entity-1" })).token),
            Redacted.value(tokenB),
          )
          assert.strictEqual(
            (yield* Effect.flip(open(customerId, connectionId, { entity: "entity-9" })))._tag,
            "NoUsableToken",
          )
          const removed = yield* change(
            customerId,
            connectionId,
            AccountChange.EntitiesRemoved({ entityIds: [EntityId.make("entity-1")] }),
          )
          assert.deepStrictEqual(
            removed.entities.map((e) => e.id),
            ["entity-0"],
          )
          // A call for the removed entity has no token any more; the login of entity-0 is untouched.
          assert.strictEqual(
            (yield* Effect.flip(open(customerId, connectionId, { entity: "entity-1" })))._tag,
            "NoUsableToken",
          )
          assert.strictEqual(
            Redacted.value((yield* open(customerId, connectionId, { entity: "entity-0" })).token),
            Redacted.value(tokenA),
          )
        }),
      )

      it.effect("disconnecting one login leaves its sibling working; its token no longer opens", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const keepToken = Fixtures.accessToken()
          const kept = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }), keepToken)
          const gone = yield* record(customerId, Fixtures.currentToken({ provider: "gusto", company }))
          const after = yield* change(
            customerId,
            kept.connection.id,
            AccountChange.Disconnected({ accountIds: Option.some([gone.account.accountId]) }),
          )
          assert.strictEqual(after.status, "active")
          assert.deepStrictEqual(statusesOf(after), [
            [kept.account.accountId, "connected"],
            [gone.account.accountId, "disconnected"],
          ])
          assert.isTrue(
            Exit.isFailure(
              yield* Effect.exit(open(customerId, kept.connection.id, { account: gone.account.accountId })),
            ),
          )
          assert.strictEqual(
            Redacted.value((yield* open(customerId, kept.connection.id)).token),
            Redacted.value(keepToken),
          )
        }),
      )

      it.effect("retired tokens still held open for revocation, most recently retired first, until disconnect", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const introspection = Fixtures.oldModelToken("gusto")
          const tokens = [Fixtures.accessToken(), Fixtures.accessToken(), Fixtures.accessToken()]
          const first = yield* record(customerId, introspection, tokens[0])
          const accounts = [first.account.accountId]
          assert.deepStrictEqual(yield* repository.openRetiredTokens(customerId, first.connection.id, accounts), [])
          yield* record(customerId, introspection, tokens[1])
          yield* Effect.sleep("5 millis") // retired at distinct instants
          yield* record(customerId, introspection, tokens[2])
          const retired = yield* repository.openRetiredTokens(customerId, first.connection.id, accounts)
          assert.deepStrictEqual(
            retired.map(Redacted.value),
            [tokens[1], tokens[0]].map((t) => Redacted.value(t!)),
          )
          const other = yield* newCustomer
          const hidden = yield* Effect.flip(repository.openRetiredTokens(other, first.connection.id, accounts))
          assertInstanceOf(hidden, ConnectionNotFound)
          assert.deepStrictEqual(yield* repository.openRetiredTokens(customerId, first.connection.id, []), [])
          yield* disconnectAll(customerId, first.connection.id)
          assert.deepStrictEqual(yield* repository.openRetiredTokens(customerId, first.connection.id, accounts), [])
        }),
      )

      it.effect("a token needing reauthentication still opens by account name (to call /disconnect with it)", () =>
        Effect.gen(function* () {
          const customerId = yield* newCustomer
          const token = Fixtures.accessToken()
          const recorded = yield* record(customerId, Fixtures.oldModelToken("gusto"), token)
          yield* reauthNeeded(customerId, recorded.connection.id, recorded.account.accountId)
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
              reauthNeeded(stranger, connectionId, "any"),
              disconnectAll(stranger, connectionId),
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
          assert.deepStrictEqual(Option.getOrNull(recorded.account.finchConnectionId), finchConnection)
          assert.deepStrictEqual(recorded.connection.entities.map((e) => e.id).sort(), ["entity-a", "entity-b"])
        }),
      )

      it.effect("disconnect ends every account, destroys the tokens, and is terminal for lifecycle signals", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          const first = yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "a" }))
          yield* record(customerId, Fixtures.introspection({ provider: "gusto", company, account: "b" }))
          const disconnected = yield* disconnectAll(customerId, first.connection.id)
          assert.strictEqual(disconnected.status, "disconnected")
          assert.isTrue(Option.isSome(disconnected.disconnectedAt))
          assert.deepStrictEqual(
            disconnected.accounts.map((a) => a.status),
            ["disconnected", "disconnected"],
          )
          for (const account of [undefined, "a", "b"]) {
            const exit = yield* Effect.exit(
              open(customerId, first.connection.id, account === undefined ? {} : { account }),
            )
            assert.isTrue(Exit.isFailure(exit), `account ${account ?? "(any)"} must not open after disconnect`)
          }
          const twice = yield* Effect.flip(disconnectAll(customerId, first.connection.id))
          assert.strictEqual(twice._tag, "IllegalTransition")
          const reauth = yield* Effect.flip(reauthNeeded(customerId, first.connection.id, "a", "webhook"))
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
          yield* disconnectAll(customerId, first.connection.id)
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

      it.effect("a company disconnected by its customer can be connected by another customer", () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const first = yield* newCustomer
          const second = yield* newCustomer
          const company = Fixtures.unique("company")
          const original = yield* record(first, Fixtures.currentToken({ provider: "gusto", company }))
          yield* disconnectAll(first, original.connection.id)
          const taken = yield* record(second, Fixtures.currentToken({ provider: "gusto", company }))
          assert.strictEqual(taken.classification, "NewConnection")
          assert.notStrictEqual(taken.connection.id, original.connection.id)
          assert.lengthOf(yield* repository.list(second), 1)
          // The first customer's history stays theirs, and the company is now the second customer's.
          assert.strictEqual((yield* repository.get(first, original.connection.id)).status, "disconnected")
          const back = yield* Effect.flip(record(first, Fixtures.currentToken({ provider: "gusto", company })))
          assert.strictEqual(back._tag, "OwnedByAnotherCustomer")
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
