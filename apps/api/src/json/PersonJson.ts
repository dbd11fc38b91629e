/**
 * A reconciled person as the API shows it: its source records, each with the connection and Finch individual id it
 * came from and the evidence of its link (score, fields that agreed).
 */
import type { PersonView } from "@finch-connections/store-postgres/PersonDirectory"
import { Schema } from "effect"

/** One source record of a person. */
export const PersonRecordBody = Schema.Struct({
  record_id: Schema.String,
  connection_id: Schema.String,
  individual_id: Schema.String,
  entity_id: Schema.NullOr(Schema.String),
  first_name: Schema.NullOr(Schema.String),
  last_name: Schema.NullOr(Schema.String),
  match: Schema.Struct({
    score: Schema.NullOr(Schema.Number).annotations({ description: "null for the record the person starts from" }),
    matched_by: Schema.Array(Schema.String),
  }),
}).annotations({ identifier: "PersonRecord" })

/** A person. */
export const PersonBody = Schema.Struct({
  id: Schema.String,
  first_seen_at: Schema.String,
  records: Schema.Array(PersonRecordBody),
}).annotations({ identifier: "Person" })
export type PersonBody = typeof PersonBody.Type

/** The person's JSON. */
export const toJson = (person: PersonView): PersonBody => ({
  id: person.personId,
  first_seen_at: new Date(person.since).toISOString(),
  records: person.records.map((record) => ({
    record_id: record.recordId,
    connection_id: record.connectionId,
    individual_id: record.individualId,
    entity_id: record.entityId,
    first_name: record.firstName,
    last_name: record.lastName,
    match: { score: record.score, matched_by: [...record.matchedBy] },
  })),
})
