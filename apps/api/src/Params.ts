/**
 * The Schemas of path and query parameters shared by the routers. Ids are checked for shape here (a connection id is
 * a UUID); whether they exist for the customer is the use case's business.
 */
import { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Schema } from "effect"
import { SafeText } from "./Validation.ts"

/** Characters that cannot stand in one path segment as it is read back (separators, escapes, query, fragment). */
const pathUnsafe = /[/\\?#%]/

/** The application's id for its customer: usable as one path segment, so `..` and separators are refused. */
export const CustomerIdParam = Schema.compose(
  SafeText.pipe(
    Schema.filter((id) => !pathUnsafe.test(id) && id.trim() !== "." && id.trim() !== "..", {
      message: () => "must not contain / \\ ? # % or be . or ..",
    }),
  ),
  CustomerId,
).annotations({
  description: "the application's own id for its customer: 1–255 characters, none of / \\ ? # % and not . or ..",
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
