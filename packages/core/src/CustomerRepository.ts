/**
 * The port that stores customers.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Customer, CustomerAlreadyExists, CustomerNotFound } from "./Customer.ts"
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
