/**
 * What a new token means for a customer's connections. `classifyToken` (pure) decides, `applyClassification` (pure)
 * computes the resulting connection; every ConnectionRepository calls both inside one atomic step, so the decisions
 * live here and the adapters only store.
 *
 * Identity of a token (`identifyToken`):
 * - provider: `provider_id` (or `payroll_provider_id`, already resolved by `Introspection`);
 * - company: `company_id`; when Finch leaves it out (newer, multi-entity connections) the company is derived from
 *   Finch's `connection_id` as `connection:<connection_id>` — stable across reauthentication, unlike the entity list,
 *   which the employer can change. Without a connection id either, the smallest entity id stands in
 *   (`entity:<id>`); with none of the three the token is `UnidentifiableToken`;
 * - account: `account_id`; failing that the Finch connection id, failing that the company id (one login per company).
 */
import * as Arr from "effect/Array"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import {
  Account,
  Connection,
  ConnectionEntity,
  ForeignConnectSession,
  markActive,
  OwnedByAnotherCustomer,
  reopen,
  UnidentifiableToken,
} from "./Connection.ts"
import {
  AccountId,
  CompanyId,
  type ConnectionId,
  type CustomerId,
  type FinchConnectionId,
  type ProviderId,
  type TokenId,
} from "./Ids.ts"
import type { Introspection } from "./Introspection.ts"

/** The four outcomes of classifying a token. */
export type TokenClassification = Data.TaggedEnum<{
  /** A provider+company this customer has not connected yet (multi-provider, multi-entity). */
  NewConnection: { readonly providerId: ProviderId; readonly companyId: CompanyId; readonly accountId: AccountId }
  /** Same provider+company, a login not seen before (multi-account): the account joins the connection. */
  NewAccount: { readonly connection: Connection; readonly accountId: AccountId }
  /**
   * The same account (or the same Finch connection) reconnecting, e.g. after reauth: the old token is retired.
   * `accountId` is the stored account whose token is replaced.
   */
  TokenReplaced: { readonly connection: Connection; readonly accountId: AccountId }
  /** That provider+company belongs to another customer: refused, revealing nothing about them. */
  OwnedByAnotherCustomer: { readonly providerId: ProviderId }
}>

/** Constructors and matchers for `TokenClassification`. */
export const TokenClassification = Data.taggedEnum<TokenClassification>()

/** Who a token belongs to, with the fallbacks of the module comment applied. */
export interface TokenIdentity {
  readonly providerId: ProviderId
  readonly companyId: CompanyId
  readonly accountId: AccountId
  readonly finchConnectionId: Option.Option<FinchConnectionId>
  /** Whether `accountId` is Finch's own `account_id` rather than a fallback. */
  readonly accountIdFromFinch: boolean
}

const companyFrom = Schema.decodeOption(CompanyId)
const accountFrom = Schema.decodeOption(AccountId)

/**
 * The identity of an introspected token for `customerId`. Fails with `ForeignConnectSession` when a Connect session
 * stamped another `customer_id` on it, and with `UnidentifiableToken` when no company can be formed.
 */
export const identifyToken = (
  customerId: CustomerId,
  introspection: Introspection,
): Either.Either<TokenIdentity, ForeignConnectSession | UnidentifiableToken> => {
  if (Option.exists(introspection.finchCustomerId, (stamped) => stamped !== customerId)) {
    return Either.left(new ForeignConnectSession({ customerId }))
  }
  const companyId = introspection.companyId.pipe(
    Option.orElse(() => Option.flatMap(introspection.finchConnectionId, (id) => companyFrom(`connection:${id}`))),
    Option.orElse(() =>
      Arr.head(
        Arr.sort(
          introspection.entities.map((entity) => entity.id as string),
          Order.string,
        ),
      ).pipe(Option.flatMap((id) => companyFrom(`entity:${id}`))),
    ),
  )
  if (Option.isNone(companyId)) {
    return Either.left(new UnidentifiableToken({ customerId, providerId: introspection.providerId }))
  }
  const accountId = introspection.accountId.pipe(
    Option.orElse(() => Option.flatMap(introspection.finchConnectionId, (id) => accountFrom(id))),
    Option.getOrElse(() => AccountId.make(companyId.value)),
  )
  return Either.right({
    providerId: introspection.providerId,
    companyId: companyId.value,
    accountId,
    finchConnectionId: introspection.finchConnectionId,
    accountIdFromFinch: Option.isSome(introspection.accountId),
  })
}

