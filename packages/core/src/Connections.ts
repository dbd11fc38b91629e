/**
 * Use cases about a customer's connections, as Effect programs over the ports: connecting through Finch Connect,
 * reading, reauthenticating one login, disconnecting (a login, an entity, or the whole connection), recording what
 * Finch says about a login, and `withAccessToken` — the only way to use a token. Every use case is for one customer:
 * another customer's connection is `ConnectionNotFound`, exactly like an unknown one.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import {
  type Account,
  AccountChange,
  type AccountChangeError,
  AccountNotFound,
  type Connection,
  type ConnectionNotFound,
  EntityNotFound,
  type ForeignConnectSession,
  IllegalTransition,
  isLive,
  type NoUsableToken,
  type OwnedByAnotherCustomer,
  type TokenMismatch,
  type TokenNeed,
  type UnidentifiableToken,
  usableAccounts,
} from "./Connection.ts"
import { ConnectionListing, type ListedConnection } from "./ConnectionListing.ts"
import {
  type ConnectionEventSource,
  ConnectionRepository,
  type FinchConnectionHolder,
  type TokenRecorded,
} from "./ConnectionRepository.ts"
import type { CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import type { FinchError } from "./FinchError.ts"
import { type ConnectSession, FinchGateway } from "./FinchGateway.ts"
import type { AccountId, ConnectionId, CustomerId, EntityId, FinchConnectionId, ProviderId } from "./Ids.ts"
import { type FinchConnectionStatus, introspectionFromExchange } from "./Introspection.ts"
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

/** Failures of `/introspect` after which the exchange's ids are trusted for now (Finch is slow or down, not saying no). */
const introspectionUnavailable = new Set([
  "FinchServerError",
  "FinchTimeout",
  "FinchTransportError",
  "FinchRateLimited",
  "FinchDataPending",
  "FinchDecodeError",
])

/**
 * Revokes, at Finch, a token we refused, when its Finch connection is one no customer of ours holds: Connect just
 * made it, and nobody would ever disconnect it (Finch bills per connection). A Finch connection that someone holds is
 * left alone (`/disconnect` would end it for them), and so is a legacy token without one (its `/disconnect` ends
 * every login of the provider+company).
 */
const disconnectOrphan = (token: Redacted.Redacted<string>, finchConnectionId: Option.Option<FinchConnectionId>) =>
  Effect.gen(function* () {
    if (Option.isNone(finchConnectionId)) return
    const holders = yield* (yield* ConnectionRepository).locateFinchConnection(finchConnectionId.value)
    if (holders.length > 0) return
    yield* (yield* FinchGateway).disconnect(token).pipe(
      Effect.tap(() => Effect.logInfo("disconnected a refused token's new Finch connection at Finch")),
      Effect.catchAll((error) => Effect.logWarning("could not disconnect a refused token at Finch", error.message)),
    )
  })

/**
 * Exchanges a Connect code, describes the token (`/introspect`; from the exchange's ids when that fails for a
 * transient reason — the token is kept and introspected again by `refreshConnectionStatus`, not lost) and records it.
 * A refused token whose Finch connection nobody holds is disconnected at Finch.
 */
const exchangeAndRecord = (input: {
  readonly customerId: CustomerId
  readonly code: string
  readonly redirectUri: Option.Option<string>
  readonly reauthenticating: Option.Option<{ readonly connectionId: ConnectionId; readonly accountId: AccountId }>
}) =>
  Effect.gen(function* () {
    const finch = yield* FinchGateway
    const connections = yield* ConnectionRepository
    const exchange = yield* finch.exchangeCode({ code: input.code, redirectUri: input.redirectUri })
    const described = yield* finch.introspect(exchange.accessToken).pipe(
      Effect.map((introspection) => ({ introspection, introspected: true })),
      Effect.catchIf(
        (error) => introspectionUnavailable.has(error._tag),
        (error) =>
          Effect.logWarning("introspection failed after the code exchange; recording the token from the exchange", {
            error: error._tag,
          }).pipe(Effect.as({ introspection: introspectionFromExchange(exchange), introspected: false })),
      ),
    )
    return yield* connections
      .recordToken({
        customerId: input.customerId,
        introspection: described.introspection,
        accessToken: exchange.accessToken,
        introspected: described.introspected,
        reauthenticating: input.reauthenticating,
      })
      .pipe(
        Effect.tapError((error) =>
          error._tag === "OwnedByAnotherCustomer" || error._tag === "TokenMismatch"
            ? disconnectOrphan(exchange.accessToken, described.introspection.finchConnectionId)
            : Effect.void,
        ),
      )
  })

