/**
 * Use cases about a customer's connections, as Effect programs over the ports: connecting through Finch Connect,
 * reading, reauthenticating, disconnecting, and `withAccessToken` — the only way to use a token. Every use case is
 * for one customer: another customer's connection is `ConnectionNotFound`, exactly like an unknown one.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import {
  type Account,
  type Connection,
  type ConnectionNotFound,
  type ForeignConnectSession,
  IllegalTransition,
  type NoUsableToken,
  type OwnedByAnotherCustomer,
  type UnidentifiableToken,
} from "./Connection.ts"
import { type ConnectionEventSource, ConnectionRepository, type TokenRecorded } from "./ConnectionRepository.ts"
import type { CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import { type FinchError, FinchReauthRequired } from "./FinchError.ts"
import { type ConnectSession, FinchGateway } from "./FinchGateway.ts"
import type { ConnectionId, CustomerId, ProviderId } from "./Ids.ts"
import type { Product } from "./Product.ts"
import type { TokenUnreadable } from "./TokenVault.ts"

/** What `startConnect` needs: the products to ask for, and optionally where to return and which provider to preselect. */
export interface StartConnectInput {
  readonly customerId: CustomerId
  readonly products: ReadonlyArray<Product>
  readonly redirectUri?: string
  readonly providerId?: ProviderId
  readonly minutesToExpire?: number
}

/**
 * Opens a Finch Connect session for a customer, stamping our customer id as Finch's `customer_id` so the resulting
 * token can be checked against it (`ForeignConnectSession`).
 */
export const startConnect: (
  input: StartConnectInput,
) => Effect.Effect<ConnectSession, CustomerNotFound | FinchError, CustomerRepository | FinchGateway> = Effect.fn(
  "Connections.startConnect",
)(function* (input) {
  yield* Effect.annotateCurrentSpan("customerId", input.customerId)
  const customer = yield* (yield* CustomerRepository).get(input.customerId)
  return yield* (yield* FinchGateway).createConnectSession({
    customerId: customer.id,
    customerName: customer.name,
    products: input.products,
    redirectUri: Option.fromNullable(input.redirectUri),
    providerId: Option.fromNullable(input.providerId),
    minutesToExpire: Option.fromNullable(input.minutesToExpire),
  })
})

/** What `completeConnect` needs: the authorization code Finch Connect returned (and the redirect URI it used). */
export interface CompleteConnectInput {
  readonly customerId: CustomerId
  readonly code: string
  readonly redirectUri?: string
}

/**
 * Finishes Finch Connect: exchanges the code for a token, introspects it, and records it (classified and stored
 * atomically by the repository). A token whose introspection already says `reauth` leaves the connection
 * `reauth_required`. The customer is checked before the single-use code is spent. A refused token is not
 * disconnected at Finch: it may be another customer's legitimate connection.
 */
export const completeConnect: (
  input: CompleteConnectInput,
) => Effect.Effect<
  TokenRecorded,
  CustomerNotFound | FinchError | OwnedByAnotherCustomer | ForeignConnectSession | UnidentifiableToken,
  CustomerRepository | ConnectionRepository | FinchGateway
> = Effect.fn("Connections.completeConnect")(function* (input) {
  yield* Effect.annotateCurrentSpan("customerId", input.customerId)
  yield* (yield* CustomerRepository).get(input.customerId)
  const finch = yield* FinchGateway
  const connections = yield* ConnectionRepository
  const exchange = yield* finch.exchangeCode({ code: input.code, redirectUri: Option.fromNullable(input.redirectUri) })
  const introspection = yield* finch.introspect(exchange.accessToken)
  const recorded = yield* connections.recordToken({
    customerId: input.customerId,
    introspection,
    accessToken: exchange.accessToken,
  })
  yield* Effect.annotateCurrentSpan({ connectionId: recorded.connection.id, classification: recorded.classification })
  if (!introspection.needsReauthentication) return recorded
  const connection = yield* connections
    .markReauthRequired(input.customerId, recorded.connection.id, "introspection")
    .pipe(
      // Disconnected meanwhile by a concurrent request: that outcome stands.
      Effect.catchTag("IllegalTransition", () => connections.get(input.customerId, recorded.connection.id)),
      Effect.orDie,
    )
  const account = connection.accounts.find((a) => a.accountId === recorded.account.accountId) ?? recorded.account
  return { ...recorded, connection, account }
})

