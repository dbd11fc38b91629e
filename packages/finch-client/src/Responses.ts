/**
 * The wire shapes of the Finch answers core does not already model (token exchange, Connect sessions, disconnect,
 * batch envelopes, providers). Unknown fields are ignored; fields Finch may omit or null are optional and nullable.
 */
import * as Schema from "effect/Schema"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `POST /auth/token`. The token is decoded straight into a `Redacted`. */
export const TokenResponse = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  token_type: optionalNullable(Schema.String),
  connection_id: optionalNullable(Schema.String),
  connection_type: optionalNullable(Schema.String),
  client_type: optionalNullable(Schema.String),
  provider_id: Schema.String,
  products: Schema.Array(Schema.String),
  entity_ids: optionalNullable(Schema.Array(Schema.String)),
  company_id: optionalNullable(Schema.String),
  account_id: optionalNullable(Schema.String),
  customer_id: optionalNullable(Schema.String),
  customer_name: optionalNullable(Schema.String),
})
export type TokenResponse = typeof TokenResponse.Type

/** `POST /connect/sessions` and `POST /connect/sessions/reauthenticate`. */
export const ConnectSessionResponse = Schema.Struct({
  session_id: Schema.String,
  connect_url: Schema.String,
})

/** `POST /disconnect`. */
export const DisconnectResponse = Schema.Struct({ status: optionalNullable(Schema.String) })

/** One item of a batch answer: the record or its own error, under the item's own status `code`. */
export const BatchResponseItem = Schema.Struct({
  individual_id: Schema.String,
  code: Schema.Number,
  body: Schema.optional(Schema.Unknown),
})
export type BatchResponseItem = typeof BatchResponseItem.Type

/** `POST /employer/individual` and `POST /employer/employment`. */
export const BatchResponse = Schema.Struct({ responses: Schema.Array(BatchResponseItem) })

/** An authentication method a provider supports. */
export const ProviderAuthenticationMethod = Schema.Struct({
  type: optionalNullable(Schema.String),
  supported_fields: optionalNullable(Schema.Unknown),
  benefits_support: optionalNullable(Schema.Unknown),
})

/** One entry of `GET /providers`. */
export const Provider = Schema.Struct({
  id: Schema.String,
  display_name: optionalNullable(Schema.String),
  products: optionalNullable(Schema.Array(Schema.String)),
  category: optionalNullable(Schema.String),
  icon: optionalNullable(Schema.String),
  logo: optionalNullable(Schema.String),
  mfa_required: optionalNullable(Schema.Boolean),
  primary_color: optionalNullable(Schema.String),
  manual: optionalNullable(Schema.Boolean),
  beta: optionalNullable(Schema.Boolean),
  authentication_methods: optionalNullable(Schema.Array(ProviderAuthenticationMethod)),
})
export type Provider = typeof Provider.Type

/** `GET /providers`. */
export const ProvidersResponse = Schema.Array(Provider)