/**
 * Finishes Finch Connect: exchanges the code for a token, introspects it, and records it (classified and stored
 * atomically by the repository): a new connection, a login added to one, or a login's token replaced. A token whose
 * introspection already says `reauth` leaves its account `reauth_required`. The customer is checked before the
 * single-use code is spent.
 */
export const completeConnect: (
  input: CompleteConnectInput,
) => Effect.Effect<
  TokenRecorded,
  CustomerNotFound | FinchError | OwnedByAnotherCustomer | ForeignConnectSession | UnidentifiableToken | TokenMismatch,
  CustomerRepository | ConnectionRepository | FinchGateway
> = Effect.fn("Connections.completeConnect")(function* (input) {
  yield* Effect.annotateCurrentSpan("customerId", input.customerId)
  yield* (yield* CustomerRepository).get(input.customerId)
  const recorded = yield* exchangeAndRecord({
    customerId: input.customerId,
    code: input.code,
    redirectUri: Option.fromNullable(input.redirectUri),
    reauthenticating: Option.none(),
  })
  yield* Effect.annotateCurrentSpan({ connectionId: recorded.connection.id, classification: recorded.classification })
  return recorded
})

/**
 * Finishes a reauthentication opened by `startReauthentication` for one account: the new token must be that
 * account's login (same Finch connection; legacy: same provider, company and account), and then replaces its token.
 * Anything else is `TokenMismatch` and nothing is replaced.
 */
export const completeReauthentication: (
  input: CompleteConnectInput & { readonly connectionId: ConnectionId; readonly accountId: AccountId },
) => Effect.Effect<
  TokenRecorded,
  | CustomerNotFound
  | ConnectionNotFound
  | AccountNotFound
  | FinchError
  | OwnedByAnotherCustomer
  | ForeignConnectSession
  | UnidentifiableToken
  | TokenMismatch,
  CustomerRepository | ConnectionRepository | FinchGateway
> = Effect.fn("Connections.completeReauthentication")(function* (input) {
  yield* Effect.annotateCurrentSpan({
    customerId: input.customerId,
    connectionId: input.connectionId,
    accountId: input.accountId,
  })
  yield* (yield* CustomerRepository).get(input.customerId)
  const connection = yield* (yield* ConnectionRepository).get(input.customerId, input.connectionId)
  if (Option.isNone(connection.account(input.accountId))) {
    return yield* new AccountNotFound({ connectionId: connection.id, accountId: input.accountId })
  }
  return yield* exchangeAndRecord({
    customerId: input.customerId,
    code: input.code,
    redirectUri: Option.fromNullable(input.redirectUri),
    reauthenticating: Option.some({ connectionId: input.connectionId, accountId: input.accountId }),
  })
})

/** The customer's connections, newest first; an unknown customer is `CustomerNotFound` (not an empty list). */
export const listConnections = (
  customerId: CustomerId,
): Effect.Effect<ReadonlyArray<Connection>, CustomerNotFound, CustomerRepository | ConnectionRepository> =>
  Effect.gen(function* () {
    yield* (yield* CustomerRepository).get(customerId)
    return yield* (yield* ConnectionRepository).list(customerId)
  }).pipe(Effect.withSpan("Connections.listConnections", { attributes: { customerId } }))

/** The customer's connections, newest first, each with its last sync: what the API lists, read at once. */
export const listConnectionsWithSyncs = (
  customerId: CustomerId,
): Effect.Effect<ReadonlyArray<ListedConnection>, CustomerNotFound, ConnectionListing> =>
  Effect.flatMap(ConnectionListing, (listing) => listing.list(customerId)).pipe(
    Effect.withSpan("Connections.listConnectionsWithSyncs", { attributes: { customerId } }),
  )

