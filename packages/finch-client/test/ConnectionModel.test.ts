/**
 * The connection model end to end: core's use cases over this client against the sandbox, on Finch's current API
 * (each login its own Finch connection) and on the older account model (several logins under one Finch connection).
 * Each case is one finding of the connection-model issue; stores are core's in-memory ones (the PostgreSQL store
 * passes the same contract in store-postgres).
 */
import { assert, describe, it } from "@effect/vitest"
import { type Account, isLive } from "@finch-connections/core/Connection"
import * as ConnectionRepository from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import { Customer } from "@finch-connections/core/Customer"
import * as CustomerRepository from "@finch-connections/core/CustomerRepository"
import { FinchGateway } from "@finch-connections/core/FinchGateway"
import { type AccountId, type ConnectionId, CustomerId, EntityId, ProviderId } from "@finch-connections/core/Ids"
import { Product } from "@finch-connections/core/Product"
import * as TokenVault from "@finch-connections/core/TokenVault"
import type { ConnectionModel, SandboxOptions } from "@finch-connections/finch-sandbox/Sandbox"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { type RunningSandbox, sandbox } from "./fixtures/Sandbox.ts"

const products = (...names: ReadonlyArray<string>) => names.map((name) => Product.make(name))
const hrProducts = products("company", "directory", "individual", "employment")
const payrollProducts = products("company", "payment", "pay_statement")
const gusto = ProviderId.make("gusto")
const acme = CustomerId.make("acme")
const globex = CustomerId.make("globex")

const Stores = ConnectionRepository.layerMemory.pipe(
  Layer.provideMerge(Layer.merge(CustomerRepository.layerMemory, TokenVault.layerMemory)),
)

interface FinchConnectionView {
  readonly id: string
  readonly status: string
  readonly entity_ids: ReadonlyArray<string>
  readonly accounts: ReadonlyArray<{ readonly account_id: string; readonly username: string | null }>
}

/** Runs `program` with a fresh sandbox in `model`, the client as core's `FinchGateway`, and two customers. */
const withSandbox = <A, E>(
  model: ConnectionModel,
  program: (finch: RunningSandbox) => Effect.Effect<A, E, FinchGateway | Layer.Layer.Success<typeof Stores>>,
  options: SandboxOptions = {},
) =>
  Effect.gen(function* () {
    const finch = yield* sandbox({ connectionModel: model, ...options })
    const client = yield* finch.client()
    return yield* Effect.gen(function* () {
      const customers = yield* CustomerRepository.CustomerRepository
      yield* customers.create(new Customer({ id: acme, name: "Acme Inc", createdAt: new Date() }))
      yield* customers.create(new Customer({ id: globex, name: "Globex", createdAt: new Date() }))
      return yield* program(finch)
    }).pipe(Effect.provide(Layer.merge(Stores, Layer.succeed(FinchGateway, client))))
  })

/** The employer goes through Finch Connect for `customerId` and the app completes it. */
const login = (
  finch: RunningSandbox,
  customerId: CustomerId,
  choice: {
    readonly username: string
    readonly products?: ReadonlyArray<Product>
    readonly companyId?: string
    readonly entityIds?: ReadonlyArray<string>
  },
) =>
  Effect.gen(function* () {
    const session = yield* Connections.startConnect({
      customerId,
      products: choice.products ?? hrProducts,
      providerId: gusto,
    })
    const { code } = yield* finch.admin<{ code: string }>("POST", `/connect/sessions/${session.sessionId}/complete`, {
      provider_id: "gusto",
      username: choice.username,
      ...(choice.companyId === undefined ? {} : { company_id: choice.companyId }),
      ...(choice.entityIds === undefined ? {} : { entity_ids: choice.entityIds }),
    })
    return yield* Connections.completeConnect({ customerId, code })
  })

/** The employer reauthenticates one login (signing in as `username`) through the session core opens for it. */
const reauthenticate = (
  finch: RunningSandbox,
  customerId: CustomerId,
  connectionId: ConnectionId,
  username: string,
  accountId?: AccountId,
) =>
  Effect.gen(function* () {
    const started = yield* Connections.startReauthentication({
      customerId,
      connectionId,
      ...(accountId === undefined ? {} : { accountId }),
    })
    const { code } = yield* finch.admin<{ code: string }>(
      "POST",
      `/connect/sessions/${started.session.sessionId}/complete`,
      { provider_id: "gusto", username },
    )
    const recorded = yield* Effect.either(
      Connections.completeReauthentication({ customerId, connectionId, accountId: started.accountId, code }),
    )
    return { started, recorded }
  })

