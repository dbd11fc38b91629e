/**
 * The behaviour every `CustomerRepository` must have, as one suite to run against each implementation. Cases use
 * fresh ids, so the suite shares one store and needs no clearing.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { CustomerRepository } from "../src/CustomerRepository.ts"
import * as Fixtures from "./Fixtures.ts"

/** Registers the `CustomerRepository` contract for the implementation `layer` provides, under the name `name`. */
export const customerRepositoryContract = <E>(name: string, layer_: Layer.Layer<CustomerRepository, E>): void => {
  layer(layer_, { excludeTestServices: true, timeout: "60 seconds" })(`CustomerRepository contract: ${name}`, (it) => {
    it.effect("stores a customer and returns it by id, name and creation time intact", () =>
      Effect.gen(function* () {
        const customers = yield* CustomerRepository
        const customer = Fixtures.customer(Fixtures.customerId(), new Date("2026-01-02T03:04:05.678Z"))
        const created = yield* customers.create(customer)
        assert.strictEqual(created.id, customer.id)
        const fetched = yield* customers.get(customer.id)
        assert.deepStrictEqual(
          [fetched.id, fetched.name, fetched.createdAt.toISOString()],
          [customer.id, customer.name, customer.createdAt.toISOString()],
        )
      }),
    )

    it.effect("refuses a second customer with the same id and keeps the first", () =>
      Effect.gen(function* () {
        const customers = yield* CustomerRepository
        const customer = Fixtures.customer()
        yield* customers.create(customer)
        const error = yield* Effect.flip(customers.create(Fixtures.customer(customer.id)))
        assert.strictEqual(error._tag, "CustomerAlreadyExists")
        assert.strictEqual(error.customerId, customer.id)
        assert.strictEqual((yield* customers.get(customer.id)).name, customer.name)
      }),
    )

    it.effect("an unknown id is CustomerNotFound", () =>
      Effect.gen(function* () {
        const customers = yield* CustomerRepository
        const customerId = Fixtures.customerId()
        const error = yield* Effect.flip(customers.get(customerId))
        assert.strictEqual(error._tag, "CustomerNotFound")
        assert.strictEqual(error.customerId, customerId)
      }),
    )

    it.effect("concurrent creations of one id: exactly one wins", () =>
      Effect.gen(function* () {
        const customers = yield* CustomerRepository
        const customerId = Fixtures.customerId()
        const results = yield* Effect.forEach(
          Array.from({ length: 10 }, () => Fixtures.customer(customerId)),
          (customer) => Effect.either(customers.create(customer)),
          { concurrency: "unbounded" },
        )
        assert.strictEqual(results.filter((r) => r._tag === "Right").length, 1)
        assert.isTrue(results.every((r) => r._tag === "Right" || r.left._tag === "CustomerAlreadyExists"))
      }),
    )
  })
}
