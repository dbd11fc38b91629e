/**
 * This package's `FinchGateway` against the sandbox: core's contract for the port (the one core's in-memory Finch
 * passes too), and core's connection use cases running on it (connect, a 401 `reauthenticate_user` marking the
 * connection, reauth keeping it, disconnect revoking at Finch). Stores are core's in-memory ones; this tests the
 * client, not storage.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConnectionRepository from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import { Customer } from "@finch-connections/core/Customer"
import * as CustomerRepository from "@finch-connections/core/CustomerRepository"
import { FinchGateway } from "@finch-connections/core/FinchGateway"
import { CustomerId, ProviderId } from "@finch-connections/core/Ids"
import { employeeSyncProducts, Product } from "@finch-connections/core/Product"
import * as TokenVault from "@finch-connections/core/TokenVault"
import { FinchGatewayHarness, finchGatewayContract } from "@finch-connections/core/testing/FinchGatewayContract"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { sandbox } from "./fixtures/Sandbox.ts"

/** The client against a sandbox of its own, with the harness that plays the employer and Finch's operator. */
const SandboxFinch = Layer.scopedContext(
  Effect.gen(function* () {
    const finch = yield* sandbox()
    const client = yield* finch.client()
    const harness = FinchGatewayHarness.of({
      completeConnect: (customerId) =>
        Effect.gen(function* () {
          const session = yield* client.createConnectSession({
            customerId,
            customerName: "Contract Inc.",
            products: [...employeeSyncProducts, Product.make("company")],
            redirectUri: Option.none(),
            providerId: Option.some(ProviderId.make("gusto")),
            minutesToExpire: Option.none(),
          })
          // Every new username reaches a company of its own.
          const { code } = yield* finch.admin<{ code: string }>(
            "POST",
            `/connect/sessions/${session.sessionId}/complete`,
            { provider_id: "gusto", username: `good_user_${customerId}` },
          )
          return code
        }).pipe(Effect.orDie),
      requireReauthentication: (token) =>
        Effect.gen(function* () {
          const introspection = yield* client.introspect(token)
          const connectionId = Option.getOrThrow(introspection.finchConnectionId)
          yield* finch.admin("POST", `/connections/${connectionId}/status`, { status: "reauth" })
        }).pipe(Effect.orDie),
    })
    return Context.make(FinchGateway, client).pipe(Context.add(FinchGatewayHarness, harness))
  }),
)

finchGatewayContract("FinchClient against the sandbox", SandboxFinch)

const Stores = ConnectionRepository.layerMemory.pipe(
  Layer.provideMerge(Layer.merge(CustomerRepository.layerMemory, TokenVault.layerMemory)),
)

describe("core's use cases over FinchClient's FinchGateway", () => {
  it.scopedLive("connect, sync, reauthenticate in place and disconnect, all through the port", () =>
    Effect.gen(function* () {
      const finch = yield* sandbox()
      const client = yield* finch.client()
      const customerId = CustomerId.make("acme")
      const program = Effect.gen(function* () {
        yield* (yield* CustomerRepository.CustomerRepository).create(
          new Customer({ id: customerId, name: "Acme Inc", createdAt: new Date() }),
        )
        const complete = (sessionId: string) =>
          Effect.flatMap(
            finch.admin<{ code: string }>("POST", `/connect/sessions/${sessionId}/complete`, {
              provider_id: "gusto",
              username: "good_user",
            }),
            ({ code }) => Connections.completeConnect({ customerId, code }),
          )

        const session = yield* Connections.startConnect({
          customerId,
          products: [...employeeSyncProducts, Product.make("company")],
        })
        const recorded = yield* complete(session.sessionId)
        const connection = recorded.connection
        assert.strictEqual(connection.status, "active")
        assert.strictEqual(connection.providerId, "gusto")
        assert.isTrue(Option.isSome(recorded.account.finchConnectionId))

        const gateway = yield* FinchGateway
        const people = yield* Connections.withAccessToken(customerId, connection.id, employeeSyncProducts, (token) =>
          Stream.runCollect(gateway.directory(token)).pipe(Effect.map(Chunk.toReadonlyArray)),
        )
        assert.isAbove(people.length, 0)

        // Finch answers 401 reauthenticate_user: the domain marks the connection.
        yield* finch.admin("POST", `/connections/${Option.getOrThrow(recorded.account.finchConnectionId)}/status`, {
          status: "reauth",
        })
        const refused = yield* Effect.flip(
          Connections.withAccessToken(customerId, connection.id, employeeSyncProducts, (token) =>
            gateway.company(token),
          ),
        )
        assert.strictEqual(refused._tag, "FinchReauthRequired")
        const marked = yield* Connections.getConnection(customerId, connection.id)
        assert.strictEqual(marked.status, "reauth_required")

        // Reauthentication keeps Finch's connection; the new token replaces the old on the same connection.
        const started = yield* Connections.startReauthentication({ customerId, connectionId: connection.id })
        assert.strictEqual(started.kind, "reauthenticate")
        const renewed = yield* complete(started.session.sessionId)
        assert.strictEqual(renewed.connection.id, connection.id)
        assert.strictEqual(renewed.connection.status, "active")
        const company = yield* Connections.withAccessToken(customerId, connection.id, [], (token) =>
          gateway.company(token),
        )
        assert.strictEqual(company.id, connection.companyId)

        // Disconnect revokes at Finch: the token the domain held no longer works there.
        const held = yield* Connections.withAccessToken(customerId, connection.id, [], (token) =>
          Effect.succeed(Redacted.value(token)),
        )
        const disconnected = yield* Connections.disconnect({ customerId, connectionId: connection.id })
        assert.strictEqual(disconnected.status, "disconnected")
        const after = yield* Effect.flip(gateway.introspect(Redacted.make(held)))
        assert.strictEqual(after._tag, "FinchUnauthorized")
      })
      yield* program.pipe(Effect.provide(Layer.merge(Stores, Layer.succeed(FinchGateway, client))))
    }),
  )
})