/** One connection of the customer with its last sync. */
export const getConnectionWithSync = (
  customerId: CustomerId,
  connectionId: ConnectionId,
): Effect.Effect<ListedConnection, ConnectionNotFound, ConnectionListing> =>
  Effect.flatMap(ConnectionListing, (listing) => listing.get(customerId, connectionId)).pipe(
    Effect.withSpan("Connections.getConnectionWithSync", { attributes: { customerId, connectionId } }),
  )

/** One connection of the customer. */
export const getConnection = (
  customerId: CustomerId,
  connectionId: ConnectionId,
): Effect.Effect<Connection, ConnectionNotFound, ConnectionRepository> =>
  Effect.flatMap(ConnectionRepository, (connections) => connections.get(customerId, connectionId)).pipe(
    Effect.withSpan("Connections.getConnection", { attributes: { customerId, connectionId } }),
  )

/**
 * Records that Finch wants one login reauthenticated — from a 401 `reauthenticate_user` (`finch_401`), a webhook
 * or an introspection. Idempotent; a dead account is an `IllegalTransition`.
 */
export const markReauthRequired = (
  customerId: CustomerId,
  connectionId: ConnectionId,
  accountId: AccountId,
  source: ConnectionEventSource,
): Effect.Effect<Connection, ConnectionNotFound | AccountChangeError, ConnectionRepository> =>
  Effect.flatMap(ConnectionRepository, (connections) =>
    connections.applyChange(customerId, connectionId, AccountChange.ReauthRequired({ accountId }), source),
  ).pipe(Effect.withSpan("Connections.markReauthRequired", { attributes: { customerId, connectionId, accountId } }))

/**
 * Records a status Finch reports for a Finch connection (webhook `account.updated`, which names only the Finch
 * connection): every account on it, whichever customer holds it, takes the status (`reauth` → `reauth_required`,
 * `connected` brings a login back, `disconnected` ends it). Unknown Finch connections are ignored (an empty list).
 */
export const recordFinchConnectionStatus = (
  finchConnectionId: FinchConnectionId,
  status: FinchConnectionStatus,
  source: ConnectionEventSource,
): Effect.Effect<ReadonlyArray<FinchConnectionHolder>, never, ConnectionRepository> =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const holders = yield* connections.locateFinchConnection(finchConnectionId)
    for (const holder of holders) {
      yield* connections
        .applyChange(
          holder.customerId,
          holder.connectionId,
          AccountChange.FinchStatus({ accountId: holder.accountId, status }),
          source,
        )
        .pipe(Effect.catchAll((error) => Effect.logWarning("Finch status not recorded", error.message)))
    }
    return holders
  }).pipe(Effect.withSpan("Connections.recordFinchConnectionStatus", { attributes: { finchConnectionId, status } }))

/** What a token is for, beyond its products: one entity, one named account. */
export interface AccessOptions {
  readonly entityId?: EntityId
  readonly accountId?: AccountId
}

/**
 * Uses a healthy token of the connection that has `products` (and reaches `options.entityId`) — the only way to use
 * a token. The token stays `Redacted`; `f` receives it with the account it belongs to. When Finch refuses it (401
 * `reauthenticate_user`: the account becomes `reauth_required`; another 401: `revoked`), the next usable account of
 * the connection is tried; when none is left, Finch's error is raised.
 *
 * @example
 * withAccessToken(customerId, connectionId, employeeSyncProducts, (token) => finch.company(token))
 */
