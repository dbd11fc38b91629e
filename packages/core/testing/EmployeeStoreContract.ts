/**
 * The behaviour every `EmployeeStore` must have, as one suite to run against each implementation. Connections are
 * created through the `ConnectionRepository` of the same layer; cases use fresh ids, so no clearing is needed.
 */
import { assert, layer } from "@effect/vitest"
import { assertInstanceOf } from "@effect/vitest/utils"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConnectionNotFound } from "../src/Connection.ts"
import { ConnectionRepository } from "../src/ConnectionRepository.ts"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import { type EmployeeRecord, EmployeeStore } from "../src/EmployeeStore.ts"
import { type ConnectionId, type CustomerId, EntityId, IndividualId } from "../src/Ids.ts"
import * as Fixtures from "./Fixtures.ts"

const newConnection = (customerId?: CustomerId) =>
  Effect.gen(function* () {
    const customers = yield* CustomerRepository
    const connections = yield* ConnectionRepository
    const owner = customerId ?? (yield* customers.create(Fixtures.customer())).id
    const { connection } = yield* connections.recordToken({
      customerId: owner,
      introspection: Fixtures.oldModelToken(),
      accessToken: Fixtures.accessToken(),
    })
    return { customerId: owner, connectionId: connection.id }
  })

/** An employee record as a sync would build it. */
export const employee = (
  connectionId: ConnectionId,
  id: string,
  fields: { readonly first?: string; readonly last?: string; readonly dob?: string; readonly title?: string } = {},
): EmployeeRecord => ({
  connectionId,
  individualId: IndividualId.make(id),
  entityId: Option.some(EntityId.make("entity-1")),
  individual: {
    id,
    first_name: fields.first ?? "Ada",
    last_name: fields.last ?? "Lovelace",
    dob: fields.dob ?? null,
    emails: [{ data: `${id}@example.com`, type: "work" }],
  },
  employment: Option.some({ id, title: fields.title ?? "Engineer", is_active: true }),
})

const ids = (records: ReadonlyArray<EmployeeRecord>) => records.map((r) => r.individualId).sort()

/**
 * Registers the `EmployeeStore` contract for the implementation `layer` provides (with the `ConnectionRepository`
 * and `CustomerRepository` it checks connections against), under the name `name`.
 */
export const employeeStoreContract = <E>(
  name: string,
  layer_: Layer.Layer<EmployeeStore | ConnectionRepository | CustomerRepository, E>,
): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(`EmployeeStore contract: ${name}`, (it) => {
    it.effect("a first snapshot adds every record and lists them back intact", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const { customerId, connectionId } = yield* newConnection()
        const records = [employee(connectionId, "i-1", { dob: "1815-12-10" }), employee(connectionId, "i-2")]
        const summary = yield* store.replaceSnapshot(customerId, connectionId, records)
        assert.deepStrictEqual(summary, { added: 2, updated: 0, removed: 0, unchanged: 0 })
        const listed = yield* store.listByConnection(customerId, connectionId)
        assert.deepStrictEqual(ids(listed), ["i-1", "i-2"])
        const first = listed.find((r) => r.individualId === "i-1")
        assert.strictEqual(first?.individual.dob, "1815-12-10")
        assert.strictEqual(first?.connectionId, connectionId)
        assert.deepStrictEqual(Option.getOrNull(first?.entityId ?? Option.none()), "entity-1")
        assert.strictEqual(Option.getOrNull(first?.employment ?? Option.none())?.title, "Engineer")
      }),
    )

    it.effect("a later snapshot adds, updates, keeps and removes — and removed records are no longer listed", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const { customerId, connectionId } = yield* newConnection()
        yield* store.replaceSnapshot(customerId, connectionId, [
          employee(connectionId, "stays"),
          employee(connectionId, "changes"),
          employee(connectionId, "leaves"),
        ])
        const summary = yield* store.replaceSnapshot(customerId, connectionId, [
          employee(connectionId, "stays"),
          employee(connectionId, "changes", { title: "Director" }),
          employee(connectionId, "joins"),
        ])
        assert.deepStrictEqual(summary, { added: 1, updated: 1, removed: 1, unchanged: 1 })
        const listed = yield* store.listByConnection(customerId, connectionId)
        assert.deepStrictEqual(ids(listed), ["changes", "joins", "stays"])
        const changed = listed.find((r) => r.individualId === "changes")
        assert.strictEqual(Option.getOrNull(changed?.employment ?? Option.none())?.title, "Director")
      }),
    )

    it.effect("an empty snapshot removes everyone", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const { customerId, connectionId } = yield* newConnection()
        yield* store.replaceSnapshot(customerId, connectionId, [
          employee(connectionId, "a"),
          employee(connectionId, "b"),
        ])
        const summary = yield* store.replaceSnapshot(customerId, connectionId, [])
        assert.deepStrictEqual(summary, { added: 0, updated: 0, removed: 2, unchanged: 0 })
        assert.lengthOf(yield* store.listByConnection(customerId, connectionId), 0)
      }),
    )

    it.effect("a record removed and then seen again is added back", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const { customerId, connectionId } = yield* newConnection()
        yield* store.replaceSnapshot(customerId, connectionId, [employee(connectionId, "a")])
        yield* store.replaceSnapshot(customerId, connectionId, [])
        const summary = yield* store.replaceSnapshot(customerId, connectionId, [employee(connectionId, "a")])
        assert.strictEqual(summary.added + summary.updated, 1)
        assert.deepStrictEqual(ids(yield* store.listByConnection(customerId, connectionId)), ["a"])
      }),
    )

    it.effect("listByCustomer gathers every connection of the customer and nobody else's", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const first = yield* newConnection()
        const second = yield* newConnection(first.customerId)
        const stranger = yield* newConnection()
        yield* store.replaceSnapshot(first.customerId, first.connectionId, [employee(first.connectionId, "x")])
        yield* store.replaceSnapshot(second.customerId, second.connectionId, [employee(second.connectionId, "x")])
        yield* store.replaceSnapshot(stranger.customerId, stranger.connectionId, [employee(stranger.connectionId, "y")])
        const all = yield* store.listByCustomer(first.customerId)
        assert.deepStrictEqual(
          all.map((r) => `${r.connectionId === first.connectionId ? "first" : "second"}:${r.individualId}`).sort(),
          ["first:x", "second:x"],
        )
      }),
    )

    it.effect("isolation: another customer's connection is ConnectionNotFound for reads and writes", () =>
      Effect.gen(function* () {
        const store = yield* EmployeeStore
        const owner = yield* newConnection()
        const stranger = yield* newConnection()
        yield* store.replaceSnapshot(owner.customerId, owner.connectionId, [employee(owner.connectionId, "secret")])
        const write = yield* Effect.flip(
          store.replaceSnapshot(stranger.customerId, owner.connectionId, [employee(owner.connectionId, "evil")]),
        )
        assertInstanceOf(write, ConnectionNotFound)
        assert.strictEqual(write.customerId, stranger.customerId)
        const read = yield* Effect.flip(store.listByConnection(stranger.customerId, owner.connectionId))
        assertInstanceOf(read, ConnectionNotFound)
        assert.deepStrictEqual(ids(yield* store.listByConnection(owner.customerId, owner.connectionId)), ["secret"])
        assert.deepStrictEqual(ids(yield* store.listByCustomer(stranger.customerId)), [])
      }),
    )
  })
}