/**
 * Whether a stored connection (of any customer) matters for classifying a token of `identity`: same provider+company,
 * or same Finch connection id. Repositories pass exactly these connections to `classifyToken`.
 */
export const isRelevantTo = (identity: TokenIdentity, connection: Connection): boolean =>
  (connection.providerId === identity.providerId && connection.companyId === identity.companyId) ||
  Option.exists(identity.finchConnectionId, (id) => Option.contains(connection.finchConnectionId, id))

const byId = Order.mapInput(Order.string, (connection: Connection) => connection.id)

const statusRank = { reauth_required: 0, active: 1, revoked: 2 } as const

/** The account a reauthenticated Finch connection replaces: one needing reauth first, then the newest. */
const replacedAccountOrder = Order.combineAll([
  Order.mapInput(Order.number, (account: Account) => statusRank[account.status]),
  Order.reverse(Order.mapInput(Order.Date, (account: Account) => account.updatedAt)),
  Order.mapInput(Order.string, (account: Account) => account.accountId),
])

/**
 * Classifies a freshly introspected token of `customerId` against `known`: the stored connections (of any customer)
 * that `isRelevantTo` its identity. Deterministic: the order of `known` does not matter.
 *
 * - a relevant connection of another customer ⇒ `OwnedByAnotherCustomer` (checked first: never two owners);
 * - the connection (the one with the same Finch connection id first, else the same provider+company) has the
 *   token's account ⇒ `TokenReplaced`;
 * - it was found by Finch connection id and Finch named no account ⇒ `TokenReplaced` of its account needing
 *   reauthentication (else its newest) — a reauth session keeps the connection id;
 * - otherwise a new login of a known connection ⇒ `NewAccount`; an unknown provider+company ⇒ `NewConnection`.
 *
 * A `disconnected` connection of the customer is matched like any other: reconnecting it reopens the same row
 * (`applyClassification`), since provider+company stays unique.
 */
export const classifyToken = (
  customerId: CustomerId,
  introspection: Introspection,
  known: ReadonlyArray<Connection>,
): Either.Either<TokenClassification, ForeignConnectSession | UnidentifiableToken> =>
  Either.map(identifyToken(customerId, introspection), (identity) => {
    const relevant = Arr.sort(
      known.filter((connection) => isRelevantTo(identity, connection)),
      byId,
    )
    if (relevant.some((connection) => connection.customerId !== customerId)) {
      return TokenClassification.OwnedByAnotherCustomer({ providerId: identity.providerId })
    }
    const byFinchConnection = Option.flatMap(identity.finchConnectionId, (id) =>
      Arr.findFirst(relevant, (connection) => Option.contains(connection.finchConnectionId, id)),
    )
    const connection = Option.orElse(byFinchConnection, () => Arr.head(relevant))
    if (Option.isNone(connection)) {
      return TokenClassification.NewConnection({
        providerId: identity.providerId,
        companyId: identity.companyId,
        accountId: identity.accountId,
      })
    }
    const target = connection.value
    if (target.accounts.some((account) => account.accountId === identity.accountId)) {
      return TokenClassification.TokenReplaced({ connection: target, accountId: identity.accountId })
    }
    if (Option.isSome(byFinchConnection) && !identity.accountIdFromFinch) {
      const replaced = Arr.head(Arr.sort(target.accounts, replacedAccountOrder))
      if (Option.isSome(replaced)) {
        return TokenClassification.TokenReplaced({ connection: target, accountId: replaced.value.accountId })
      }
    }
    return TokenClassification.NewAccount({ connection: target, accountId: identity.accountId })
  })

/** The result of applying a classification: what to store, and which token to retire. */
export interface AppliedClassification {
  readonly classification: TokenClassification["_tag"]
  readonly connection: Connection
  /** The account holding the new token. */
  readonly account: Account
  /** The token the new one replaces (`TokenReplaced` only). */
  readonly retiredTokenId: Option.Option<TokenId>
}

const toEntities = (introspection: Introspection) =>
  introspection.entities.map(
    (entity) => new ConnectionEntity({ id: entity.id, name: entity.name, status: entity.status }),
  )

/**
 * The entities of `stored` once `accountId` holds a token introspected as `introspection`. When that account is the
 * connection's only live one and the token is of the connection's own Finch connection, the token lists every entity
 * the connection reaches, so its list replaces the stored one (an employer may drop an entity when reauthenticating).
 * Otherwise another login may reach entities this token does not list: the lists are merged.
 */