export const withAccessToken = <A, E, R>(
  customerId: CustomerId,
  connectionId: ConnectionId,
  products: ReadonlyArray<Product>,
  f: (token: Redacted.Redacted<string>, account: Account) => Effect.Effect<A, E, R>,
  options: AccessOptions = {},
): Effect.Effect<A, E | ConnectionNotFound | NoUsableToken | TokenUnreadable, R | ConnectionRepository> =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const refused: Array<AccountId> = []
    while (true) {
      const need: TokenNeed = { products, entityId: options.entityId, accountId: options.accountId, excluding: refused }
      const { account, token } = yield* connections.openToken({ customerId, connectionId, need })
      yield* Effect.annotateCurrentSpan("accountId", account.accountId)
      const result = yield* Effect.either(f(token, account))
      if (result._tag === "Right") return result.right
      const error = result.left
      const change = refusal(error, account.accountId)
      if (Option.isNone(change)) return yield* Effect.fail(error)
      yield* connections.applyChange(customerId, connectionId, change.value, "finch_401").pipe(
        // Already ended by someone else: the signal has nothing left to mark.
        Effect.catchAll((cause) => Effect.logDebug("refusal not recorded", cause._tag)),
      )
      refused.push(account.accountId)
      const connection = yield* connections.get(customerId, connectionId)
      if (options.accountId !== undefined || usableAccounts(connection, { ...need, excluding: refused }).length === 0) {
        return yield* Effect.fail(error)
      }
    }
  }).pipe(Effect.withSpan("Connections.withAccessToken", { attributes: { customerId, connectionId } }))

/** The account change a failure of Finch's means: reauthentication needed, or the token refused outright. */
const refusal = (error: unknown, accountId: AccountId): Option.Option<AccountChange> => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
  if (tag === "FinchReauthRequired") return Option.some(AccountChange.ReauthRequired({ accountId }))
  if (tag === "FinchUnauthorized") return Option.some(AccountChange.Revoked({ accountId }))
  return Option.none()
}

/**
 * Asks Finch (`GET /introspect`) how each live login of the connection is doing and records it: status (all of
 * Finch's, so an assisted login that became `connected` comes back by itself), products, entities, and the Finch
 * connection id of an account recorded before Finch described it. A token Finch refuses becomes `revoked`. What one
 * login's failure leaves unknown does not stop the others; the first Finch failure is raised after all were tried.
 */
export const refreshConnectionStatus = (
  customerId: CustomerId,
  connectionId: ConnectionId,
): Effect.Effect<
  Connection,
  ConnectionNotFound | AccountChangeError | FinchError,
  ConnectionRepository | FinchGateway
> =>
  Effect.gen(function* () {
    const finch = yield* FinchGateway
    const connections = yield* ConnectionRepository
    const connection = yield* connections.get(customerId, connectionId)
    let firstFailure: Option.Option<FinchError | ConnectionNotFound> = Option.none()
    for (const account of connection.liveAccounts) {
      const outcome = yield* connections
        .openToken({ customerId, connectionId, need: { products: [], accountId: account.accountId } })
        .pipe(
          Effect.flatMap(({ token }) => finch.introspect(token)),
          Effect.map((introspection) => AccountChange.Introspected({ accountId: account.accountId, introspection })),
          Effect.catchTags({
            FinchUnauthorized: () => Effect.succeed(AccountChange.Revoked({ accountId: account.accountId })),
            NoUsableToken: () => Effect.succeed(undefined),
            TokenUnreadable: (error) =>
              Effect.logWarning("cannot introspect an unreadable token", error.message).pipe(Effect.as(undefined)),
          }),
          Effect.either,
        )
      if (outcome._tag === "Left") {
        if (Option.isNone(firstFailure)) firstFailure = Option.some(outcome.left)
        continue
      }
      if (outcome.right === undefined) continue
      yield* connections.applyChange(customerId, connectionId, outcome.right, "introspection")
    }
    if (Option.isSome(firstFailure)) return yield* Effect.fail(firstFailure.value)
    return yield* connections.get(customerId, connectionId)
  }).pipe(Effect.withSpan("Connections.refreshConnectionStatus", { attributes: { customerId, connectionId } }))

/** What `startReauthentication` opened: a reauth session that keeps Finch's connection, or a fresh Connect. */
export interface ReauthenticationStarted {
  /** `reauthenticate` for an account on a Finch connection; `connect` for a legacy one (no Finch connection id). */
  readonly kind: "reauthenticate" | "connect"
  /** The account whose token the session's completion replaces (`completeReauthentication`). */
  readonly accountId: AccountId
  readonly session: ConnectSession
}

