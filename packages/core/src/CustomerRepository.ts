/**
 * The port that stores customers.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Customer, CustomerAlreadyExists, CustomerNotFound } from "./Customer.ts"
import type { CustomerId } from "./Ids.ts"

/** Customers by the id the application chose. */
export class CustomerRepository extends Context.Tag("@finch-connections/core/CustomerRepository")<
  CustomerRepository,
  {
    /** Stores a new customer; fails when the id is taken. */
    readonly create: (customer: Customer) => Effect.Effect<Customer, CustomerAlreadyExists>
    /** The customer with that id. */
    readonly get: (customerId: CustomerId) => Effect.Effect<Customer, CustomerNotFound>
  }
>() {}

/** An in-memory `CustomerRepository` for tests; every build starts empty. */
export const makeMemory = Effect.sync(() => {
  const customers = new Map<CustomerId, Customer>()
  return CustomerRepository.of({
    create: Effect.fn("CustomerRepository.create")(function* (customer: Customer) {
      yield* Effect.annotateCurrentSpan("customerId", customer.id)
      if (customers.has(customer.id)) return yield* new CustomerAlreadyExists({ customerId: customer.id })
      customers.set(customer.id, customer)
      return customer
    }),
    get: Effect.fn("CustomerRepository.get")(function* (customerId: CustomerId) {
      const customer = customers.get(customerId)
      if (customer === undefined) return yield* new CustomerNotFound({ customerId })
      return customer
    }),
  })
})

/** `CustomerRepository` in memory. */
export const layerMemory: Layer.Layer<CustomerRepository> = Layer.effect(CustomerRepository, makeMemory)
