/**
 * The port that stores connections, their accounts and their (sealed) tokens. Every method but
 * `locateFinchConnection` is for one customer: another customer's connection is indistinguishable from an unknown one.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import {
  type Account,
  type AccountChange,
  type AccountChangeError,
  accountsEnded,
  applyAccountChange,
  type Connection,
  type ConnectionNotFound,
  type ForeignConnectSession,
  type NoUsableToken,
  type OwnedByAnotherCustomer,
  requireOwned,
  selectAccount,
  type TokenMismatch,
  type TokenNeed,
  type UnidentifiableToken,
} from "./Connection.ts"
import type { CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import { type AccountId, ConnectionId, type CustomerId, type FinchConnectionId, TokenId } from "./Ids.ts"
import type { Introspection } from "./Introspection.ts"
import { randomUuid } from "./internal/uuid.ts"
import {
  decideTokenRecording,
  identifyToken,
  isRelevantTo,
  type ReauthenticationTarget,
  type TokenClassification,
} from "./TokenClassification.ts"
import { type SealedToken, type TokenBinding, TokenUnreadable, TokenVault } from "./TokenVault.ts"

/** What recording a token did. */
export interface TokenRecorded {
  readonly classification: TokenClassification["_tag"]
  readonly connection: Connection
  readonly account: Account
}

/** Why a connection's state changed, for the audit trail. */
export type ConnectionEventSource = "finch_401" | "webhook" | "introspection" | "user" | "system"

/** What the audit trail calls each kind of event. */
export type ConnectionEventKind =
  | "connection_created"
  | "account_added"
  | "token_replaced"
  | "reauth_required"
  | "status_changed"
  | "revoked"
  | "disconnected"
  | "entities_removed"

/**
 * The audit event a change makes, if any: a change that altered nothing (a repeated signal) or only refreshed the
 * description of a token (a routine introspection) is not an event.
 */
export const eventOfChange = (
  change: AccountChange,
  before: Connection,
  after: Connection,
): Option.Option<{ readonly kind: ConnectionEventKind; readonly accountIds: ReadonlyArray<AccountId> }> => {
  const changedStatus = after.accounts
    .filter((account) => Option.exists(before.account(account.accountId), (old) => old.status !== account.status))
    .map((account) => account.accountId)
  switch (change._tag) {
    case "EntitiesRemoved":
      return Option.some({ kind: "entities_removed", accountIds: [] })
    case "Disconnected":
      return Option.some({ kind: "disconnected", accountIds: changedStatus })
    default: {
      if (changedStatus.length === 0) return Option.none()
      const status = after.account(changedStatus[0]!).pipe(Option.map((a) => a.status))
      const kind: ConnectionEventKind = Option.contains(status, "reauth_required")
        ? "reauth_required"
        : Option.contains(status, "revoked")
          ? "revoked"
          : Option.contains(status, "disconnected")
            ? "disconnected"
            : "status_changed"
      return Option.some({ kind, accountIds: changedStatus })
    }
  }
}

/** Who holds a Finch connection: found across customers (webhooks name only the Finch connection). */
export interface FinchConnectionHolder {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId: AccountId
}

/** What `recordToken` needs. */
export interface RecordTokenInput {
  readonly customerId: CustomerId
  readonly introspection: Introspection
  readonly accessToken: Redacted.Redacted<string>
  /** False when Finch's introspection failed and `introspection` was rebuilt from the code exchange. */
  readonly introspected?: boolean
  /** Set when completing a reauthentication: only that account's token may be replaced. */
  readonly reauthenticating?: Option.Option<ReauthenticationTarget>
}

