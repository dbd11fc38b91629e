/**
 * The port that stores connections, their accounts and their (sealed) tokens. Every method is for one customer:
 * another customer's connection is indistinguishable from an unknown one.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type {
  Account,
  Connection,
  ConnectionNotFound,
  ForeignConnectSession,
  IllegalTransition,
  NoUsableToken,
  OwnedByAnotherCustomer,
  UnidentifiableToken,
} from "./Connection.ts"
import type { CustomerNotFound } from "./Customer.ts"
import type { ConnectionId, CustomerId } from "./Ids.ts"
import type { Introspection } from "./Introspection.ts"
import type { Product } from "./Product.ts"
import type { TokenClassification } from "./TokenClassification.ts"
import type { TokenUnreadable } from "./TokenVault.ts"

/** What recording a token did. */
export interface TokenRecorded {
  readonly classification: TokenClassification["_tag"]
  readonly connection: Connection
  readonly account: Account
}

/** Why a connection's state changed, for the audit trail. */
export type ConnectionEventSource = "finch_401" | "webhook" | "introspection" | "user" | "system"

/** Connections of customers, with their accounts and tokens. */
export class ConnectionRepository extends Context.Tag("@finch-connections/core/ConnectionRepository")<
  ConnectionRepository,
  {
    /**
     * Classifies a freshly introspected token against what is stored (core's `classifyToken`) and applies the
     * outcome atomically: a new connection, a new account, or a replaced token (the old one retired, kept until its
     * retention ends). Concurrent calls for one provider+company serialize: they never yield two connections.
     */
    readonly recordToken: (input: {
      readonly customerId: CustomerId
      readonly introspection: Introspection
      readonly accessToken: Redacted.Redacted<string>
    }) => Effect.Effect<
      TokenRecorded,
      CustomerNotFound | OwnedByAnotherCustomer | ForeignConnectSession | UnidentifiableToken
    >
    /** The customer's connections, newest first. */
    readonly list: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<Connection>>
    /** One connection of the customer. */
    readonly get: (customerId: CustomerId, connectionId: ConnectionId) => Effect.Effect<Connection, ConnectionNotFound>
    /** Marks the connection (and its accounts) as needing reauthentication; idempotent when it already is. */
    readonly markReauthRequired: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      source: ConnectionEventSource,
    ) => Effect.Effect<Connection, ConnectionNotFound | IllegalTransition>
    /** Marks the connection disconnected and destroys every token's ciphertext (rows kept for audit). */
    readonly markDisconnected: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      source: ConnectionEventSource,
    ) => Effect.Effect<Connection, ConnectionNotFound | IllegalTransition>
    /**
     * The plaintext of a healthy token with the products needed (core's token selection), or of `account` when
     * named. Only `withAccessToken` should call this.
     */
    readonly openToken: (input: {
      readonly customerId: CustomerId
      readonly connectionId: ConnectionId
      readonly products: ReadonlyArray<Product>
      readonly account: Option.Option<Account["accountId"]>
    }) => Effect.Effect<
      { readonly account: Account; readonly token: Redacted.Redacted<string> },
      ConnectionNotFound | NoUsableToken | TokenUnreadable
    >
  }
>() {}
