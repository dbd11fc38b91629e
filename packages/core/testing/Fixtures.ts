/**
 * Builders shared by core's tests and the contract suites: introspections in the shapes Finch sends (old and new
 * model), and unique ids so suites can share one store without clearing it.
 */
import { randomUUID } from "node:crypto"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Customer } from "../src/Customer.ts"
import { AccountId, CompanyId, CustomerId, EntityId, FinchConnectionId, ProviderId } from "../src/Ids.ts"
import { Entity, Introspection } from "../src/Introspection.ts"
import { Product } from "../src/Product.ts"

/** A string no other test uses, e.g. `unique("company")` → `company-2f1c…`. */
export const unique = (prefix: string): string => `${prefix}-${randomUUID()}`

/** A fresh UUID. */
export const uuid = (): string => randomUUID()

/** A fresh customer id. */
export const customerId = (): CustomerId => CustomerId.make(unique("customer"))

/** A fresh customer (created at the epoch unless told). */
export const customer = (id: CustomerId = customerId(), createdAt = new Date(0)): Customer =>
  new Customer({ id, name: `Employer ${id}`, createdAt })

/** A fresh access token. */
export const accessToken = (): Redacted.Redacted<string> => Redacted.make(unique("token"))

/** What a token says about itself, in plain strings; anything left out is absent from the introspection. */
export interface IntrospectionFields {
  readonly provider: string
  readonly company?: string
  readonly account?: string
  readonly finchConnection?: string
  readonly finchCustomer?: string
  readonly status?: string
  readonly products?: ReadonlyArray<string>
  readonly entities?: ReadonlyArray<string>
  readonly authenticationMethod?: string
  readonly username?: string
}

/** An `Introspection` as decoded from Finch's `GET /introspect`. */
export const introspection = (fields: IntrospectionFields): Introspection =>
  new Introspection({
    providerId: ProviderId.make(fields.provider),
    companyId: Option.map(Option.fromNullable(fields.company), (id) => CompanyId.make(id)),
    accountId: Option.map(Option.fromNullable(fields.account), (id) => AccountId.make(id)),
    finchConnectionId: Option.map(Option.fromNullable(fields.finchConnection), (id) => FinchConnectionId.make(id)),
    finchCustomerId: Option.fromNullable(fields.finchCustomer),
    status: Option.fromNullable(fields.status),
    products: (fields.products ?? ["company", "directory", "individual", "employment"]).map((p) => Product.make(p)),
    entities: (fields.entities ?? []).map(
      (id) =>
        new Entity({
          id: EntityId.make(id),
          name: Option.some(`Entity ${id}`),
          sourceId: Option.none(),
          status: Option.none(),
        }),
    ),
    clientType: Option.some("sandbox"),
    connectionType: Option.some("provider"),
    username: Option.fromNullable(fields.username),
    authenticationMethod: Option.fromNullable(fields.authenticationMethod),
  })

/** An old-model token (account_id + company_id, no connection_id) for a fresh company at `provider`. */
export const oldModelToken = (provider = "gusto", company = unique("company"), account = unique("account")) =>
  introspection({ provider, company, account })

/**
 * A token of Finch's current API: one login is one Finch connection (`connection_id`), which also names the
 * deprecated `account_id` (one per Finch connection) and the company.
 */
export const currentToken = (
  fields: Omit<IntrospectionFields, "finchConnection" | "account"> & { readonly finchConnection?: string },
) => {
  const finchConnection = fields.finchConnection ?? unique("conn")
  return introspection({ ...fields, finchConnection, account: `account-of-${finchConnection}` })
}
