/**
 * Use cases about customers: the application registers its employers before connecting them.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Customer, type CustomerAlreadyExists, type CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import type { CustomerId } from "./Ids.ts"

const decodeCustomer = Schema.decodeUnknown(Customer)

/**
 * Registers a customer under the id the application chose. The name is trimmed and must be 1–255 characters (a
 * `ParseError` otherwise); an id already taken is `CustomerAlreadyExists`.
 */
export const createCustomer: (input: {
  readonly id: CustomerId
  readonly name: string
}) => Effect.Effect<Customer, CustomerAlreadyExists | ParseResult.ParseError, CustomerRepository> = Effect.fn(
  "Customers.createCustomer",
)(function* (input) {
  yield* Effect.annotateCurrentSpan("customerId", input.id)
  const customers = yield* CustomerRepository
  const createdAt = new Date(yield* Clock.currentTimeMillis)
  const customer = yield* decodeCustomer({ id: input.id, name: input.name, createdAt })
  return yield* customers.create(customer)
})

/** The customer with that id. */
export const getCustomer = (customerId: CustomerId): Effect.Effect<Customer, CustomerNotFound, CustomerRepository> =>
  Effect.flatMap(CustomerRepository, (customers) => customers.get(customerId))
