import { randomBytes } from "node:crypto"
import { assert, layer } from "@effect/vitest"
import { AccountChange, type Connection } from "@finch-connections/core/Connection"
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { CustomerId } from "@finch-connections/core/Ids"
import { StoresTest } from "@finch-connections/core/testing/CoreTest"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Effect, Either, FastCheck as fc, Option, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import { keysOf, PgConnectionRepositoryTest } from "./fixtures.ts"

// The same random history, played against core's memory repository and against PostgreSQL, must give the same
// outcome at every step and the same state at the end. The world is consistent, as Finch's is: each Finch connection
// id names one provider+company; a token may leave out its company, its connection id or its account.

const PostgresTest = PgConnectionRepositoryTest({ keys: keysOf(AesTokenVault.generateKeyEntry("k1")) })

const world = [
  { provider: "gusto", company: "c1", finch: "f1" },
  { provider: "gusto", company: "c2", finch: "f2" },
  { provider: "deel", company: "c1", finch: "f3" },
] as const

const operation = fc.oneof(
  fc.record({
    op: fc.constant("record" as const),
    customer: fc.constantFrom(0, 1),
    connection: fc.constantFrom(0, 1, 2),
    withCompany: fc.boolean(),
    withFinchId: fc.boolean(),
    account: fc.option(fc.constantFrom("a1", "a2"), { nil: undefined }),
  }),
  fc.record({
    op: fc.constantFrom("reauth" as const, "disconnect" as const),
    customer: fc.constantFrom(0, 1),
    pick: fc.nat(),
  }),
)

type Stores = { readonly connections: ConnectionRepository["Type"]; readonly customers: CustomerRepository["Type"] }
const services = Effect.all({ connections: ConnectionRepository, customers: CustomerRepository })

const byIdentity = (a: Connection, b: Connection) =>
  `${a.providerId}/${a.companyId}`.localeCompare(`${b.providerId}/${b.companyId}`)

/** A connection without our ids or clock: what two stores can agree on. */
const shape = (connection: Connection) => ({
  identity: `${connection.providerId}/${connection.companyId}`,
  status: connection.status,
  accounts: connection.accounts
    .map(
      (account) =>
        `${account.accountId}:${Option.getOrElse(account.finchConnectionId, () => "-")}:${account.status}:${account.products.join("+")}:${account.entityIds.join("+")}`,
    )
    .sort(),
  entities: connection.entities.map((entity) => entity.id).sort(),
})

layer(PostgresTest, { timeout: 300_000 })("PgConnectionRepository against core's memory repository", (it) => {
  it.effect.prop(
    "every step has the same outcome, and the end state and the tokens that open are the same",
    [fc.array(operation, { maxLength: 30 })],
    ([operations]) =>
      Effect.gen(function* () {
        const run = randomBytes(4).toString("hex")
        const memory: Stores = yield* services.pipe(Effect.provide(StoresTest))
        const postgres: Stores = yield* services
        const customers = [0, 1].map((n) => CustomerId.make(`customer-${n}-${run}`))
        for (const stores of [memory, postgres]) {
          for (const id of customers) yield* stores.customers.create(Fixtures.customer(id))
        }

        const step = (stores: Stores, operation: (typeof operations)[number], index: number) =>
          Effect.gen(function* () {
            const customerId = customers[operation.customer]!
            if (operation.op === "record") {
              const target = world[operation.connection]!
              const result = yield* Effect.either(
                stores.connections.recordToken({
                  customerId,
                  accessToken: Redacted.make(`token-${index}`),
                  introspection: Fixtures.introspection({
                    provider: target.provider,
                    ...(operation.withCompany ? { company: `${target.company}-${run}` } : {}),
                    ...(operation.withFinchId ? { finchConnection: `${target.finch}-${run}` } : {}),
                    ...(operation.account === undefined ? {} : { account: operation.account }),
                    entities: [`e${operation.connection}-${run}`],
                  }),
                }),
              )
              return Either.match(result, {
                onLeft: (error) => error._tag,
                onRight: ({ classification, connection, account }) =>
                  `${classification} ${shape(connection).identity} ${account.accountId}`,
              })
            }
            const owned = [...(yield* stores.connections.list(customerId))].sort(byIdentity)
            const chosen = owned[operation.pick % Math.max(owned.length, 1)]
            const accounts = [...(chosen?.accounts ?? [])].sort((a, b) => a.accountId.localeCompare(b.accountId))
            const account = accounts[operation.pick % Math.max(accounts.length, 1)]
            if (chosen === undefined || account === undefined) return "nothing to change"
            const change = stores.connections.applyChange(
              customerId,
              chosen.id,
              operation.op === "reauth"
                ? AccountChange.ReauthRequired({ accountId: account.accountId })
                : AccountChange.Disconnected({ accountIds: Option.some([account.accountId]) }),
              operation.op === "reauth" ? "webhook" : "user",
            )
            return Either.match(yield* Effect.either(change), {
              onLeft: (error) => error._tag,
              onRight: (connection) => `${connection.status} ${shape(connection).identity}`,
            })
          })

        for (const [index, operation] of operations.entries()) {
          const expected = yield* step(memory, operation, index)
          const actual = yield* step(postgres, operation, index)
          assert.strictEqual(actual, expected, `step ${index}: ${JSON.stringify(operation)}`)
        }

        const final = (stores: Stores) =>
          Effect.forEach(customers, (customerId) =>
            Effect.gen(function* () {
              const owned = [...(yield* stores.connections.list(customerId))].sort(byIdentity)
              const opened = yield* Effect.forEach(owned, (connection) =>
                Effect.forEach(connection.accounts, (account) =>
                  stores.connections
                    .openToken({
                      customerId,
                      connectionId: connection.id,
                      need: { products: [], accountId: account.accountId },
                    })
                    .pipe(
                      Effect.match({
                        onFailure: (error) => `${account.accountId}: ${error._tag}`,
                        onSuccess: ({ token }) => `${account.accountId}: ${Redacted.value(token)}`,
                      }),
                    ),
                ),
              )
              return { connections: owned.map(shape), opened: opened.map((tokens) => [...tokens].sort()) }
            }),
          )
        assert.deepStrictEqual(yield* final(postgres), yield* final(memory))
      }),
    { fastCheck: { numRuns: 100 } },
  )
})
