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
 * - account: on Finch's current API one login is one Finch connection, so the account is its `connection_id`; a
 *   legacy token (no `connection_id`) is its `account_id`. Tokens of the 2024 transition name both, several logins
 *   sharing one Finch connection: there `account_id` tells the logins apart (`accountKey`).
 */
import * as Arr from "effect/Array"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import {
  Account,
  type AccountStatus,
  accountStatusFromFinch,
  Connection,
  entitiesOf,
  entitiesReached,
  ForeignConnectSession,
  OwnedByAnotherCustomer,
  TokenMismatch,
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
   * The same login again, e.g. after reauthentication (same Finch connection): the old token is retired.
   * `accountId` is the stored account whose token is replaced.
   */
  TokenReplaced: { readonly connection: Connection; readonly accountId: AccountId }
  /** That provider+company (or Finch connection) belongs to another customer: refused, revealing nothing about them. */
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
  /** Whether Finch named the deprecated `account_id`. */
  readonly accountIdFromFinch: boolean
}

/** The account a reauthentication session was opened for: its completion may only replace that account's token. */
export interface ReauthenticationTarget {
  readonly connectionId: ConnectionId
  readonly accountId: AccountId
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

const holdsFinchConnection = (connection: Connection, id: FinchConnectionId) =>
  connection.accounts.some((account) => Option.contains(account.finchConnectionId, id))

/**
 * Whether a stored connection (of any customer) matters for classifying a token of `identity`: same provider+company,
 * or an account on the same Finch connection. Repositories pass exactly these connections to `classifyToken`.
 */
export const isRelevantTo = (identity: TokenIdentity, connection: Connection): boolean =>
  (connection.providerId === identity.providerId && connection.companyId === identity.companyId) ||
  Option.exists(identity.finchConnectionId, (id) => holdsFinchConnection(connection, id))

const byId = Order.mapInput(Order.string, (connection: Connection) => connection.id)

const statusRank = (status: AccountStatus) => (status === "reauth_required" ? 0 : status === "connected" ? 1 : 2)

/** Among several logins on one Finch connection: the one needing reauth first, then the newest. */
const replacedAccountOrder = Order.combineAll([
  Order.mapInput(Order.number, (account: Account) => statusRank(account.status)),
  Order.reverse(Order.mapInput(Order.Date, (account: Account) => account.updatedAt)),
  Order.mapInput(Order.string, (account: Account) => account.accountId),
])

/**
 * The stored account a token of `identity` is, on `connection`: the account with its key; else an account on its
 * Finch connection when that is one login (its key is the Finch connection id) or when Finch did not name the
 * deprecated `account_id` (a reauthenticated token may leave it out).
 */
const sameLogin = (connection: Connection, identity: TokenIdentity): Option.Option<Account> =>
  Option.orElse(connection.account(identity.accountId), () =>
    Option.flatMap(identity.finchConnectionId, (finchConnectionId) => {
      const onFinchConnection = connection.accounts.filter((a) =>
        Option.contains(a.finchConnectionId, finchConnectionId),
      )
      const oneLogin = onFinchConnection.some((a) => (a.accountId as string) === finchConnectionId)
      return oneLogin || !identity.accountIdFromFinch
        ? Arr.head(Arr.sort(onFinchConnection, replacedAccountOrder))
        : Option.none()
    }),
  )

/** Whether a company id is one we derived (`connection:…`, `entity:…`) because Finch named none. */
const isDerivedCompany = (companyId: string) => companyId.startsWith("connection:") || companyId.startsWith("entity:")

/**
 * Whether a token of a Finch connection that `connection` holds names another provider, or another company than the
 * one Finch named before (a derived company only says Finch did not name one then).
 */
const reachesAnotherEmployer = (connection: Connection, identity: TokenIdentity, introspection: Introspection) =>
  connection.providerId !== identity.providerId ||
  (Option.isSome(introspection.companyId) &&
    !isDerivedCompany(connection.companyId) &&
    connection.companyId !== introspection.companyId.value)

/**
 * Classifies a freshly introspected token of `customerId` against `known`: the stored connections (of any customer)
 * that `isRelevantTo` its identity. Deterministic: the order of `known` does not matter.
 *
 * - a relevant live connection of another customer ⇒ `OwnedByAnotherCustomer` (checked first: never two owners; a
 *   disconnected one no longer holds the company, so another customer may connect it);
 * - a Finch connection of ours that now reaches another provider or company ⇒ `TokenMismatch` (two employers' data
 *   must never share a connection);
 * - with a reauthentication target: the token must be that account's login (`sameLogin`), else `TokenMismatch`;
 * - the connection (found by Finch connection id, else by provider+company) has the token's login ⇒ `TokenReplaced`;
 * - otherwise a new login of a known connection ⇒ `NewAccount`; an unknown provider+company ⇒ `NewConnection`.
 *
 * A `disconnected` connection of the customer is matched like any other: reconnecting it revives the same row
 * (`applyClassification`), since provider+company stays unique among live connections.
 */
export const classifyToken = (
  customerId: CustomerId,
  introspection: Introspection,
  known: ReadonlyArray<Connection>,
  reauthenticating: Option.Option<ReauthenticationTarget> = Option.none(),
): Either.Either<TokenClassification, ForeignConnectSession | UnidentifiableToken | TokenMismatch> =>
  Either.flatMap(
    identifyToken(customerId, introspection),
    (identity): Either.Either<TokenClassification, TokenMismatch> => {
      const relevant = Arr.sort(
        known.filter((connection) => isRelevantTo(identity, connection)),
        byId,
      )
      if (relevant.some((connection) => connection.customerId !== customerId && connection.status !== "disconnected")) {
        return Either.right(TokenClassification.OwnedByAnotherCustomer({ providerId: identity.providerId }))
      }
      const mine = relevant.filter((connection) => connection.customerId === customerId)
      const byFinchConnection = Option.flatMap(identity.finchConnectionId, (id) =>
        Arr.findFirst(mine, (connection) => holdsFinchConnection(connection, id)),
      )
      if (
        Option.isSome(byFinchConnection) &&
        reachesAnotherEmployer(byFinchConnection.value, identity, introspection)
      ) {
        return Either.left(
          new TokenMismatch({
            connectionId: byFinchConnection.value.id,
            accountId: null,
            reason: "its Finch connection now reaches another provider or company",
          }),
        )
      }
      const connection = Option.orElse(byFinchConnection, () =>
        Arr.findFirst(mine, (c) => c.providerId === identity.providerId && c.companyId === identity.companyId),
      )
      const login = Option.flatMap(connection, (c) => sameLogin(c, identity))
      if (Option.isSome(reauthenticating)) {
        const target = reauthenticating.value
        const matches =
          Option.exists(connection, (c) => c.id === target.connectionId) &&
          Option.exists(login, (account) => account.accountId === target.accountId)
        if (!matches) {
          return Either.left(
            new TokenMismatch({
              connectionId: target.connectionId,
              accountId: target.accountId,
              reason: "the employer signed in to another login, company or Finch connection",
            }),
          )
        }
      }
      if (Option.isNone(connection)) {
        return Either.right(
          TokenClassification.NewConnection({
            providerId: identity.providerId,
            companyId: identity.companyId,
            accountId: identity.accountId,
          }),
        )
      }
      return Either.right(
        Option.match(login, {
          onNone: () => TokenClassification.NewAccount({ connection: connection.value, accountId: identity.accountId }),
          onSome: (account) =>
            TokenClassification.TokenReplaced({ connection: connection.value, accountId: account.accountId }),
        }),
      )
    },
  )

/** The result of applying a classification: what to store, and which token to retire. */
export interface AppliedClassification {
  readonly classification: TokenClassification["_tag"]
  readonly connection: Connection
  /** The account holding the new token. */
  readonly account: Account
  /** The token the new one replaces (`TokenReplaced` only). */
  readonly retiredTokenId: Option.Option<TokenId>
}

/** The status a freshly recorded token gives its account: what Finch says, `connected` when it says nothing we know. */
const statusOfNewToken = (introspection: Introspection): AccountStatus =>
  Option.getOrElse(
    Option.flatMap(introspection.status, accountStatusFromFinch).pipe(
      // A brand-new token cannot already be disconnected: Finch would have refused the exchange.
      Option.filter((status) => status !== "disconnected"),
    ),
    () => "connected" as const,
  )

/**
 * The connection that results from a classification, given the ids of the new token (and of the new connection,
 * used only for `NewConnection`), whether Finch described the token (`introspected`; false when the introspection
 * was rebuilt from the code exchange) and `now`. Pure; fails only for `OwnedByAnotherCustomer` (nothing to apply)
 * or a classification whose connection is not `customerId`'s (never assigns a token across customers).
 */
export const applyClassification = (input: {
  readonly customerId: CustomerId
  readonly classification: TokenClassification
  readonly introspection: Introspection
  readonly introspected?: boolean
  readonly tokenId: TokenId
  readonly connectionId: ConnectionId
  readonly now: Date
}): Either.Either<AppliedClassification, OwnedByAnotherCustomer> => {
  const { classification, customerId, introspection, now, tokenId } = input
  const refuse = (providerId: ProviderId) => Either.left(new OwnedByAnotherCustomer({ customerId, providerId }))
  const status = statusOfNewToken(introspection)
  const described = {
    finchConnectionId: introspection.finchConnectionId,
    tokenId,
    products: introspection.products,
    entityIds: introspection.entities.map((entity) => entity.id),
    username: introspection.username,
    status,
    updatedAt: now,
    reauthRequiredAt: status === "reauth_required" ? Option.some(now) : Option.none(),
    introspectedAt: input.introspected === false ? Option.none() : Option.some(now),
  }
  switch (classification._tag) {
    case "OwnedByAnotherCustomer":
      return refuse(classification.providerId)
    case "NewConnection": {
      const account = new Account({
        ...described,
        accountId: classification.accountId,
        authenticationMethod: introspection.authenticationMethod,
        connectedAt: now,
      })
      const connection = new Connection({
        id: input.connectionId,
        customerId,
        providerId: classification.providerId,
        companyId: classification.companyId,
        accounts: [account],
        entities: entitiesOf(introspection),
        createdAt: now,
        updatedAt: now,
      })
      return Either.right({ classification: "NewConnection", connection, account, retiredTokenId: Option.none() })
    }
    case "NewAccount":
    case "TokenReplaced": {
      const stored = classification.connection
      if (stored.customerId !== customerId) return refuse(stored.providerId)
      const previous = stored.account(classification.accountId)
      const account = Option.match(previous, {
        onNone: () =>
          new Account({
            ...described,
            accountId: classification.accountId,
            authenticationMethod: introspection.authenticationMethod,
            connectedAt: now,
          }),
        onSome: (old) =>
          new Account({
            ...old,
            ...described,
            finchConnectionId: Option.orElse(introspection.finchConnectionId, () => old.finchConnectionId),
            authenticationMethod: Option.orElse(introspection.authenticationMethod, () => old.authenticationMethod),
            username: Option.orElse(introspection.username, () => old.username),
          }),
      })
      const accounts = Option.isSome(previous)
        ? stored.accounts.map((a) => (a.accountId === account.accountId ? account : a))
        : [...stored.accounts, account]
      const connection = new Connection({
        ...stored,
        accounts,
        entities: entitiesReached(stored.entities, accounts, entitiesOf(introspection)),
        updatedAt: now,
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
  readonly introspected?: boolean
  readonly reauthenticating?: Option.Option<ReauthenticationTarget>
  readonly known: ReadonlyArray<Connection>
  readonly tokenId: TokenId
  readonly connectionId: ConnectionId
  readonly now: Date
}): Either.Either<
  AppliedClassification,
  ForeignConnectSession | UnidentifiableToken | OwnedByAnotherCustomer | TokenMismatch
> =>
  Either.flatMap(
    classifyToken(input.customerId, input.introspection, input.known, input.reauthenticating ?? Option.none()),
    (classification) => applyClassification({ ...input, classification }),
  )