/** Connections of customers, with their accounts and tokens. */
export class ConnectionRepository extends Context.Tag("@finch-connections/core/ConnectionRepository")<
  ConnectionRepository,
  {
    /**
     * Classifies a freshly introspected token against what is stored (core's `classifyToken`) and applies the
     * outcome atomically: a new connection, a new account, or a replaced token (the old one retired, kept until its
     * retention ends). Concurrent calls for one provider+company serialize: they never yield two connections.
     */
    readonly recordToken: (
      input: RecordTokenInput,
    ) => Effect.Effect<
      TokenRecorded,
      CustomerNotFound | OwnedByAnotherCustomer | ForeignConnectSession | UnidentifiableToken | TokenMismatch
    >
    /** The customer's connections, newest first. */
    readonly list: (customerId: CustomerId) => Effect.Effect<ReadonlyArray<Connection>>
    /** One connection of the customer. */
    readonly get: (customerId: CustomerId, connectionId: ConnectionId) => Effect.Effect<Connection, ConnectionNotFound>
    /**
     * The accounts (of any customer) on a Finch connection — one, or several for a 2024-transition Finch connection
     * with several logins. Only ids come back; the caller then acts as that customer.
     */
    readonly locateFinchConnection: (
      finchConnectionId: FinchConnectionId,
    ) => Effect.Effect<ReadonlyArray<FinchConnectionHolder>>
    /**
     * Applies an account change (core's `applyAccountChange`) atomically and audits it (`eventOfChange`); accounts it
     * disconnects lose every token's key material. Returns the connection as stored.
     */
    readonly applyChange: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      change: AccountChange,
      source: ConnectionEventSource,
    ) => Effect.Effect<Connection, ConnectionNotFound | AccountChangeError>
    /**
     * The plaintext of the token core's selection picks for `need` (`selectAccount`). Only `withAccessToken` and
     * the use cases that must speak for one account (disconnect, introspect) call this.
     */
    readonly openToken: (input: {
      readonly customerId: CustomerId
      readonly connectionId: ConnectionId
      readonly need: TokenNeed
    }) => Effect.Effect<
      { readonly account: Account; readonly token: Redacted.Redacted<string> },
      ConnectionNotFound | NoUsableToken | TokenUnreadable
    >
    /**
     * The plaintext of every retired token of those accounts still held (replaced or revoked, within its retention),
     * most recently retired first; tokens that no longer open are left out. Only `disconnect` should call this, to
     * revoke them at Finch.
     */
    readonly openRetiredTokens: (
      customerId: CustomerId,
      connectionId: ConnectionId,
      accountIds: ReadonlyArray<AccountId>,
    ) => Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>, ConnectionNotFound>
  }
>() {}

interface StoredToken {
  readonly binding: TokenBinding
  readonly accountId: AccountId
  /** `None` once destroyed (disconnect). */
  readonly sealed: Option.Option<SealedToken>
  readonly retiredAt: Option.Option<Date>
}

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

/**
 * An in-memory `ConnectionRepository` for tests, atomic under one semaphore. It decides through
 * `decideTokenRecording` and `applyAccountChange` and seals tokens with the `TokenVault`, exactly as a real store must.
 */
