import { assert, layer } from "@effect/vitest"
import { Customer } from "@finch-connections/core/Customer"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { CustomerId } from "@finch-connections/core/Ids"
import { Effect, Layer } from "effect"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

const CustomerRepositoryTest = PgCustomerRepository.layer.pipe(Layer.provideMerge(TestDatabase.layerPgDatabase()))

const customer = (id: string, name = `Customer ${id}`) =>
  new Customer({ id: CustomerId.make(id), name, createdAt: new Date("2026-01-02T03:04:05.678Z") })

layer(CustomerRepositoryTest)("PgCustomerRepository", (it) => {
  it.effect("stores a customer and reads it back", () =>
    Effect.gen(function* () {
      const repository = yield* CustomerRepository
      const created = yield* repository.create(customer("acme", "Acme Inc."))
      assert.deepStrictEqual(created, customer("acme", "Acme Inc."))
      assert.deepStrictEqual(yield* repository.get(CustomerId.make("acme")), created)
    }),
  )

  it.effect("refuses a second customer with the same id and keeps the first", () =>
    Effect.gen(function* () {
      const repository = yield* CustomerRepository
      yield* repository.create(customer("globex", "Globex"))
      const error = yield* Effect.flip(repository.create(customer("globex", "Impostor")))
      assert.strictEqual(error._tag, "CustomerAlreadyExists")
      assert.strictEqual(error.customerId, "globex")
      assert.strictEqual((yield* repository.get(CustomerId.make("globex"))).name, "Globex")
    }),
  )

  it.effect("says which customer is unknown", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* CustomerRepository).get(CustomerId.make("nobody")))
      assert.strictEqual(error._tag, "CustomerNotFound")
      assert.strictEqual(error.customerId, "nobody")
    }),
  )
})