/** The account to reauthenticate when none is named: the one waiting longest for it, else the only live one. */
const accountToReauthenticate = (
  connection: Connection,
  accountId: AccountId | undefined,
): Effect.Effect<Account, AccountNotFound | IllegalTransition> => {
  if (accountId !== undefined) {
    return Option.match(connection.account(accountId), {
      onNone: () => Effect.fail(new AccountNotFound({ connectionId: connection.id, accountId })),
      onSome: (account) =>
        isLive(account.status)
          ? Effect.succeed(account)
          : Effect.fail(
              new IllegalTransition({
                connectionId: connection.id,
                accountId: account.accountId,
                from: account.status,
                to: "connected",
              }),
            ),
    })
  }
  const waiting = connection.liveAccounts
    .filter((account) => account.status === "reauth_required")
    .sort((a, b) => (a.reauthRequiredAt.pipe(Option.getOrThrow) < b.reauthRequiredAt.pipe(Option.getOrThrow) ? -1 : 1))
  const only = connection.liveAccounts.length === 1 ? connection.liveAccounts : []
  const [chosen] = waiting.length > 0 ? waiting : only
  return chosen !== undefined
    ? Effect.succeed(chosen)
    : Effect.fail(
        new IllegalTransition({
          connectionId: connection.id,
          accountId: null,
          from: connection.status,
          to: "connected",
        }),
      )
}

/**
 * Opens the session that lets the employer reauthenticate one login (named, or the one that needs it). For an
 * account on a Finch connection: Finch's reauthentication session for that Finch connection and that account's
 * products, which keeps the connection. For a legacy account: a Connect session preselecting the provider, for its
 * products. Complete it with `completeReauthentication` for the returned account. A dead account (or a connection
 * with no live one) cannot be reauthenticated (`IllegalTransition`): connect it anew.
 */
export const startReauthentication: (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: AccountId
  readonly redirectUri?: string
  readonly minutesToExpire?: number
}) => Effect.Effect<
  ReauthenticationStarted,
  ConnectionNotFound | AccountNotFound | CustomerNotFound | IllegalTransition | FinchError,
  ConnectionRepository | CustomerRepository | FinchGateway
> = Effect.fn("Connections.startReauthentication")(function* (input) {
  yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
  const connection = yield* (yield* ConnectionRepository).get(input.customerId, input.connectionId)
  const account = yield* accountToReauthenticate(connection, input.accountId)
  const finch = yield* FinchGateway
  const redirectUri = Option.fromNullable(input.redirectUri)
  const minutesToExpire = Option.fromNullable(input.minutesToExpire)
  if (Option.isSome(account.finchConnectionId)) {
    const session = yield* finch.createReauthenticationSession({
      finchConnectionId: account.finchConnectionId.value,
      products: Option.some(account.products),
      redirectUri,
      minutesToExpire,
    })
    return { kind: "reauthenticate", accountId: account.accountId, session } as const
  }
  const customer = yield* (yield* CustomerRepository).get(input.customerId)
  const session = yield* finch.createConnectSession({
    customerId: customer.id,
    customerName: customer.name,
    products: account.products,
    redirectUri,
    providerId: Option.some(connection.providerId),
    minutesToExpire,
  })
  return { kind: "connect", accountId: account.accountId, session } as const
})

/**
 * The accounts a Finch `/disconnect` with `account`'s token ends: its Finch connection's logins, or for a legacy
 * token every legacy login of the provider+company (Finch's old `/disconnect` revoked them all).
 */
const endedTogether = (connection: Connection, account: Account): ReadonlyArray<Account> =>
  connection.liveAccounts.filter((other) =>
    Option.isSome(account.finchConnectionId)
      ? Option.contains(other.finchConnectionId, account.finchConnectionId.value)
      : Option.isNone(other.finchConnectionId),
  )

