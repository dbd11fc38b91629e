/**
 * `PUT /v1/customers/{customer_id}` (idempotent: the application picks the id) and `GET /v1/customers/{customer_id}`.
 */
import * as Customers from "@finch-connections/core/Customers"
import { Effect, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as CustomerJson from "../json/CustomerJson.ts"
import { CustomerPath } from "../Params.ts"
import { SafeText, validate } from "../Validation.ts"
import * as Responses from "./Responses.ts"

const PutCustomerBody = Schema.Struct({
  name: SafeText.pipe(Schema.minLength(1), Schema.maxLength(255)).annotations({ description: "display name" }),
}).annotations({ identifier: "PutCustomer" })

/**
 * Registers the customer, or confirms it when it exists with the same name (`created: false`); the same id with
 * another name is `CustomerAlreadyExists`.
 */
const putCustomer = (input: { readonly id: Parameters<typeof Customers.getCustomer>[0]; readonly name: string }) =>
  Customers.createCustomer(input).pipe(
    Effect.map((customer) => ({ customer, created: true })),
    Effect.catchTag("CustomerAlreadyExists", (conflict) =>
      Effect.flatMap(Customers.getCustomer(input.id), (customer) =>
        customer.name === input.name.trim() ? Effect.succeed({ customer, created: false }) : Effect.fail(conflict),
      ).pipe(Effect.catchTag("CustomerNotFound", Effect.die)),
    ),
  )

/** The customers router. */
export const routes = (runtime: ApiRuntime) =>
  new Hono<ApiEnv>()
    .put(
      "/v1/customers/:customer_id",
      describeRoute({
        tags: ["customers"],
        summary: "Register a customer (idempotent)",
        responses: {
          200: Responses.ok("the customer existed with that name", CustomerJson.CustomerBody),
          201: Responses.ok("the customer was registered", CustomerJson.CustomerBody),
          401: Responses.customerScoped[401],
          409: Responses.error("`customer_already_exists`: that id is taken with another name"),
        },
      }),
      validate("param", CustomerPath),
      validate("json", PutCustomerBody),
      (c) =>
        runEffect(
          runtime,
          c,
          putCustomer({ id: c.req.valid("param").customer_id, name: c.req.valid("json").name }),
          ({ customer, created }) => c.json(CustomerJson.toJson(customer), created ? 201 : 200),
        ),
    )
    .get(
      "/v1/customers/:customer_id",
      describeRoute({
        tags: ["customers"],
        summary: "Read a customer",
        responses: { 200: Responses.ok("the customer", CustomerJson.CustomerBody), ...Responses.customerScoped },
      }),
      validate("param", CustomerPath),
      (c) =>
        runEffect(runtime, c, Customers.getCustomer(c.req.valid("param").customer_id), (customer) =>
          c.json(CustomerJson.toJson(customer), 200),
        ),
    )