const entitiesAfter = (
  stored: Connection,
  accountId: AccountId,
  introspection: Introspection,
): ReadonlyArray<ConnectionEntity> => {
  const onlyLiveAccount = stored.accounts.every((a) => a.accountId === accountId || a.status === "revoked")
  const sameFinchConnection =
    Option.isSome(stored.finchConnectionId) &&
    Option.contains(introspection.finchConnectionId, stored.finchConnectionId.value)
  if (onlyLiveAccount && sameFinchConnection && introspection.entities.length > 0) return toEntities(introspection)
  const merged = new Map(stored.entities.map((entity) => [entity.id as string, entity]))
  for (const entity of toEntities(introspection)) merged.set(entity.id, entity)
  return [...merged.values()]
}

/** A connection that receives a working token becomes active again; a disconnected one is reopened. */
const revive = (connection: Connection, now: Date): Connection =>
  Either.getOrThrowWith(
    connection.status === "disconnected" ? reopen(connection, now) : markActive(connection, now),
    (e) => e,
  )

/**
 * The connection that results from a classification, given the ids of the new token (and of the new connection,
 * used only for `NewConnection`) and `now`. Pure; fails only for `OwnedByAnotherCustomer` (nothing to apply) or a
 * classification whose connection is not `customerId`'s (never assigns a token across customers).
 */
export const applyClassification = (input: {
  readonly customerId: CustomerId
  readonly classification: TokenClassification
  readonly introspection: Introspection
  readonly tokenId: TokenId
  readonly connectionId: ConnectionId
  readonly now: Date
}): Either.Either<AppliedClassification, OwnedByAnotherCustomer> => {
  const { classification, customerId, introspection, now, tokenId } = input
  const refuse = (providerId: ProviderId) => Either.left(new OwnedByAnotherCustomer({ customerId, providerId }))
  const freshAccount = (accountId: AccountId) =>
    new Account({
      accountId,
      tokenId,
      products: introspection.products,
      status: "active",
      connectedAt: now,
      updatedAt: now,
    })
  switch (classification._tag) {
    case "OwnedByAnotherCustomer":
      return refuse(classification.providerId)
    case "NewConnection": {
      const account = freshAccount(classification.accountId)
      const connection = new Connection({
        id: input.connectionId,
        customerId,
        providerId: classification.providerId,
        companyId: classification.companyId,
        finchConnectionId: introspection.finchConnectionId,
        status: "active",
        accounts: [account],
        entities: toEntities(introspection),
        createdAt: now,
        updatedAt: now,
        reauthRequiredAt: Option.none(),
        disconnectedAt: Option.none(),
      })
      return Either.right({ classification: "NewConnection", connection, account, retiredTokenId: Option.none() })
    }
    case "NewAccount":
    case "TokenReplaced": {
      const stored = classification.connection
      if (stored.customerId !== customerId) return refuse(stored.providerId)
      const previous = Arr.findFirst(stored.accounts, (a) => a.accountId === classification.accountId)
      const account = Option.match(previous, {
        onNone: () => freshAccount(classification.accountId),
        onSome: (old) =>
          new Account({ ...old, tokenId, products: introspection.products, status: "active", updatedAt: now }),
      })
      const revived = revive(stored, now)
      const connection = new Connection({
        ...revived,
        finchConnectionId: Option.orElse(stored.finchConnectionId, () => introspection.finchConnectionId),
        accounts: Option.isSome(previous)
          ? stored.accounts.map((a) => (a.accountId === account.accountId ? account : a))
          : [...stored.accounts, account],
        entities: entitiesAfter(stored, account.accountId, introspection),
      })
      return Either.right({
        classification: classification._tag,
        connection,
        account,
        retiredTokenId: Option.map(previous, (old) => old.tokenId),
      })
    }
  }
}

/**
 * `classifyToken` then `applyClassification`, in one call: what every `ConnectionRepository.recordToken` does inside
 * its transaction, after loading the connections that `isRelevantTo` the token (`identifyToken`).
 */
export const decideTokenRecording = (input: {
  readonly customerId: CustomerId
  readonly introspection: Introspection
  readonly known: ReadonlyArray<Connection>
  readonly tokenId: TokenId
  readonly connectionId: ConnectionId
  readonly now: Date
}): Either.Either<AppliedClassification, ForeignConnectSession | UnidentifiableToken | OwnedByAnotherCustomer> =>
  Either.flatMap(classifyToken(input.customerId, input.introspection, input.known), (classification) =>
    applyClassification({ ...input, classification }),
  )
