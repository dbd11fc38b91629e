/**
 * What reconciliation reads: one employee record as one connection knows it, in Finch's own field names
 * (the same shape as a line of `pnpm reconcile`'s input). Every Finch field is optional and nullable.
 */
import * as Schema from "effect/Schema"
import { ContactEntry, Location, optionalNullable } from "../FinchData.ts"

/** An email or phone number with Finch's `type` (`work` | `personal` | null): Finch's own entry. */
export const Contact = ContactEntry
export type Contact = typeof Contact.Type

/** The fields of Finch's `Individual` that identify a person. */
export const IndividualFields = Schema.Struct({
  first_name: optionalNullable(Schema.String),
  middle_name: optionalNullable(Schema.String),
  last_name: optionalNullable(Schema.String),
  preferred_name: optionalNullable(Schema.String),
  dob: optionalNullable(Schema.String),
  emails: optionalNullable(Schema.Array(Schema.NullOr(Contact))),
  phone_numbers: optionalNullable(Schema.Array(Schema.NullOr(Contact))),
  ssn: optionalNullable(Schema.String),
  residence: optionalNullable(Location),
})
export type IndividualFields = typeof IndividualFields.Type

/** The fields of Finch's `Employment` that help (weakly) to identify a person. */
export const EmploymentFields = Schema.Struct({
  title: optionalNullable(Schema.String),
  department: optionalNullable(Schema.Struct({ name: optionalNullable(Schema.String) })),
  start_date: optionalNullable(Schema.String),
  end_date: optionalNullable(Schema.String),
  is_active: optionalNullable(Schema.Boolean),
  source_id: optionalNullable(Schema.String),
  manager: optionalNullable(Schema.Struct({ id: Schema.String })),
})
export type EmploymentFields = typeof EmploymentFields.Type

/** Text without NUL characters, which PostgreSQL's text cannot hold (ids end up in the store). */
const WithoutNul = Schema.String.pipe(
  Schema.filter((text) => !text.includes("\u0000") || "must not contain NUL (\\u0000) characters"),
)
/** An id kept in the store. */
const StoredId = WithoutNul.pipe(Schema.minLength(1))

/** One source record: `record_id` is unique within a run (e.g. `<connection>:<individual_id>`). */
export const SourceRecord = Schema.Struct({
  record_id: StoredId,
  connection_id: StoredId,
  entity_id: optionalNullable(WithoutNul),
  individual: IndividualFields,
  employment: optionalNullable(EmploymentFields),
})
export type SourceRecord = typeof SourceRecord.Type
