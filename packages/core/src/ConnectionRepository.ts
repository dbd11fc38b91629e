/**
 * The port that stores connections, their accounts and their (sealed) tokens. Every method is for one customer:
 * another customer's connection is indistinguishable from an unknown one.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import {
  type Account,
  type Connection,
  type ConnectionNotFound,
  type ForeignConnectSession,
  type IllegalTransition,
  markDisconnected,
  markReauthRequired,
  type NoUsableToken,
  type OwnedByAnotherCustomer,
  requireOwned,
  selectAccount,
  type UnidentifiableToken,
} from "./Connection.ts"
import type { CustomerNotFound } from "./Customer.ts"
import { CustomerRepository } from "./CustomerRepository.ts"
import { ConnectionId, type CustomerId, TokenId } from "./Ids.ts"
import type { Introspection } from "./Introspection.ts"
import { randomUuid } from "./internal/uuid.ts"
import type { Product } from "./Product.ts"
import { decideTokenRecording, identifyToken, isRelevantTo, type TokenClassification } from "./TokenClassification.ts"
import { type SealedToken, type TokenBinding, TokenUnreadable, TokenVault } from "./TokenVault.ts"

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
    /**
     * The plaintext of every retired token of the connection still held (replaced or revoked, within its retention),
     * most recently retired first; tokens that no longer open are left out. Only `disconnect` should call this, to
     * revoke them at Finch.
     */
    readonly openRetiredTokens: (
      customerId: CustomerId,
      connectionId: ConnectionId,
    ) => Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>, ConnectionNotFound>
  }
>() {}

interface StoredToken {
  readonly binding: TokenBinding
  /** `None` once destroyed (disconnect). */
  readonly sealed: Option.Option<SealedToken>
  readonly retiredAt: Option.Option<Date>
}

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

/**
 * An in-memory `ConnectionRepository` for tests, atomic under one semaphore. It decides through
 * `decideTokenRecording` and seals tokens with the `TokenVault`, exactly as a real store must.
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

  const transition =
    (
      name: string,
      step: (connection: Connection, now: Date) => Either.Either<Connection, IllegalTransition>,
      afterwards: (connection: Connection) => void = () => {},
    ) =>
    (customerId: CustomerId, connectionId: ConnectionId, source: ConnectionEventSource) =>
      lock
        .withPermits(1)(
          Effect.gen(function* () {
            const connection = yield* find(customerId, connectionId)
            const next = yield* step(connection, yield* now)
            if (next !== connection) save(next)
            afterwards(next)
            return next
          }),
        )
        .pipe(Effect.withSpan(`ConnectionRepository.${name}`, { attributes: { customerId, connectionId, source } }))

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
          tokens.set(binding.tokenId, { binding, sealed: Option.some(sealed), retiredAt: Option.none() })
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
    markReauthRequired: transition("markReauthRequired", markReauthRequired),
    markDisconnected: transition("markDisconnected", markDisconnected, (connection) => {
      for (const [tokenId, token] of tokens) {
        if (token.binding.connectionId === connection.id) tokens.set(tokenId, { ...token, sealed: Option.none() })
      }
    }),
    openToken: Effect.fn("ConnectionRepository.openToken")(function* (input) {
      yield* Effect.annotateCurrentSpan({ customerId: input.customerId, connectionId: input.connectionId })
      const connection = yield* find(input.customerId, input.connectionId)
      const account = yield* selectAccount(connection, input.products, input.account)
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
    openRetiredTokens: Effect.fn("ConnectionRepository.openRetiredTokens")(function* (customerId, connectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      yield* find(customerId, connectionId)
      const retired = [...tokens.values()]
        .filter((token) => token.binding.connectionId === connectionId && Option.isSome(token.retiredAt))
        .sort((a, b) => Option.getOrThrow(b.retiredAt).getTime() - Option.getOrThrow(a.retiredAt).getTime())
      const opened = yield* Effect.forEach(retired, (token) =>
        Option.match(token.sealed, {
          onNone: () => Effect.succeed(Option.none()),
          onSome: (sealed) => Effect.option(vault.open(token.binding, sealed)),
        }),
      )
      return opened.flatMap((token) => (Option.isSome(token) ? [token.value] : []))
    }),
  })
})

/** `ConnectionRepository` in memory; needs a `TokenVault` and the `CustomerRepository` it checks customers in. */
export const layerMemory: Layer.Layer<ConnectionRepository, never, TokenVault | CustomerRepository> = Layer.effect(
  ConnectionRepository,
  makeMemory,
)
