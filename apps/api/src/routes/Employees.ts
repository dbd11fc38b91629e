/**
 * `GET …/employees?limit&cursor`, `GET …/employees/{person_id}`, `POST …/employees/decisions`.
 */
import { Option, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import * as Employees from "../Employees.ts"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as PersonJson from "../json/PersonJson.ts"
import { CustomerPath, PersonPath } from "../Params.ts"
import { SafeText, validate } from "../Validation.ts"
import * as Responses from "./Responses.ts"

/** The default and largest page. */
const defaultLimit = 50
const maxLimit = 200

const Cursor = Schema.String.pipe(
  Schema.maxLength(512),
  Schema.compose(Schema.StringFromBase64Url),
  Schema.compose(SafeText),
)

const PageQuery = Schema.Struct({
  limit: Schema.optional(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, maxLimit)).annotations({
      description: `persons per page, 1–${maxLimit} (default ${defaultLimit})`,
    }),
  ),
  cursor: Schema.optional(Cursor.annotations({ description: "`next_cursor` of the previous page" })),
})

const PersonPage = Schema.Struct({
  employees: Schema.Array(PersonJson.PersonBody),
  next_cursor: Schema.NullOr(Schema.String),
}).annotations({ identifier: "EmployeePage" })

const RecordId = SafeText.pipe(Schema.minLength(1), Schema.maxLength(600))

const DecisionBody = Schema.Struct({
  record_ids: Schema.Tuple(RecordId, RecordId)
    .pipe(Schema.filter(([a, b]) => a !== b, { message: () => "the two record ids must differ" }))
    .annotations({ description: "two `record_id`s (`<connection_id>:<individual_id>`)" }),
  decision: Schema.Literal("same_person", "not_same_person"),
}).annotations({ identifier: "EmployeeDecision" })

const DecisionResult = Schema.Struct({ employees: Schema.Array(PersonJson.PersonBody) }).annotations({
  identifier: "EmployeeDecisionResult",
})

const encodeCursor = (personId: string) => Buffer.from(personId, "utf8").toString("base64url")

/** The employees router. */
export const routes = (runtime: ApiRuntime) =>
  new Hono<ApiEnv>()
    .get(
      "/v1/customers/:customer_id/employees",
      describeRoute({
        tags: ["employees"],
        summary: "The customer's reconciled people, with their source records and the evidence of each merge",
        responses: {
          200: Responses.ok("a page of people", PersonPage),
          400: Responses.error("`invalid_request`"),
          ...Responses.customerScoped,
        },
      }),
      validate("param", CustomerPath),
      validate("query", PageQuery),
      (c) => {
        const query = c.req.valid("query")
        return runEffect(
          runtime,
          c,
          Employees.page(c.req.valid("param").customer_id, {
            limit: query.limit ?? defaultLimit,
            after: Option.fromNullable(query.cursor),
          }),
          (page) =>
            c.json(
              {
                employees: page.persons.map(PersonJson.toJson),
                next_cursor: Option.getOrNull(Option.map(page.next, encodeCursor)),
              },
              200,
            ),
        )
      },
    )
    .post(
      "/v1/customers/:customer_id/employees/decisions",
      describeRoute({
        tags: ["employees"],
        summary: "Decide that two records are (or are not) the same person, and reconcile again",
        responses: {
          200: Responses.ok("the people the two records belong to now", DecisionResult),
          ...Responses.customerScoped,
        },
      }),
      validate("param", CustomerPath),
      validate("json", DecisionBody),
      (c) => {
        const body = c.req.valid("json")
        return runEffect(
          runtime,
          c,
          Employees.decide(c.req.valid("param").customer_id, { recordIds: body.record_ids, decision: body.decision }),
          (persons) => c.json({ employees: persons.map(PersonJson.toJson) }, 200),
        )
      },
    )
    .get(
      "/v1/customers/:customer_id/employees/:person_id",
      describeRoute({
        tags: ["employees"],
        summary: "One reconciled person",
        responses: { 200: Responses.ok("the person", PersonJson.PersonBody), ...Responses.customerScoped },
      }),
      validate("param", PersonPath),
      (c) => {
        const { customer_id, person_id } = c.req.valid("param")
        return runEffect(runtime, c, Employees.get(customer_id, person_id), (person) =>
          c.json(PersonJson.toJson(person), 200),
        )
      },
    )