const finchConnection = (account: Account) => Option.getOrThrow(account.finchConnectionId)

const setFinchStatus = (finch: RunningSandbox, account: Account, status: string) =>
  finch.admin("POST", `/connections/${finchConnection(account)}/status`, { status })

/** The token core hands out for `products` (and an entity), as its raw value. */
const tokenFor = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  need: ReadonlyArray<Product>,
  entityId?: string,
) =>
  Effect.flatMap(FinchGateway, (gateway) =>
    Connections.withAccessToken(
      customerId,
      connectionId,
      need,
      (token) =>
        Effect.as(
          gateway.company(token, entityId === undefined ? {} : { entityId: EntityId.make(entityId) }),
          Redacted.value(token),
        ),
      entityId === undefined ? {} : { entityId: EntityId.make(entityId) },
    ),
  )

describe.each(["current", "legacy"] as const)("the connection model against the sandbox (%s Finch)", (model) => {
  it.scopedLive(
    "two logins at one company are one connection; a 401 on the second reauthenticates that login only",
    () =>
      withSandbox(model, (finch) =>
        Effect.gen(function* () {
          const hr = yield* login(finch, acme, { username: "good_user" })
          const payroll = yield* login(finch, acme, {
            username: "payroll_admin",
            products: payrollProducts,
            companyId: hr.connection.companyId,
          })
          assert.strictEqual(payroll.classification, "NewAccount")
          assert.strictEqual(payroll.connection.id, hr.connection.id)
          const connectionId = hr.connection.id
          // Current Finch: each login is its own Finch connection; older Finch: one shared by both.
          assert.strictEqual(finchConnection(payroll.account) === finchConnection(hr.account), model === "legacy")

          // Finch asks the payroll login to reauthenticate; the app meets it on a call with that login's token.
          yield* setFinchStatus(finch, payroll.account, "reauth")
          const refused = yield* Effect.flip(tokenFor(acme, connectionId, products("payment")))
          assert.strictEqual(refused._tag, "FinchReauthRequired")
          const marked = yield* Connections.getConnection(acme, connectionId)
          assert.strictEqual(marked.status, "reauth_required")
          assert.strictEqual(Option.getOrThrow(marked.account(payroll.account.accountId)).status, "reauth_required")
          assert.strictEqual(Option.getOrThrow(marked.account(hr.account.accountId)).status, "connected")

          // The reauth session is for the payroll login's Finch connection and products only.
          const { started, recorded } = yield* reauthenticate(finch, acme, connectionId, "payroll_admin")
          assert.strictEqual(started.kind, "reauthenticate")
          assert.strictEqual(started.accountId, payroll.account.accountId)
          const done = yield* recorded
          assert.strictEqual(done.classification, "TokenReplaced")
          assert.strictEqual(done.account.accountId, payroll.account.accountId)
          assert.deepStrictEqual([...done.account.products].sort(), [...payrollProducts].sort())
          const after = yield* Connections.getConnection(acme, connectionId)
          assert.strictEqual(after.status, "active")
          assert.deepStrictEqual(
            after.accounts.map((a) => [a.accountId, a.status]),
            [
              [hr.account.accountId, "connected"],
              [payroll.account.accountId, "connected"],
            ],
          )
          // Both logins work again, each with its own token.
          const payToken = yield* tokenFor(acme, connectionId, products("payment"))
          const hrToken = yield* tokenFor(acme, connectionId, products("directory"))
          assert.notStrictEqual(payToken, hrToken)
        }),
      ),
  )

  it.scopedLive("a reauthentication signing in to another company is refused and replaces nothing", () =>
    withSandbox(model, (finch) =>
      Effect.gen(function* () {
        const first = yield* login(finch, acme, { username: "good_user" })
        const connectionId = first.connection.id
        yield* setFinchStatus(finch, first.account, "reauth")
        yield* Connections.markReauthRequired(acme, connectionId, first.account.accountId, "webhook")
        const before = yield* tokenFor(acme, connectionId, [], undefined).pipe(Effect.either)
        assert.strictEqual(before._tag, "Left", "no healthy token while reauthentication is needed")
        // `good_user_other` is known (to the sandbox) to reach another company only.
        yield* finch.connect({ username: "good_user_other" })
        const { recorded } = yield* reauthenticate(finch, acme, connectionId, "good_user_other")
        assert.strictEqual(recorded._tag === "Left" ? recorded.left._tag : recorded._tag, "TokenMismatch")
        const after = yield* Connections.getConnection(acme, connectionId)
        assert.strictEqual(after.companyId, first.connection.companyId)
        assert.strictEqual(Option.getOrThrow(after.account(first.account.accountId)).tokenId, first.account.tokenId)
        assert.lengthOf(yield* Connections.listConnections(acme), 1)
        // The Finch connection that reauthentication made for the other company is nobody's: disconnected at Finch.
        const { connections } = yield* finch.admin<{ connections: ReadonlyArray<FinchConnectionView> }>(
          "GET",
          "/connections?customer_id=acme&username=good_user_other",
        )
        assert.isAbove(connections.length, 0)
        assert.isTrue(connections.every((c) => c.status === "disconnected"))
      }),
    ),
  )

  it.scopedLive("a company one customer disconnected can be connected by another customer", () =>
    withSandbox(model, (finch) =>
      Effect.gen(function* () {
        const first = yield* login(finch, acme, { username: "good_user" })
        yield* Connections.disconnect({ customerId: acme, connectionId: first.connection.id })
        const taken = yield* login(finch, globex, { username: "good_user" })
        assert.strictEqual(taken.classification, "NewConnection")
        assert.strictEqual(taken.connection.companyId, first.connection.companyId)
        assert.strictEqual((yield* Connections.getConnection(acme, first.connection.id)).status, "disconnected")
        assert.strictEqual(yield* tokenFor(globex, taken.connection.id, hrProducts).pipe(Effect.as("ok")), "ok")
      }),
    ),
  )

  it.scopedLive("a token refused as another customer's company does not leave a live Finch connection behind", () =>
    withSandbox(model, (finch) =>
      Effect.gen(function* () {
        const owner = yield* login(finch, globex, { username: "good_user" })
        const refused = yield* Effect.flip(login(finch, acme, { username: "good_user" }))
        assert.strictEqual(refused._tag, "OwnedByAnotherCustomer")
        const { connections } = yield* finch.admin<{ connections: ReadonlyArray<FinchConnectionView> }>(
          "GET",
          "/connections?customer_id=acme",
        )
        // The refused login's new Finch connection was disconnected at Finch (billing stops); the owner's works on.
        assert.isAbove(connections.length, 0)
        assert.isTrue(connections.every((c) => c.status === "disconnected"))
        assert.strictEqual(yield* tokenFor(globex, owner.connection.id, hrProducts).pipe(Effect.as("ok")), "ok")
      }),
    ),
  )

  it.scopedLive(
    "when /introspect fails right after the exchange the token is kept, and described on the next check",
    () =>
      withSandbox(model, (finch) =>
        Effect.gen(function* () {
          yield* finch.fault({ path: "/introspect", status: 503, count: 10 })
          const recorded = yield* login(finch, acme, { username: "good_user" })
          assert.strictEqual(recorded.classification, "NewConnection")
          assert.isTrue(Option.isNone(recorded.account.introspectedAt))
          yield* finch.admin("DELETE", "/faults")
          const refreshed = yield* Connections.refreshConnectionStatus(acme, recorded.connection.id)
          const account = Option.getOrThrow(refreshed.account(recorded.account.accountId))
          assert.isTrue(Option.isSome(account.introspectedAt))
          assert.isTrue(Option.isSome(account.authenticationMethod))
          assert.strictEqual(yield* tokenFor(acme, recorded.connection.id, hrProducts).pipe(Effect.as("ok")), "ok")
        }),
      ),
  )

  it.scopedLive("every Finch status is recorded, and a login Finch reports connected again is usable again", () =>
    withSandbox(model, (finch) =>
      Effect.gen(function* () {
        const recorded = yield* login(finch, acme, { username: "good_user" })
        const connectionId = recorded.connection.id
        for (const [status, expected] of [
          ["pending", "pending"],
          ["processing", "pending"],
          ["error_permissions", "error"],
          ["error_no_account_setup", "error"],
          ["reauth", "reauth_required"],
          ["connected", "active"],
        ] as const) {
          yield* setFinchStatus(finch, recorded.account, status)
          const refreshed = yield* Connections.refreshConnectionStatus(acme, connectionId)
          assert.strictEqual(refreshed.status, expected, `Finch says ${status}`)
        }
        assert.strictEqual(yield* tokenFor(acme, connectionId, hrProducts).pipe(Effect.as("ok")), "ok")
      }),
    ),
  )

  it.scopedLive("one login can be disconnected; a sibling on its own Finch connection keeps working", () =>
    withSandbox(model, (finch) =>
      Effect.gen(function* () {
        const hr = yield* login(finch, acme, { username: "good_user" })
        const payroll = yield* login(finch, acme, {
          username: "payroll_admin",
          products: payrollProducts,
          companyId: hr.connection.companyId,
        })
        const after = yield* Connections.disconnect({
          customerId: acme,
          connectionId: hr.connection.id,
          accountId: payroll.account.accountId,
        })
        const statuses = after.accounts.map((a) => [a.accountId, isLive(a.status)])
        if (model === "current") {
          assert.deepStrictEqual(statuses, [
            [hr.account.accountId, true],
            [payroll.account.accountId, false],
          ])
          assert.strictEqual(yield* tokenFor(acme, hr.connection.id, hrProducts).pipe(Effect.as("ok")), "ok")
        } else {
          // Older Finch's /disconnect ends every login of the Finch connection, and so does ours.
          assert.deepStrictEqual(statuses, [
            [hr.account.accountId, false],
            [payroll.account.accountId, false],
          ])
          assert.strictEqual(after.status, "disconnected")
        }
      }),
    ),
  )
})