/** The customer's connections, newest first; an unknown customer is `CustomerNotFound` (not an empty list). */
export const listConnections = (
  customerId: CustomerId,
): Effect.Effect<ReadonlyArray<Connection>, CustomerNotFound, CustomerRepository | ConnectionRepository> =>
  Effect.gen(function* () {
    yield* (yield* CustomerRepository).get(customerId)
    return yield* (yield* ConnectionRepository).list(customerId)
  }).pipe(Effect.withSpan("Connections.listConnections", { attributes: { customerId } }))

/** One connection of the customer. */
export const getConnection = (
  customerId: CustomerId,
  connectionId: ConnectionId,
): Effect.Effect<Connection, ConnectionNotFound, ConnectionRepository> =>
  Effect.flatMap(ConnectionRepository, (connections) => connections.get(customerId, connectionId)).pipe(
    Effect.withSpan("Connections.getConnection", { attributes: { customerId, connectionId } }),
  )

/**
 * Records that Finch wants the employer to reauthenticate — from a 401 `reauthenticate_user` (`finch_401`), an
 * `account.updated` webhook (`webhook`) or an introspection status (`introspection`). Idempotent while
 * `reauth_required`; a disconnected connection is an `IllegalTransition`.
 */
export const markReauthRequired = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  source: ConnectionEventSource,
): Effect.Effect<Connection, ConnectionNotFound | IllegalTransition, ConnectionRepository> =>
  Effect.flatMap(ConnectionRepository, (connections) =>
    connections.markReauthRequired(customerId, connectionId, source),
  ).pipe(Effect.withSpan("Connections.markReauthRequired", { attributes: { customerId, connectionId, source } }))

/**
 * Uses a healthy token of the connection that has `products` — the only way to use a token. The token stays
 * `Redacted`; `f` receives it with the account it belongs to. When `f` fails with `FinchReauthRequired` the
 * connection is marked `reauth_required` (source `finch_401`) and the error is re-raised.
 *
 * @example
 * withAccessToken(customerId, connectionId, employeeSyncProducts, (token) => finch.company(token))
 */
export const withAccessToken = <A, E, R>(
  customerId: CustomerId,
  connectionId: ConnectionId,
  products: ReadonlyArray<Product>,
  f: (token: Redacted.Redacted<string>, account: Account) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | ConnectionNotFound | NoUsableToken | TokenUnreadable, R | ConnectionRepository> =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const { account, token } = yield* connections.openToken({
      customerId,
      connectionId,
      products,
      account: Option.none(),
    })
    yield* Effect.annotateCurrentSpan("accountId", account.accountId)
    return yield* f(token, account).pipe(
      Effect.tapError((error) =>
        error instanceof FinchReauthRequired
          ? connections.markReauthRequired(customerId, connectionId, "finch_401").pipe(
              // Already disconnected by someone else: the reauth signal has nothing left to mark.
              Effect.catchAll((cause) => Effect.logDebug("reauth signal not recorded", cause._tag)),
            )
          : Effect.void,
      ),
    )
  }).pipe(Effect.withSpan("Connections.withAccessToken", { attributes: { customerId, connectionId } }))

/**
 * Asks Finch (`GET /introspect`) how the connection is doing and records a `reauth` status. A connection that is
 * already `reauth_required` has no healthy token to ask with (`NoUsableToken`).
 */
export const refreshConnectionStatus = (
  customerId: CustomerId,
  connectionId: ConnectionId,
): Effect.Effect<
  Connection,
  ConnectionNotFound | NoUsableToken | TokenUnreadable | IllegalTransition | FinchError,
  ConnectionRepository | FinchGateway
> =>
  Effect.gen(function* () {
    const finch = yield* FinchGateway
    const connections = yield* ConnectionRepository
    const introspection = yield* withAccessToken(customerId, connectionId, [], (token) => finch.introspect(token))
    return introspection.needsReauthentication
      ? yield* connections.markReauthRequired(customerId, connectionId, "introspection")
      : yield* connections.get(customerId, connectionId)
  }).pipe(Effect.withSpan("Connections.refreshConnectionStatus", { attributes: { customerId, connectionId } }))

/** What `startReauthentication` opened: a reauth session that keeps Finch's connection, or a fresh Connect. */
export interface ReauthenticationStarted {
  /** `reauthenticate` when the connection has a Finch connection id; `connect` for old-model connections. */
  readonly kind: "reauthenticate" | "connect"
  readonly session: ConnectSession
}

