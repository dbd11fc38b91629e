/**
 * The Schemas of path and query parameters shared by the routers. Ids are checked for shape here (a connection id is
 * a UUID); whether they exist for the customer is the use case's business.
 */
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Schema } from "effect"
import { SafeText } from "./Validation.ts"

/** The application's id for its customer. */
export const CustomerIdParam = Schema.compose(SafeText, CustomerId).annotations({
  description: "the application's own id for its customer (1–255 characters)",
  examples: [CustomerId.make("acme")],
})

/** `/v1/customers/{customer_id}`. */
export const CustomerPath = Schema.Struct({ customer_id: CustomerIdParam })

/** `/v1/customers/{customer_id}/connections/{connection_id}`. */
export const ConnectionPath = Schema.Struct({
  customer_id: CustomerIdParam,
  connection_id: ConnectionId.annotations({ description: "our connection id (a UUID)" }),
})

/** `/v1/customers/{customer_id}/employees/{person_id}`. */
export const PersonPath = Schema.Struct({
  customer_id: CustomerIdParam,
  person_id: SafeText.pipe(Schema.minLength(1), Schema.maxLength(255)),
})
