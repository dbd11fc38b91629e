/**
 * A customer of the application: one employer, owner of any number of connections.
 */
import * as Schema from "effect/Schema"
import { CustomerId } from "./Ids.ts"

/** A customer, with the id the application chose for it. */
export class Customer extends Schema.Class<Customer>("Customer")({
  id: CustomerId,
  name: Schema.Trim.pipe(Schema.nonEmptyString(), Schema.maxLength(255)),
  createdAt: Schema.DateFromSelf,
}) {}

/** No customer with that id. */
export class CustomerNotFound extends Schema.TaggedError<CustomerNotFound>()("CustomerNotFound", {
  customerId: CustomerId,
}) {
  override get message() {
    return `customer ${this.customerId} not found`
  }
}

/** A customer with that id exists already. */
export class CustomerAlreadyExists extends Schema.TaggedError<CustomerAlreadyExists>()("CustomerAlreadyExists", {
  customerId: CustomerId,
}) {
  override get message() {
    return `customer ${this.customerId} already exists`
  }
}
