/**
 * The customer's reconciled employees as the API offers them: a page of persons, one person, and a manual decision
 * about two records followed by a new reconciliation run (so the decision shows at once).
 */
import * as Customers from "@finch-connections/core/Customers"
import type { CustomerId } from "@finch-connections/core/Ids"
import { PersonStore } from "@finch-connections/core/PersonStore"
import * as Persons from "@finch-connections/core/Persons"
import { PersonDirectory } from "@finch-connections/store-postgres/PersonDirectory"
import { Effect, Option, Schema } from "effect"

/** No person with that id (or alias) for the customer — also what another customer's person looks like. */
export class PersonNotFound extends Schema.TaggedError<PersonNotFound>()("PersonNotFound", {
  customerId: Schema.String,
  personId: Schema.String,
}) {}

/** Some of the record ids are not the customer's current employee records. */
export class RecordsNotFound extends Schema.TaggedError<RecordsNotFound>()("RecordsNotFound", {
  customerId: Schema.String,
  recordIds: Schema.Array(Schema.String),
}) {}

/** A page of the customer's persons after `after` (a person id), in id order. */
export const page = (
  customerId: CustomerId,
  options: { readonly limit: number; readonly after: Option.Option<string> },
) =>
  Effect.zipRight(
    Customers.getCustomer(customerId),
    Effect.flatMap(PersonDirectory, (directory) => directory.page(customerId, options)),
  ).pipe(Effect.withSpan("Employees.page", { attributes: { customerId } }))

/** One person (an id merged into another answers with the person it went to). */
export const get = (customerId: CustomerId, personId: string) =>
  Effect.flatMap(PersonDirectory, (directory) => directory.get(customerId, personId)).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.fail(new PersonNotFound({ customerId, personId })),
        onSome: Effect.succeed,
      }),
    ),
    Effect.withSpan("Employees.get", { attributes: { customerId } }),
  )

/** What a person decided about two records. */
export type Decision = "same_person" | "not_same_person"

/**
 * Records the decision about two of the customer's records and reconciles again; answers the persons the two records
 * belong to afterwards (one person for `same_person`, two for `not_same_person`).
 */
export const decide = (
  customerId: CustomerId,
  input: { readonly recordIds: readonly [string, string]; readonly decision: Decision },
) =>
  Effect.gen(function* () {
    yield* Customers.getCustomer(customerId)
    const directory = yield* PersonDirectory
    const existing = new Set(yield* directory.existingRecords(customerId, input.recordIds))
    const missing = input.recordIds.filter((id) => !existing.has(id))
    if (missing.length > 0) return yield* new RecordsNotFound({ customerId, recordIds: missing })
    const store = yield* PersonStore
    const [recordA, recordB] = input.recordIds
    yield* store.decide(customerId, {
      kind: input.decision === "same_person" ? "same_person" : "never_same_person",
      recordA,
      recordB,
    })
    yield* Persons.reconcileCustomer(customerId)
    const personIds = new Set<string>()
    for (const recordId of input.recordIds) {
      const assignment = yield* store.assignmentOf(customerId, recordId)
      if (Option.isSome(assignment)) personIds.add(assignment.value.personId)
    }
    const persons = []
    for (const personId of personIds) {
      const person = yield* directory.get(customerId, personId)
      if (Option.isSome(person)) persons.push(person.value)
    }
    return persons
  }).pipe(Effect.withSpan("Employees.decide", { attributes: { customerId } }))
