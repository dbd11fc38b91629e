/**
 * What Finch's `GET /introspect` says about a token: which provider, company, account and connection it belongs to.
 * Decodes both the older response (`account_id`, `company_id`, `payroll_provider_id`) and the current one
 * (`connection_id`, `provider_id`, `connection_status`, `entities`, `customer_id`, …); unknown fields are ignored.
 */
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { optionalNullable } from "./FinchData.ts"
import type { TokenExchange } from "./FinchGateway.ts"
import { AccountId, CompanyId, EntityId, FinchConnectionId, ProviderId } from "./Ids.ts"
import { Product } from "./Product.ts"

/** Finch's connection status values; parsed leniently (`error_reauth`, `disconnected` and new values are kept). */
export const FinchConnectionStatus = Schema.String
export type FinchConnectionStatus = typeof FinchConnectionStatus.Type

/** Whether a Finch status means the employer must reconnect. */
export const needsReauthentication = (status: FinchConnectionStatus): boolean =>
  status === "reauth" || status === "error_reauth"

/** `connection_status` as Finch sends it. */
export const ConnectionStatusResponse = Schema.Struct({
  status: FinchConnectionStatus,
  last_successful_sync: optionalNullable(Schema.String),
  message: optionalNullable(Schema.String),
})

/** One entity of a multi-entity connection, as Finch sends it. */
export const EntityResponse = Schema.Struct({
  id: Schema.String,
  name: optionalNullable(Schema.String),
  source_id: optionalNullable(Schema.String),
  status: optionalNullable(FinchConnectionStatus),
})

/** The wire shape of `GET /introspect`, old and new fields alike (all but the essentials optional). */
export const IntrospectionResponse = Schema.Struct({
  id: optionalNullable(Schema.String),
  client_id: optionalNullable(Schema.String),
  client_type: optionalNullable(Schema.String),
  connection_id: optionalNullable(Schema.String),
  connection_status: optionalNullable(ConnectionStatusResponse),
  connection_type: optionalNullable(Schema.String),
  products: Schema.Array(Schema.String),
  provider_id: optionalNullable(Schema.String),
  payroll_provider_id: optionalNullable(Schema.String),
  account_id: optionalNullable(Schema.String),
  company_id: optionalNullable(Schema.String),
  authentication_methods: optionalNullable(
    Schema.Array(
      Schema.Struct({
        type: Schema.String,
        connection_status: optionalNullable(ConnectionStatusResponse),
        products: optionalNullable(Schema.Array(Schema.String)),
      }),
    ),
  ),
  customer_id: optionalNullable(Schema.String),
  customer_name: optionalNullable(Schema.String),
  customer_email: optionalNullable(Schema.String),
  entities: optionalNullable(Schema.Array(EntityResponse)),
  manual: optionalNullable(Schema.Boolean),
  username: optionalNullable(Schema.String),
})
export type IntrospectionResponse = typeof IntrospectionResponse.Type

/** One entity reachable with a token. */
export class Entity extends Schema.Class<Entity>("Entity")({
  id: EntityId,
  name: Schema.OptionFromSelf(Schema.String),
  sourceId: Schema.OptionFromSelf(Schema.String),
  status: Schema.OptionFromSelf(FinchConnectionStatus),
}) {}

/** The domain's view of an introspected token. */
export class Introspection extends Schema.Class<Introspection>("Introspection")({
  providerId: ProviderId,
  companyId: Schema.OptionFromSelf(CompanyId),
  accountId: Schema.OptionFromSelf(AccountId),
  finchConnectionId: Schema.OptionFromSelf(FinchConnectionId),
  /** The `customer_id` a Connect session stamped on the connection, when there was one. */
  finchCustomerId: Schema.OptionFromSelf(Schema.String),
  status: Schema.OptionFromSelf(FinchConnectionStatus),
  products: Schema.Array(Product),
  entities: Schema.Array(Entity),
  clientType: Schema.OptionFromSelf(Schema.String),
  connectionType: Schema.OptionFromSelf(Schema.String),
  username: Schema.OptionFromSelf(Schema.String),
  /** How the employer authenticated this login (`credential`, `oauth`, `assisted`, …), when Finch says. */
  authenticationMethod: Schema.OptionFromSelf(Schema.String),
}) {
  /** Whether Finch already says this connection needs reauthentication (top-level, per method, or per entity). */
  get needsReauthentication(): boolean {
    return (
      Option.exists(this.status, needsReauthentication) ||
      this.entities.some((entity) => Option.exists(entity.status, needsReauthentication))
    )
  }
}

