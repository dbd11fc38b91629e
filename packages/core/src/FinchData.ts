/**
 * The employee and company records Finch returns, in Finch's own field names (snake_case, nullable where Finch
 * sends null). Unknown fields are ignored when decoding, so Finch's additive changes never break us.
 */
import * as Schema from "effect/Schema"

const nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.NullOr(schema)
/** A field Finch may leave out or send as null. */
export const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** A postal location. */
export const Location = Schema.Struct({
  line1: optionalNullable(Schema.String),
  line2: optionalNullable(Schema.String),
  city: optionalNullable(Schema.String),
  state: optionalNullable(Schema.String),
  postal_code: optionalNullable(Schema.String),
  country: optionalNullable(Schema.String),
  name: optionalNullable(Schema.String),
  source_id: optionalNullable(Schema.String),
})
export type Location = typeof Location.Type

/** `GET /employer/company`. */
export const Company = Schema.Struct({
  id: Schema.String,
  legal_name: optionalNullable(Schema.String),
  ein: optionalNullable(Schema.String),
  primary_email: optionalNullable(Schema.String),
  primary_phone_number: optionalNullable(Schema.String),
  entity: optionalNullable(
    Schema.Struct({ type: optionalNullable(Schema.String), subtype: optionalNullable(Schema.String) }),
  ),
  departments: optionalNullable(
    Schema.Array(
      Schema.NullOr(
        Schema.Struct({
          name: optionalNullable(Schema.String),
          parent: optionalNullable(Schema.Struct({ name: optionalNullable(Schema.String) })),
        }),
      ),
    ),
  ),
  locations: optionalNullable(Schema.Array(Schema.NullOr(Location))),
  accounts: optionalNullable(Schema.Array(Schema.Unknown)),
})
export type Company = typeof Company.Type

/** One entry of `GET /employer/directory`. */
export const DirectoryIndividual = Schema.Struct({
  id: Schema.String,
  first_name: optionalNullable(Schema.String),
  middle_name: optionalNullable(Schema.String),
  last_name: optionalNullable(Schema.String),
  manager: optionalNullable(Schema.Struct({ id: Schema.String })),
  department: optionalNullable(Schema.Struct({ name: optionalNullable(Schema.String) })),
  is_active: optionalNullable(Schema.Boolean),
})
export type DirectoryIndividual = typeof DirectoryIndividual.Type

/** A page of `GET /employer/directory`. */
export const DirectoryPage = Schema.Struct({
  paging: Schema.Struct({ count: Schema.optional(Schema.Number), offset: Schema.optional(Schema.Number) }),
  individuals: Schema.Array(DirectoryIndividual),
})
export type DirectoryPage = typeof DirectoryPage.Type

/** An email or phone entry. */
export const ContactEntry = Schema.Struct({ data: nullable(Schema.String), type: optionalNullable(Schema.String) })

/** The `body` of a successful `POST /employer/individual` item. */
export const Individual = Schema.Struct({
  id: Schema.String,
  first_name: optionalNullable(Schema.String),
  middle_name: optionalNullable(Schema.String),
  last_name: optionalNullable(Schema.String),
  preferred_name: optionalNullable(Schema.String),
  emails: optionalNullable(Schema.Array(Schema.Struct({ data: Schema.String, type: optionalNullable(Schema.String) }))),
  phone_numbers: optionalNullable(Schema.Array(Schema.NullOr(ContactEntry))),
  gender: optionalNullable(Schema.String),
  ethnicity: optionalNullable(Schema.String),
  marital_status: optionalNullable(Schema.String),
  dob: optionalNullable(Schema.String),
  residence: optionalNullable(Location),
  ssn: optionalNullable(Schema.String),
  encrypted_ssn: optionalNullable(Schema.String),
})
export type Individual = typeof Individual.Type

/** An income figure, as reported. */
export const Income = Schema.Struct({
  amount: optionalNullable(Schema.Number),
  currency: optionalNullable(Schema.String),
  effective_date: optionalNullable(Schema.String),
  unit: optionalNullable(Schema.String),
})

/** The `body` of a successful `POST /employer/employment` item. */
export const Employment = Schema.Struct({
  id: Schema.String,
  first_name: optionalNullable(Schema.String),
  middle_name: optionalNullable(Schema.String),
  last_name: optionalNullable(Schema.String),
  title: optionalNullable(Schema.String),
  manager: optionalNullable(Schema.Struct({ id: Schema.String })),
  department: optionalNullable(Schema.Struct({ name: optionalNullable(Schema.String) })),
  employment: optionalNullable(
    Schema.Struct({ type: optionalNullable(Schema.String), subtype: optionalNullable(Schema.String) }),
  ),
  employment_status: optionalNullable(Schema.String),
  is_active: optionalNullable(Schema.Boolean),
  start_date: optionalNullable(Schema.String),
  end_date: optionalNullable(Schema.String),
  latest_rehire_date: optionalNullable(Schema.String),
  class_code: optionalNullable(Schema.String),
  flsa_status: optionalNullable(Schema.String),
  location: optionalNullable(Location),
  income: optionalNullable(Income),
  income_history: optionalNullable(Schema.Array(Schema.NullOr(Income))),
  custom_fields: optionalNullable(Schema.Array(Schema.Unknown)),
  source_id: optionalNullable(Schema.String),
  work_id: optionalNullable(Schema.String),
})
export type Employment = typeof Employment.Type

/** The error body of a failed batch item (and of HTTP errors). */
export const FinchErrorBody = Schema.Struct({
  code: Schema.Number,
  name: Schema.String,
  finch_code: optionalNullable(Schema.String),
  message: Schema.String,
})
export type FinchErrorBody = typeof FinchErrorBody.Type

/** One item of a batch response: the record, or its own error. */
export type BatchItem<A> =
  | { readonly _tag: "Found"; readonly individualId: string; readonly body: A }
  | { readonly _tag: "Failed"; readonly individualId: string; readonly code: number; readonly error: FinchErrorBody }