export const makeMemory = Effect.gen(function* () {
  const vault = yield* TokenVault
  const customers = yield* CustomerRepository
  const lock = yield* Effect.makeSemaphore(1)
  const connections = new Map<ConnectionId, { readonly connection: Connection; readonly sequence: number }>()
  const tokens = new Map<TokenId, StoredToken>()
  let sequence = 0

  const save = (connection: Connection) => {
    const existing = connections.get(connection.id)
    connections.set(connection.id, { connection, sequence: existing?.sequence ?? sequence++ })
  }

  const find = (customerId: CustomerId, connectionId: ConnectionId) =>
    requireOwned(customerId, connectionId, Option.fromNullable(connections.get(connectionId)?.connection))

  return ConnectionRepository.of({
    recordToken: Effect.fn("ConnectionRepository.recordToken")(function* (input) {
      yield* Effect.annotateCurrentSpan("customerId", input.customerId)
      return yield* lock.withPermits(1)(
        Effect.gen(function* () {
          yield* customers.get(input.customerId)
          const identity = yield* identifyToken(input.customerId, input.introspection)
          const known = [...connections.values()]
            .map((entry) => entry.connection)
            .filter((connection) => isRelevantTo(identity, connection))
          // Give other fibers the turn a real database round trip would: without the lock, racing calls interleave.
          yield* Effect.yieldNow()
          const decision = yield* decideTokenRecording({
            customerId: input.customerId,
            introspection: input.introspection,
            introspected: input.introspected ?? true,
            reauthenticating: input.reauthenticating ?? Option.none(),
            known,
            tokenId: TokenId.make(randomUuid()),
            connectionId: ConnectionId.make(randomUuid()),
            now: yield* now,
          })
          const binding: TokenBinding = {
            customerId: input.customerId,
            connectionId: decision.connection.id,
            tokenId: decision.account.tokenId,
          }
          const sealed = yield* vault.seal(binding, input.accessToken)
          const at = yield* now
          save(decision.connection)
          tokens.set(binding.tokenId, {
            binding,
            accountId: decision.account.accountId,
            sealed: Option.some(sealed),
            retiredAt: Option.none(),
          })
          const retired = Option.flatMapNullable(decision.retiredTokenId, (id) => tokens.get(id))
          if (Option.isSome(retired)) {
            tokens.set(retired.value.binding.tokenId, { ...retired.value, retiredAt: Option.some(at) })
          }
          return {
            classification: decision.classification,
            connection: decision.connection,
            account: decision.account,
          } satisfies TokenRecorded
        }),
      )
    }),
    list: (customerId) =>
      Effect.sync(() =>
        [...connections.values()]
          .filter((entry) => entry.connection.customerId === customerId)
          .sort(
            (a, b) => b.connection.createdAt.getTime() - a.connection.createdAt.getTime() || b.sequence - a.sequence,
          )
          .map((entry) => entry.connection),
      ).pipe(Effect.withSpan("ConnectionRepository.list", { attributes: { customerId } })),
    get: (customerId, connectionId) =>
      Effect.suspend(() => find(customerId, connectionId)).pipe(
        Effect.withSpan("ConnectionRepository.get", { attributes: { customerId, connectionId } }),
      ),
    locateFinchConnection: (finchConnectionId) =>
      Effect.sync(() =>
        [...connections.values()].flatMap(({ connection }) =>
          connection.accounts
            .filter((account) => Option.contains(account.finchConnectionId, finchConnectionId))
            .map((account) => ({
              customerId: connection.customerId,
              connectionId: connection.id,
              accountId: account.accountId,
            })),
        ),
      ).pipe(Effect.withSpan("ConnectionRepository.locateFinchConnection")),
    applyChange: (customerId, connectionId, change, source) =>
      lock
        .withPermits(1)(
          Effect.gen(function* () {
            const connection = yield* find(customerId, connectionId)
            const next = yield* applyAccountChange(connection, change, yield* now)
            if (next === connection) return connection
            save(next)
            const ended = accountsEnded(connection, next).map((account) => account.accountId as string)
            for (const [tokenId, token] of tokens) {
              if (token.binding.connectionId === connectionId && ended.includes(token.accountId)) {
                tokens.set(tokenId, { ...token, sealed: Option.none() })
              }
            }
            return next
          }),
        )
        .pipe(
          Effect.withSpan("ConnectionRepository.applyChange", {
            attributes: { customerId, connectionId, change: change._tag, source },
          }),
        ),
    openToken: Effect.fn("ConnectionRepository.openToken")(function* (input) {
      yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
      const connection = yield* find(input.customerId, input.connectionId)
      const account = yield* selectAccount(connection, input.need)
      const stored = tokens.get(account.tokenId)
      const binding: TokenBinding = {
        customerId: input.customerId,
        connectionId: connection.id,
        tokenId: account.tokenId,
      }
      if (stored === undefined || Option.isNone(stored.sealed) || Option.isSome(stored.retiredAt)) {
        return yield* new TokenUnreadable({ ...binding, reason: "the token was destroyed or retired" })
      }
      const token = yield* vault.open(binding, stored.sealed.value)
      return { account, token }
    }),
    openRetiredTokens: Effect.fn("ConnectionRepository.openRetiredTokens")(
      function* (customerId, connectionId, accountIds) {
        yield* Effect.annotateCurrentSpan({ customerId, connectionId })
        yield* find(customerId, connectionId)
        const retired = [...tokens.values()]
          .filter(
            (token) =>
              token.binding.connectionId === connectionId &&
              accountIds.includes(token.accountId) &&
              Option.isSome(token.retiredAt),
          )
          .sort((a, b) => Option.getOrThrow(b.retiredAt).getTime() - Option.getOrThrow(a.retiredAt).getTime())
        const opened = yield* Effect.forEach(retired, (token) =>
          Option.match(token.sealed, {
            onNone: () => Effect.succeed(Option.none()),
            onSome: (sealed) => Effect.option(vault.open(token.binding, sealed)),
          }),
        )
        return opened.flatMap((token) => (Option.isSome(token) ? [token.value] : []))
      },
    ),
  })
})

/** `ConnectionRepository` in memory; needs a `TokenVault` and the `CustomerRepository` it checks customers in. */
export const layerMemory: Layer.Layer<ConnectionRepository, never, TokenVault | CustomerRepository> = Layer.effect(
  ConnectionRepository,
  makeMemory,
)