const some = <A>(value: A | null | undefined): Option.Option<A> => Option.fromNullable(value)

/** An id Finch sent, `None` when absent, null or blank (Finch's older responses send empty strings). */
const presentId = (value: string | null | undefined): Option.Option<string> =>
  some(value).pipe(Option.filter((id) => id.trim() !== ""))

const decodeFields = ParseResult.decodeUnknown(Introspection)

/**
 * Decodes the wire response into an `Introspection`; fails when no provider id can be found. Ids go through their
 * brands (trimmed, at most 255 characters), so a malformed one is a `ParseError`, never a thrown exception; blank ids,
 * and entities with a blank id, count as absent.
 */
export const IntrospectionFromResponse = Schema.transformOrFail(
  IntrospectionResponse,
  Schema.typeSchema(Introspection),
  {
    strict: true,
    decode: (raw, options, ast) => {
      const provider = Option.orElse(presentId(raw.provider_id), () => presentId(raw.payroll_provider_id))
      if (Option.isNone(provider)) {
        return ParseResult.fail(
          new ParseResult.Type(ast, raw, "the introspection has neither provider_id nor payroll_provider_id"),
        )
      }
      // Older responses carry the status per authentication method only: one needing reauth wins, then a connected
      // one (the method the token came through), then whatever is first.
      const methodStatuses = (raw.authentication_methods ?? []).flatMap((m) =>
        m.connection_status ? [m.connection_status.status] : [],
      )
      const methodStatus =
        methodStatuses.find(needsReauthentication) ??
        methodStatuses.find((status) => status === "connected") ??
        methodStatuses[0]
      // The method the token came through: the connected one, else the only one; `manual` marks assisted logins.
      const methods = raw.authentication_methods ?? []
      const method =
        methods.find((m) => m.connection_status?.status === "connected")?.type ??
        (methods.length === 1 ? methods[0]?.type : undefined) ??
        (raw.manual === true ? "assisted" : undefined)
      return decodeFields(
        {
          providerId: provider.value,
          companyId: presentId(raw.company_id),
          accountId: presentId(raw.account_id),
          finchConnectionId: presentId(raw.connection_id),
          finchCustomerId: presentId(raw.customer_id),
          status: Option.orElse(some(raw.connection_status?.status), () => some(methodStatus)),
          products: raw.products.map((p) => p.trim()).filter((p) => p !== ""),
          entities: (raw.entities ?? [])
            .filter((entity) => entity.id.trim() !== "")
            .map((entity) => ({
              id: entity.id,
              name: some(entity.name),
              sourceId: some(entity.source_id),
              status: some(entity.status),
            })),
          clientType: some(raw.client_type),
          connectionType: some(raw.connection_type),
          username: some(raw.username),
          authenticationMethod: some(method),
        },
        options,
      )
    },
    encode: (introspection, _, ast) =>
      ParseResult.fail(new ParseResult.Forbidden(ast, introspection, "an Introspection is never sent back to Finch")),
  },
)

/** Decodes an unknown JSON value from `GET /introspect`. */
export const decodeIntrospection = Schema.decodeUnknown(IntrospectionFromResponse)

/**
 * What the code exchange already said about a token, as an `Introspection`, for when `/introspect` fails right after
 * the exchange: the token is recorded from these ids rather than lost, and introspected again later. It knows no
 * status, entity names or authentication method.
 */
export const introspectionFromExchange = (exchange: TokenExchange): Introspection =>
  new Introspection({
    providerId: exchange.providerId,
    companyId: exchange.companyId,
    accountId: exchange.accountId,
    finchConnectionId: exchange.finchConnectionId,
    finchCustomerId: exchange.customerId,
    status: Option.none(),
    products: exchange.products,
    entities: exchange.entityIds.map(
      (id) => new Entity({ id, name: Option.none(), sourceId: Option.none(), status: Option.none() }),
    ),
    clientType: Option.none(),
    connectionType: Option.none(),
    username: Option.none(),
    authenticationMethod: Option.none(),
  })
