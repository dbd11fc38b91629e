/**
 * OpenAPI descriptions of responses, from the same Schemas the handlers answer with.
 */
import { Schema } from "effect"
import { resolver } from "hono-openapi"
import { ErrorBody } from "../HttpErrors.ts"

const json = <A, I>(schema: Schema.Schema<A, I, never>) => ({
  "application/json": { schema: resolver(Schema.standardSchemaV1(schema)) },
})

/** A JSON response with `schema`. */
export const ok = <A, I>(description: string, schema: Schema.Schema<A, I, never>) => ({
  description,
  content: json(schema),
})

/** An error response. */
export const error = (description: string) => ({ description, content: json(ErrorBody) })

/** The errors every customer-scoped route can answer. */
export const customerScoped = {
  401: error("`unauthorized`: the API key is missing or wrong"),
  404: error("`customer_not_found` (or the resource's own not-found code); another customer's ids answer the same"),
}
