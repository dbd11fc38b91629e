/**
 * A connection: one employment provider joined to one employer entity, under one of our customers.
 * Its identity is (customer, provider, company); several logins (accounts) at the same provider+company are kept
 * under the one connection, each with its own token.
 */
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
import { Product } from "./Product.ts"

/**
 * The connection lifecycle: `active` → `reauth_required` → `active` (token replaced) … → `disconnected` (terminal).
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

/** The identity of a connection: one customer, one provider, one company. */
export class ConnectionIdentity extends Schema.Class<ConnectionIdentity>("ConnectionIdentity")({
  customerId: CustomerId,
  providerId: ProviderId,
  companyId: CompanyId,
}) {}

/** A connection with its accounts, entities and lifecycle state. */
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

/** The introspection names no company and no entity, so no connection identity can be formed. */
export class UnidentifiableToken extends Schema.TaggedError<UnidentifiableToken>()("UnidentifiableToken", {
  customerId: CustomerId,
  providerId: ProviderId,
}) {
  override get message() {
    return `the ${this.providerId} token names no company_id and no entity, so it cannot be assigned to a connection`
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