/**
 * Opens the session that lets the employer reauthenticate. With a Finch connection id: Finch's reauthentication
 * session, which keeps the connection. Without one (connections made before Finch had connection ids): a Connect
 * session preselecting the provider, for the connection's products — its token lands on the same connection by
 * provider+company. A disconnected connection cannot be reauthenticated (`IllegalTransition`); connect it anew.
 */
export const startReauthentication: (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly redirectUri?: string
  readonly minutesToExpire?: number
}) => Effect.Effect<
  ReauthenticationStarted,
  ConnectionNotFound | CustomerNotFound | IllegalTransition | FinchError,
  ConnectionRepository | CustomerRepository | FinchGateway
> = Effect.fn("Connections.startReauthentication")(function* (input) {
  yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
  const connection = yield* (yield* ConnectionRepository).get(input.customerId, input.connectionId)
  if (connection.status === "disconnected") {
    return yield* new IllegalTransition({ connectionId: connection.id, from: "disconnected", to: "active" })
  }
  const finch = yield* FinchGateway
  const redirectUri = Option.fromNullable(input.redirectUri)
  const minutesToExpire = Option.fromNullable(input.minutesToExpire)
  if (Option.isSome(connection.finchConnectionId)) {
    const session = yield* finch.createReauthenticationSession({
      finchConnectionId: connection.finchConnectionId.value,
      products: Option.some(connection.products),
      redirectUri,
      minutesToExpire,
    })
    return { kind: "reauthenticate", session } as const
  }
  const customer = yield* (yield* CustomerRepository).get(input.customerId)
  const session = yield* finch.createConnectSession({
    customerId: customer.id,
    customerName: customer.name,
    products: connection.products,
    redirectUri,
    providerId: Option.some(connection.providerId),
    minutesToExpire,
  })
  return { kind: "connect", session } as const
})

/**
 * Disconnects a connection: Finch's `/disconnect` with each live account's token (an account may be its own Finch
 * connection), then with every retired token still held, then the connection is marked `disconnected` and every
 * token destroyed. A token Finch already refuses (401, or reauthentication required) counts as revoked there; any
 * other Finch failure stops before anything changes here, so the call can be retried. Disconnecting twice is an
 * `IllegalTransition`.
 *
 * Retired tokens are revoked here and only here: Finch has no per-token revocation, and `/disconnect` takes every
 * token of the employer+provider with it — the replacement too — so retiring a token after reauthentication revokes
 * nothing. Once the connection goes, a replaced token still held is presented as well: usually it is already gone
 * with the current one (a 401), but it still counts when the current token could not be presented (unreadable here,
 * or refused by Finch on its own).
 */
export const disconnect: (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly source?: ConnectionEventSource
}) => Effect.Effect<
  Connection,
  ConnectionNotFound | IllegalTransition | FinchError,
  ConnectionRepository | FinchGateway
> = Effect.fn("Connections.disconnect")(function* (input) {
  yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
  const connections = yield* ConnectionRepository
  const finch = yield* FinchGateway
  const connection = yield* connections.get(input.customerId, input.connectionId)
  if (connection.status === "disconnected") {
    return yield* new IllegalTransition({ connectionId: connection.id, from: "disconnected", to: "disconnected" })
  }
  for (const account of connection.accounts.filter((a) => a.status !== "revoked")) {
    yield* connections
      .openToken({
        customerId: input.customerId,
        connectionId: connection.id,
        products: [],
        account: Option.some(account.accountId),
      })
      .pipe(
        Effect.flatMap(({ token }) => finch.disconnect(token)),
        Effect.catchTags({
          FinchUnauthorized: () => Effect.void,
          FinchReauthRequired: () => Effect.void,
          // Nothing to revoke with: the token is gone or unreadable here; it is destroyed below all the same.
          NoUsableToken: () => Effect.void,
          TokenUnreadable: (error) => Effect.logWarning("cannot revoke an unreadable token at Finch", error.message),
        }),
      )
  }
  for (const token of yield* connections.openRetiredTokens(input.customerId, connection.id)) {
    yield* finch
      .disconnect(token)
      .pipe(Effect.catchTags({ FinchUnauthorized: () => Effect.void, FinchReauthRequired: () => Effect.void }))
  }
  return yield* connections.markDisconnected(input.customerId, connection.id, input.source ?? "user")
})