describe.each(["current", "legacy"] as const)("entities per token against the sandbox (%s Finch)", (model) => {
  it.scopedLive("two logins each reaching one entity: a read for an entity uses the login that reaches it", () =>
    withSandbox(
      model,
      (finch) =>
        Effect.gen(function* () {
          // Learn the multi-entity company's entities (a login of nobody's), then connect one login per entity.
          const probe = yield* finch.connect({ username: "multi_entity" })
          const [first, second, third] = probe.entity_ids
          assert.isDefined(third)
          const a = yield* login(finch, acme, { username: "multi_entity", entityIds: [first!, third!] })
          const b = yield* login(finch, acme, {
            username: "multi_entity_clerk",
            companyId: probe.company_id!,
            entityIds: [second!],
          })
          assert.strictEqual(b.connection.id, a.connection.id)
          const connectionId = a.connection.id
          const tokenA = yield* tokenFor(acme, connectionId, hrProducts, first)
          const tokenB = yield* tokenFor(acme, connectionId, hrProducts, second)
          assert.notStrictEqual(tokenA, tokenB)
          const gateway = yield* FinchGateway
          const people = yield* Connections.withAccessToken(
            acme,
            connectionId,
            hrProducts,
            (token) =>
              Stream.runCollect(gateway.directory(token, { entityId: EntityId.make(second!) })).pipe(
                Effect.map(Chunk.size),
              ),
            { entityId: EntityId.make(second!) },
          )
          assert.isAbove(people, 0)
          // One entity of login A is disconnected at Finch; A keeps the other, B is untouched.
          const after = yield* Connections.disconnectEntity({
            customerId: acme,
            connectionId,
            entityId: EntityId.make(third!),
          })
          assert.deepStrictEqual(after.entities.map((e) => e.id as string).sort(), [first!, second!].sort())
          assert.strictEqual(yield* tokenFor(acme, connectionId, hrProducts, first), tokenA)
          assert.isTrue((yield* Effect.either(tokenFor(acme, connectionId, hrProducts, third)))._tag === "Left")
        }),
      { alwaysReportCompanyId: true },
    ),
  )
})
