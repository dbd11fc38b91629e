/**
 * core's connection use cases running on this package's `FinchGateway` against the sandbox: the port behaves as the
 * domain expects of Finch (connect, a 401 `reauthenticate_user` marking the connection, reauth keeping it, disconnect
 * revoking at Finch). Stores are core's in-memory ones; this tests the client, not storage.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConnectionRepository from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import { Customer } from "@finch-connections/core/Customer"
import * as CustomerRepository from "@finch-connections/core/CustomerRepository"
import { FinchGateway } from "@finch-connections/core/FinchGateway"
import { CustomerId } from "@finch-connections/core/Ids"
import { employeeSyncProducts, Product } from "@finch-connections/core/Product"
import * as TokenVault from "@finch-connections/core/TokenVault"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { sandbox } from "./fixtures/Sandbox.ts"

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
        assert.isTrue(Option.isSome(connection.finchConnectionId))

        const gateway = yield* FinchGateway
        const people = yield* Connections.withAccessToken(customerId, connection.id, employeeSyncProducts, (token) =>
          Stream.runCollect(gateway.directory(token)).pipe(Effect.map(Chunk.toReadonlyArray)),
        )
        assert.isAbove(people.length, 0)

        // Finch answers 401 reauthenticate_user: the domain marks the connection.
        yield* finch.admin("POST", `/connections/${Option.getOrThrow(connection.finchConnectionId)}/status`, {
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
