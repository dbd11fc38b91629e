/**
 * A connection: one employment provider joined to one employer entity, under one of our customers.
 * Its identity is (customer, provider, company); several logins (accounts) at the same provider+company are kept
 * under the one connection, each with its own token.
 */
import * as Arr from "effect/Array"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import {
  AccountId,
  CompanyId,
  ConnectionId,
  CustomerId,
  EntityId,
  FinchConnectionId,
  ProviderId,
  TokenId,
} from "./Ids.ts"
import { covers, Product } from "./Product.ts"

/**
 * The connection lifecycle: `active` → `reauth_required` → `active` (token replaced) … → `disconnected`, which is
 * terminal for every lifecycle signal (`markReauthRequired`, `markActive`, `markDisconnected`); only a fresh Finch
 * Connect by the owning customer reopens the row (`reopen`), keeping its id.
 */
export const ConnectionStatus = Schema.Literal("active", "reauth_required", "disconnected")
export type ConnectionStatus = typeof ConnectionStatus.Type

/** An account's own state: its token works, needs reauthentication, or was revoked. */
export const AccountStatus = Schema.Literal("active", "reauth_required", "revoked")
export type AccountStatus = typeof AccountStatus.Type

/** One login (or permission set) on the connection, with the reference to its current token. */
export class Account extends Schema.Class<Account>("Account")({
  /** Finch's `account_id`; for tokens without one, the Finch connection id stands in. */
  accountId: AccountId,
  tokenId: TokenId,
  products: Schema.Array(Product),
  status: AccountStatus,
  connectedAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
}) {}

/** An entity reachable through the connection (multi-entity connections). */
export class ConnectionEntity extends Schema.Class<ConnectionEntity>("ConnectionEntity")({
  id: EntityId,
  name: Schema.OptionFromSelf(Schema.String),
  status: Schema.OptionFromSelf(Schema.String),
}) {}

/** A connection with its accounts, entities and lifecycle state; its identity is (customer, provider, company). */
export class Connection extends Schema.Class<Connection>("Connection")({
  id: ConnectionId,
  customerId: CustomerId,
  providerId: ProviderId,
  companyId: CompanyId,
  finchConnectionId: Schema.OptionFromSelf(FinchConnectionId),
  status: ConnectionStatus,
  accounts: Schema.Array(Account),
  entities: Schema.Array(ConnectionEntity),
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
  reauthRequiredAt: Schema.OptionFromSelf(Schema.DateFromSelf),
  disconnectedAt: Schema.OptionFromSelf(Schema.DateFromSelf),
}) {
  /** The products granted by any of the connection's accounts. */
  get products(): ReadonlyArray<Product> {
    return [...new Set(this.accounts.flatMap((account) => account.products))]
  }
}

/** No connection with that id for that customer — also what another customer's connection looks like (no leak). */
export class ConnectionNotFound extends Schema.TaggedError<ConnectionNotFound>()("ConnectionNotFound", {
  customerId: CustomerId,
  connectionId: Schema.String,
}) {
  override get message() {
    return `connection ${this.connectionId} not found for customer ${this.customerId}`
  }
}

/** That provider+company is already a connection of another customer; nothing about them is revealed. */
export class OwnedByAnotherCustomer extends Schema.TaggedError<OwnedByAnotherCustomer>()("OwnedByAnotherCustomer", {
  customerId: CustomerId,
  providerId: ProviderId,
}) {
  override get message() {
    return `this ${this.providerId} company is already connected by another customer`
  }
}

/** The token's Connect session was started for a different `customer_id` than ours. */
export class ForeignConnectSession extends Schema.TaggedError<ForeignConnectSession>()("ForeignConnectSession", {
  customerId: CustomerId,
}) {
  override get message() {
    return `the token was issued by a Connect session of another customer, not ${this.customerId}`
  }
}

/** The introspection names no company, no Finch connection and no entity, so no connection identity can be formed. */
export class UnidentifiableToken extends Schema.TaggedError<UnidentifiableToken>()("UnidentifiableToken", {
  customerId: CustomerId,
  providerId: ProviderId,
}) {
  override get message() {
    return `the ${this.providerId} token names no company_id, connection_id or entity, so it cannot be assigned to a connection`
  }
}

/** A lifecycle step that is not allowed from the connection's current status. */
export class IllegalTransition extends Schema.TaggedError<IllegalTransition>()("IllegalTransition", {
  connectionId: ConnectionId,
  from: ConnectionStatus,
  to: ConnectionStatus,
}) {
  override get message() {
    return `connection ${this.connectionId} cannot go from ${this.from} to ${this.to}`
  }
}

/** No account of the connection has a healthy token with the products needed. */
export class NoUsableToken extends Schema.TaggedError<NoUsableToken>()("NoUsableToken", {
  connectionId: ConnectionId,
  products: Schema.Array(Schema.String),
}) {
  override get message() {
    return `connection ${this.connectionId} has no healthy token with ${this.products.join(", ")}`
  }
}

