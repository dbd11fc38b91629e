/**
 * A customer as the API shows it.
 */
import type { Customer } from "@finch-connections/core/Customer"
import { Schema } from "effect"

/** `{ id, name, created_at }`. */
export const CustomerBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  created_at: Schema.String.annotations({ description: "ISO 8601" }),
}).annotations({ identifier: "Customer" })
export type CustomerBody = typeof CustomerBody.Type

/** The customer's JSON. */
export const toJson = (customer: Customer): CustomerBody => ({
  id: customer.id,
  name: customer.name,
  created_at: customer.createdAt.toISOString(),
})