/**
 * Disconnects one login (`accountId`) or the whole connection: Finch's `/disconnect` with each login's token, then
 * the accounts are marked `disconnected` and their tokens (current and replaced) destroyed. Disconnecting one login
 * of a Finch connection shared by several (2024 transition) or a legacy login ends its siblings too, as Finch does. A
 * token Finch already refuses counts as revoked there; any other Finch failure stops before anything changes here,
 * so the call can be retried. Disconnecting what is already disconnected is an `IllegalTransition`.
 *
 * Retired tokens are revoked here and only here: Finch has no per-token revocation, and `/disconnect` takes every
 * token of the Finch connection with it — the replacement too — so retiring a token after reauthentication revokes
 * nothing. Once the login goes, a replaced token still held is presented as well: usually it is already gone with the
 * current one (a 401), but it still counts when the current token could not be presented (unreadable here, or
 * refused by Finch on its own).
 */
export const disconnect: (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: AccountId
  readonly source?: ConnectionEventSource
}) => Effect.Effect<
  Connection,
  ConnectionNotFound | AccountChangeError | FinchError,
  ConnectionRepository | FinchGateway
> = Effect.fn("Connections.disconnect")(function* (input) {
  yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
  const connections = yield* ConnectionRepository
  const finch = yield* FinchGateway
  const connection = yield* connections.get(input.customerId, input.connectionId)
  const targets =
    input.accountId === undefined
      ? connection.liveAccounts
      : yield* Option.match(connection.account(input.accountId), {
          onNone: () => Effect.fail(new AccountNotFound({ connectionId: connection.id, accountId: input.accountId! })),
          onSome: (account) => Effect.succeed(isLive(account.status) ? endedTogether(connection, account) : []),
        })
  if (targets.length === 0) {
    return yield* new IllegalTransition({
      connectionId: connection.id,
      accountId: input.accountId ?? null,
      from: "disconnected",
      to: "disconnected",
    })
  }
  for (const account of targets) {
    yield* connections
      .openToken({
        customerId: input.customerId,
        connectionId: connection.id,
        need: { products: [], accountId: account.accountId },
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
  const retired = yield* connections.openRetiredTokens(
    input.customerId,
    connection.id,
    targets.map((account) => account.accountId),
  )
  for (const token of retired) {
    yield* finch
      .disconnect(token)
      .pipe(Effect.catchTags({ FinchUnauthorized: () => Effect.void, FinchReauthRequired: () => Effect.void }))
  }
  return yield* connections.applyChange(
    input.customerId,
    connection.id,
    AccountChange.Disconnected({
      accountIds: input.accountId === undefined ? Option.none() : Option.some(targets.map((a) => a.accountId)),
    }),
    input.source ?? "user",
  )
})

/**
 * Disconnects one entity of a multi-entity connection (Finch's `/disconnect-entity` with each live token reaching
 * it), leaving its other entities and its logins connected.
 */
export const disconnectEntity: (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly entityId: EntityId
  readonly source?: ConnectionEventSource
}) => Effect.Effect<
  Connection,
  ConnectionNotFound | AccountChangeError | FinchError | TokenUnreadable | NoUsableToken,
  ConnectionRepository | FinchGateway
> = Effect.fn("Connections.disconnectEntity")(function* (input) {
  yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
  const connections = yield* ConnectionRepository
  const finch = yield* FinchGateway
  const connection = yield* connections.get(input.customerId, input.connectionId)
  const reaching = connection.liveAccounts.filter((account) => account.entityIds.includes(input.entityId))
  if (reaching.length === 0) {
    return yield* new EntityNotFound({ connectionId: connection.id, entityId: input.entityId })
  }
  for (const account of reaching) {
    const { token } = yield* connections.openToken({
      customerId: input.customerId,
      connectionId: connection.id,
      need: { products: [], accountId: account.accountId },
    })
    yield* finch.disconnectEntity(token, [input.entityId])
  }
  return yield* connections.applyChange(
    input.customerId,
    connection.id,
    AccountChange.EntitiesRemoved({ entityIds: [input.entityId] }),
    input.source ?? "user",
  )
})