const illegal = (connection: Connection, to: ConnectionStatus) =>
  Either.left(new IllegalTransition({ connectionId: connection.id, from: connection.status, to }))

/**
 * `active` → `reauth_required`: every active account needs reauthentication too. Idempotent on a connection that
 * already is `reauth_required` (returned unchanged: several signals — a 401, a webhook, an introspection — may report
 * the same fact); `disconnected` is terminal, so it fails with `IllegalTransition`.
 */
export const markReauthRequired = (connection: Connection, now: Date): Either.Either<Connection, IllegalTransition> => {
  switch (connection.status) {
    case "reauth_required":
      return Either.right(connection)
    case "disconnected":
      return illegal(connection, "reauth_required")
    case "active":
      return Either.right(
        new Connection({
          ...connection,
          status: "reauth_required",
          accounts: connection.accounts.map((account) =>
            account.status === "active"
              ? new Account({ ...account, status: "reauth_required", updatedAt: now })
              : account,
          ),
          reauthRequiredAt: Option.some(now),
          updatedAt: now,
        }),
      )
  }
}

/**
 * `reauth_required` → `active`, after a token of the connection was replaced (or a new account joined it). On an
 * `active` connection it only touches `updatedAt`; on a `disconnected` one it fails: only `reopen` leaves that state.
 */
export const markActive = (connection: Connection, now: Date): Either.Either<Connection, IllegalTransition> =>
  connection.status === "disconnected"
    ? illegal(connection, "active")
    : Either.right(new Connection({ ...connection, status: "active", reauthRequiredAt: Option.none(), updatedAt: now }))

/**
 * `active` | `reauth_required` → `disconnected`: every account is revoked. Disconnecting twice is an
 * `IllegalTransition` (the tokens are already gone; the caller should know it did nothing).
 */
export const markDisconnected = (connection: Connection, now: Date): Either.Either<Connection, IllegalTransition> =>
  connection.status === "disconnected"
    ? illegal(connection, "disconnected")
    : Either.right(
        new Connection({
          ...connection,
          status: "disconnected",
          accounts: connection.accounts.map((account) =>
            account.status === "revoked" ? account : new Account({ ...account, status: "revoked", updatedAt: now }),
          ),
          disconnectedAt: Option.some(now),
          updatedAt: now,
        }),
      )

/**
 * `disconnected` → `active`, and only through a fresh Finch Connect by the customer who owns the connection (token
 * classification calls it; no lifecycle signal does). The row keeps its id, so employee history and the app's
 * references survive, and provider+company stays unique. Its old accounts stay `revoked` (their tokens are destroyed).
 */
export const reopen = (connection: Connection, now: Date): Either.Either<Connection, IllegalTransition> =>
  connection.status !== "disconnected"
    ? illegal(connection, "active")
    : Either.right(
        new Connection({
          ...connection,
          status: "active",
          reauthRequiredAt: Option.none(),
          disconnectedAt: Option.none(),
          updatedAt: now,
        }),
      )

/**
 * The isolation rule: `found` (looked up by id, possibly of any customer) is returned only when it belongs to
 * `customerId`; another customer's connection fails exactly like an unknown one.
 */
export const requireOwned = (
  customerId: CustomerId,
  connectionId: ConnectionId | string,
  found: Option.Option<Connection>,
): Either.Either<Connection, ConnectionNotFound> =>
  Option.match(
    Option.filter(found, (connection) => connection.customerId === customerId && connection.id === connectionId),
    {
      onNone: () => Either.left(new ConnectionNotFound({ customerId, connectionId })),
      onSome: Either.right,
    },
  )

const newestFirst = Order.combine(
  Order.reverse(Order.mapInput(Order.Date, (account: Account) => account.updatedAt)),
  Order.mapInput(Order.string, (account: Account) => account.accountId),
)

/**
 * Which account's token to use for a call needing `products`. Without a named account: a healthy (`active`) account
 * whose products cover the need, the most recently updated first. A named account is used when it is not revoked and
 * covers the need — a `reauth_required` token is still live at Finch, which `disconnect` needs. A disconnected
 * connection has no usable token.
 */
export const selectAccount = (
  connection: Connection,
  products: ReadonlyArray<Product>,
  account: Option.Option<AccountId> = Option.none(),
): Either.Either<Account, NoUsableToken> => {
  const noToken = () => new NoUsableToken({ connectionId: connection.id, products: [...products] })
  if (connection.status === "disconnected") return Either.left(noToken())
  const candidates = Option.match(account, {
    onNone: () => connection.accounts.filter((a) => a.status === "active"),
    onSome: (id) => connection.accounts.filter((a) => a.accountId === id && a.status !== "revoked"),
  }).filter((a) => covers(a.products, products))
  return Option.match(Arr.head(Arr.sort(candidates, newestFirst)), {
    onNone: () => Either.left(noToken()),
    onSome: Either.right,
  })
}
