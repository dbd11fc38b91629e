/**
 * A connection: one employment provider joined to one employer (company), under one of our customers — the card a
 * customer sees. Its identity is (customer, provider, company). Under it, each **account** is one token holder: on
 * Finch's current API one login is one Finch connection (`connection_id`, own token, own status); legacy tokens have
 * no Finch connection id and their `account_id` stands in.
 *
 * ```
 * customer ──< connection (provider_id, company_id) ──< account (Finch connection_id | legacy account_id)
 *                                                          ├─ token (current one; replaced ones retired)
 *                                                          ├─ products
 *                                                          └─ entity ids its token reaches
 * ```
 *
 * The connection's status is derived from its accounts (`connectionStatusOf`); lifecycle changes are made to
 * accounts (`applyAccountChange`).
 */
import * as Arr from "effect/Array"
import * as Data from "effect/Data"
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
import type { FinchConnectionStatus, Introspection } from "./Introspection.ts"
import { covers, Product } from "./Product.ts"

/**
 * An account's state. Finch's own statuses (`connected`, and for assisted connections `pending`, `processing`,
 * `error_no_account_setup`, `error_permissions`; Finch's `reauth` is our `reauth_required`), plus ours:
 * `revoked` — Finch no longer accepts the token (401) though nobody here disconnected it; `disconnected` — the login
 * was disconnected (by us, or Finch said so) and its tokens are destroyed. Only a new token revives those two.
 */
export const AccountStatus = Schema.Literal(
  "connected",
  "pending",
  "processing",
  "error_no_account_setup",
  "error_permissions",
  "reauth_required",
  "revoked",
  "disconnected",
)
export type AccountStatus = typeof AccountStatus.Type

/** Whether an account still holds a token Finch may honour. */
export const isLive = (status: AccountStatus): boolean => status !== "revoked" && status !== "disconnected"

/**
 * Our reading of a status Finch reports (introspection, webhook); `None` for a value Finch may add later, which
 * leaves the account as it is.
 */
export const accountStatusFromFinch = (status: FinchConnectionStatus): Option.Option<AccountStatus> => {
  switch (status) {
    case "connected":
    case "pending":
    case "processing":
    case "error_no_account_setup":
    case "error_permissions":
    case "disconnected":
      return Option.some(status)
    case "reauth":
    case "error_reauth":
      return Option.some("reauth_required")
    default:
      return Option.none()
  }
}

/**
 * The connection's status, the card's headline:
 * - `disconnected`: no account is live (or there is none);
 * - `reauth_required`: some live account needs the employer to reauthenticate (other accounts may still work);
 * - `error`: some live account is in one of Finch's assisted error states;
 * - `active`: some account is `connected`;
 * - `pending`: the live accounts are all waiting for Finch (assisted `pending`/`processing`).
 */
export const ConnectionStatus = Schema.Literal("active", "pending", "reauth_required", "error", "disconnected")
export type ConnectionStatus = typeof ConnectionStatus.Type

/** One login (or permission set) on the connection, with the reference to its current token. */
export class Account extends Schema.Class<Account>("Account")({
  /** Our key for the account within the connection: Finch's `account_id`, else its Finch connection id. */
  accountId: AccountId,
  /** The Finch connection this login is (current API); `None` for legacy tokens. */
  finchConnectionId: Schema.OptionFromSelf(FinchConnectionId),
  tokenId: TokenId,
  products: Schema.Array(Product),
  /** The entities this account's token reaches (multi-entity); empty when Finch lists none (the whole company). */
  entityIds: Schema.Array(EntityId),
  /** How the employer authenticated (`credential`, `oauth`, `assisted`, `api_token`, …), when Finch said. */
  authenticationMethod: Schema.OptionFromSelf(Schema.String),
  /** The login's username, as Finch's `/introspect` last said it (the latest token's); `None` when it never said. */
  username: Schema.OptionFromSelf(Schema.String),
  status: AccountStatus,
  connectedAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
  reauthRequiredAt: Schema.OptionFromSelf(Schema.DateFromSelf),
  /** When Finch last described the token (`/introspect`); `None` until then (e.g. introspection failed at connect). */
  introspectedAt: Schema.OptionFromSelf(Schema.DateFromSelf),
}) {
  /** Whether this account's token may be used for `entityId` (a token listing no entity reaches the whole company). */
  reaches(entityId: EntityId): boolean {
    return this.entityIds.length === 0 || this.entityIds.includes(entityId)
  }
}

/** An entity reachable through the connection (multi-entity connections). */
export class ConnectionEntity extends Schema.Class<ConnectionEntity>("ConnectionEntity")({
  id: EntityId,
  name: Schema.OptionFromSelf(Schema.String),
  status: Schema.OptionFromSelf(Schema.String),
}) {}

const statusPriority: ReadonlyArray<ConnectionStatus> = ["reauth_required", "error", "active", "pending"]

/** The one rule deriving a connection's status from its accounts' (see `ConnectionStatus`). */
export const connectionStatusOf = (accounts: ReadonlyArray<{ readonly status: AccountStatus }>): ConnectionStatus => {
  const live = accounts.filter((account) => isLive(account.status)).map((account) => account.status)
  const has = (status: ConnectionStatus) =>
    live.some((s) => {
      switch (status) {
        case "reauth_required":
          return s === "reauth_required"
        case "error":
          return s === "error_permissions" || s === "error_no_account_setup"
        case "active":
          return s === "connected"
        default:
          return s === "pending" || s === "processing"
      }
    })
  return statusPriority.find(has) ?? "disconnected"
}

/** A connection with its accounts and entities; its identity is (customer, provider, company). */
export class Connection extends Schema.Class<Connection>("Connection")({
  id: ConnectionId,
  customerId: CustomerId,
  providerId: ProviderId,
  companyId: CompanyId,
  accounts: Schema.Array(Account),
  entities: Schema.Array(ConnectionEntity),
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
}) {
  /** Derived from the accounts (`connectionStatusOf`). */
  get status(): ConnectionStatus {
    return connectionStatusOf(this.accounts)
  }

  /** The products granted by any live account. */
  get products(): ReadonlyArray<Product> {
    return [...new Set(this.liveAccounts.flatMap((account) => account.products))]
  }

  /** The accounts whose token Finch may still honour. */
  get liveAccounts(): ReadonlyArray<Account> {
    return this.accounts.filter((account) => isLive(account.status))
  }

  /** Since when the earliest account still waiting for reauthentication has waited. */
  get reauthRequiredAt(): Option.Option<Date> {
    return Arr.head(
      Arr.sort(
        this.accounts.flatMap((a) => (a.status === "reauth_required" ? Option.toArray(a.reauthRequiredAt) : [])),
        Order.Date,
      ),
    )
  }

  /** When the last account went away, for a disconnected connection. */
  get disconnectedAt(): Option.Option<Date> {
    if (this.status !== "disconnected") return Option.none()
    return Arr.last(
      Arr.sort(
        this.accounts.map((a) => a.updatedAt),
        Order.Date,
      ),
    )
  }

  /** The account with that key. */
  account(accountId: AccountId | string): Option.Option<Account> {
    return Arr.findFirst(this.accounts, (account) => account.accountId === accountId)
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

/** The connection has no account with that id. */
export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  connectionId: ConnectionId,
  accountId: Schema.String,
}) {
  override get message() {
    return `connection ${this.connectionId} has no account ${this.accountId}`
  }
}

/** No live account of the connection reaches that entity. */
export class EntityNotFound extends Schema.TaggedError<EntityNotFound>()("EntityNotFound", {
  connectionId: ConnectionId,
  entityId: Schema.String,
}) {
  override get message() {
    return `connection ${this.connectionId} reaches no entity ${this.entityId}`
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

/**
 * A token that cannot take the place it claims: a reauthentication whose token is of another Finch connection
 * (legacy: another provider, company or account), or a known Finch connection that now reaches another company.
 * Nothing was replaced.
 */
export class TokenMismatch extends Schema.TaggedError<TokenMismatch>()("TokenMismatch", {
  connectionId: ConnectionId,
  accountId: Schema.NullOr(Schema.String),
  reason: Schema.String,
}) {
  override get message() {
    const target = this.accountId === null ? `connection ${this.connectionId}` : `account ${this.accountId}`
    return `the new token cannot replace the token of ${target}: ${this.reason}`
  }
}

/** A lifecycle step that is not allowed from the account's (or connection's) current status. */
export class IllegalTransition extends Schema.TaggedError<IllegalTransition>()("IllegalTransition", {
  connectionId: ConnectionId,
  accountId: Schema.NullOr(Schema.String),
  from: Schema.String,
  to: Schema.String,
}) {
  override get message() {
    const subject = this.accountId === null ? "" : ` account ${this.accountId}`
    return `connection ${this.connectionId}${subject} cannot go from ${this.from} to ${this.to}`
  }
}

/** No account of the connection has a healthy token with the products (and entity) needed. */
export class NoUsableToken extends Schema.TaggedError<NoUsableToken>()("NoUsableToken", {
  connectionId: ConnectionId,
  products: Schema.Array(Schema.String),
  entityId: Schema.optional(Schema.NullOr(Schema.String)),
}) {
  override get message() {
    const entity = this.entityId == null ? "" : ` reaching entity ${this.entityId}`
    const products = this.products.length === 0 ? "" : ` with ${this.products.join(", ")}`
    return `connection ${this.connectionId} has no healthy token${products}${entity}`
  }
}

/**
 * A change to a connection's accounts, from a signal (a Finch 401, a webhook, an introspection) or a user's action.
 * `applyAccountChange` computes its result; every `ConnectionRepository` stores it.
 */
export type AccountChange = Data.TaggedEnum<{
  /** Finch said the login must reauthenticate (401 `reauthenticate_user`, webhook, introspection). */
  ReauthRequired: { readonly accountId: AccountId }
  /** Finch reported a status for the login (webhook `account.updated`). */
  FinchStatus: { readonly accountId: AccountId; readonly status: FinchConnectionStatus }
  /** Finch described the token again (`/introspect`): status, products, entities. */
  Introspected: { readonly accountId: AccountId; readonly introspection: Introspection }
  /** Finch refuses the token (401 other than reauthentication). */
  Revoked: { readonly accountId: AccountId }
  /** The logins were disconnected (all live ones when `accountIds` is `None`); their tokens are destroyed. */
  Disconnected: { readonly accountIds: Option.Option<ReadonlyArray<AccountId>> }
  /**
   * Entities were disconnected from the connection (`/disconnect-entity`); a login left with none is disconnected
   * (its tokens destroyed).
   */
  EntitiesRemoved: { readonly entityIds: ReadonlyArray<EntityId> }
}>

/** Constructors and matchers for `AccountChange`. */
export const AccountChange = Data.taggedEnum<AccountChange>()

/** Why a change cannot be applied. */
export type AccountChangeError = AccountNotFound | EntityNotFound | IllegalTransition | TokenMismatch

const withAccount = (
  connection: Connection,
  accountId: AccountId,
  update: (account: Account) => Either.Either<Account, AccountChangeError>,
): Either.Either<Connection, AccountChangeError> =>
  Option.match(connection.account(accountId), {
    onNone: () => Either.left(new AccountNotFound({ connectionId: connection.id, accountId })),
    onSome: (account) =>
      Either.map(update(account), (updated) => {
        if (updated === account) return connection
        const accounts = connection.accounts.map((a) => (a.accountId === accountId ? updated : a))
        return new Connection({
          ...connection,
          accounts,
          entities: entitiesReached(connection.entities, accounts, []),
          updatedAt: updated.updatedAt,
        })
      }),
  })

/**
 * The entity list of a connection whose accounts are `accounts`: every entity some live account reaches, described
 * by the newest information (`fresh` first, then what was stored). A connection with no live account keeps its list
 * (the history of what it reached).
 */
export const entitiesReached = (
  stored: ReadonlyArray<ConnectionEntity>,
  accounts: ReadonlyArray<Account>,
  fresh: ReadonlyArray<ConnectionEntity>,
): ReadonlyArray<ConnectionEntity> => {
  const live = accounts.filter((account) => isLive(account.status))
  if (live.length === 0) return stored
  const known = new Map<string, ConnectionEntity>([
    ...stored.map((e): [string, ConnectionEntity] => [e.id, e]),
    ...fresh.map((e): [string, ConnectionEntity] => [e.id, e]),
  ])
  const ids = [...new Set(live.flatMap((account) => account.entityIds))]
  return ids.map((id) => known.get(id) ?? new ConnectionEntity({ id, name: Option.none(), status: Option.none() }))
}

const illegal = (connection: Connection, account: Account | null, to: string) =>
  Either.left(
    new IllegalTransition({
      connectionId: connection.id,
      accountId: account?.accountId ?? null,
      from: account?.status ?? connection.status,
      to,
    }),
  )

/** `status` for a live account; a dead one (`revoked`, `disconnected`) ignores signals other than a new token. */
const setStatus = (account: Account, status: AccountStatus, now: Date): Account =>
  !isLive(account.status) || account.status === status
    ? account
    : new Account({
        ...account,
        status,
        updatedAt: now,
        reauthRequiredAt: status === "reauth_required" ? Option.some(now) : Option.none(),
      })

/** The entities of an introspection, as the connection lists them. */
export const entitiesOf = (introspection: Introspection): ReadonlyArray<ConnectionEntity> =>
  introspection.entities.map(
    (entity) => new ConnectionEntity({ id: entity.id, name: entity.name, status: entity.status }),
  )

/**
 * The connection after `change`, at `now`. Signals are idempotent (the same connection comes back when nothing
 * changes): several sources — a 401, a webhook, an introspection — may report one fact. A dead account ignores status
 * signals; disconnecting accounts that are all dead already is an `IllegalTransition` (the caller should know it did
 * nothing).
 */
export const applyAccountChange = (
  connection: Connection,
  change: AccountChange,
  now: Date,
): Either.Either<Connection, AccountChangeError> =>
  AccountChange.$match(change, {
    ReauthRequired: ({ accountId }) =>
      withAccount(connection, accountId, (account) =>
        isLive(account.status)
          ? Either.right(setStatus(account, "reauth_required", now))
          : illegal(connection, account, "reauth_required"),
      ),
    FinchStatus: ({ accountId, status }) =>
      withAccount(connection, accountId, (account) =>
        Either.right(
          Option.match(accountStatusFromFinch(status), {
            onNone: () => account,
            onSome: (next) => setStatus(account, next, now),
          }),
        ),
      ),
    Revoked: ({ accountId }) =>
      withAccount(connection, accountId, (account) =>
        Either.right(isLive(account.status) ? new Account({ ...account, status: "revoked", updatedAt: now }) : account),
      ),
    Introspected: ({ accountId, introspection }) =>
      Either.flatMap(
        withAccount(connection, accountId, (account) => {
          if (
            Option.isSome(account.finchConnectionId) &&
            Option.isSome(introspection.finchConnectionId) &&
            account.finchConnectionId.value !== introspection.finchConnectionId.value
          ) {
            return Either.left(
              new TokenMismatch({
                connectionId: connection.id,
                accountId,
                reason: "Finch describes the token as another Finch connection",
              }),
            )
          }
          if (!isLive(account.status)) return Either.right(account)
          const described = new Account({
            ...account,
            finchConnectionId: Option.orElse(account.finchConnectionId, () => introspection.finchConnectionId),
            products: introspection.products,
            entityIds: introspection.entities.map((entity) => entity.id),
            authenticationMethod: Option.orElse(introspection.authenticationMethod, () => account.authenticationMethod),
            username: Option.orElse(introspection.username, () => account.username),
            introspectedAt: Option.some(now),
            updatedAt: now,
          })
          // A token Finch still describes but calls disconnected is no longer honoured: `revoked`; ending the login
          // (and destroying its tokens) is a disconnect's, by the customer or Finch's webhook.
          const reported = Option.map(Option.flatMap(introspection.status, accountStatusFromFinch), (status) =>
            status === "disconnected" ? ("revoked" as const) : status,
          )
          return Either.right(
            Option.match(reported, {
              onNone: () => described,
              onSome: (next) => (next === described.status ? described : setStatus(described, next, now)),
            }),
          )
        }),
        (updated) =>
          Either.right(
            new Connection({
              ...updated,
              entities: entitiesReached(updated.entities, updated.accounts, entitiesOf(introspection)),
            }),
          ),
      ),
    Disconnected: ({ accountIds }) => {
      const targets = Option.match(accountIds, {
        onNone: () => connection.accounts.map((a) => a.accountId as string),
        onSome: (ids) => [...ids] as Array<string>,
      })
      const missing = targets.find((id) => Option.isNone(connection.account(id)))
      if (missing !== undefined) {
        return Either.left(new AccountNotFound({ connectionId: connection.id, accountId: missing }))
      }
      const live = connection.accounts.filter((a) => targets.includes(a.accountId) && isLive(a.status))
      if (live.length === 0) {
        const subject =
          Option.isSome(accountIds) && targets.length === 1 ? connection.account(targets[0]!) : Option.none()
        return illegal(connection, Option.getOrNull(subject), "disconnected")
      }
      const accounts = connection.accounts.map((a) =>
        live.includes(a) ? new Account({ ...a, status: "disconnected", updatedAt: now }) : a,
      )
      return Either.right(
        new Connection({
          ...connection,
          accounts,
          entities: entitiesReached(connection.entities, accounts, []),
          updatedAt: now,
        }),
      )
    },
    EntitiesRemoved: ({ entityIds }) => {
      const unreached = entityIds.find(
        (id) => !connection.liveAccounts.some((account) => account.entityIds.includes(id)),
      )
      if (unreached !== undefined) {
        return Either.left(new EntityNotFound({ connectionId: connection.id, entityId: unreached }))
      }
      const accounts = connection.accounts.map((account) => {
        if (!isLive(account.status) || !account.entityIds.some((id) => entityIds.includes(id))) return account
        const remaining = account.entityIds.filter((id) => !entityIds.includes(id))
        // A login left with no entity reaches nothing any more (an empty list would read as "the whole company").
        return new Account({
          ...account,
          entityIds: remaining.length === 0 ? account.entityIds : remaining,
          status: remaining.length === 0 ? "disconnected" : account.status,
          updatedAt: now,
        })
      })
      return Either.right(
        new Connection({
          ...connection,
          accounts,
          entities: connection.entities.filter((entity) => !entityIds.includes(entity.id)),
          updatedAt: now,
        }),
      )
    },
  })

/** The accounts whose tokens a change ends: they are to be destroyed by the repository storing it. */
export const accountsEnded = (before: Connection, after: Connection): ReadonlyArray<Account> =>
  after.accounts.filter(
    (account) =>
      account.status === "disconnected" &&
      Option.exists(before.account(account.accountId), (previous) => previous.status !== "disconnected"),
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

/** What a call needs of a token. */
export interface TokenNeed {
  readonly products: ReadonlyArray<Product>
  /** Only this account's token (e.g. to call `/disconnect` with it); it may be `reauth_required`, not dead. */
  readonly accountId?: AccountId | undefined
  /** The entity the call reads (`entity_ids`): the token must reach it. */
  readonly entityId?: EntityId | undefined
  /** Accounts not to use (e.g. just found to need reauthentication). */
  readonly excluding?: ReadonlyArray<AccountId> | undefined
}

const selectionOrder = (entityId: EntityId | undefined) =>
  Order.combineAll([
    // A token that names the entity beats one that only reaches the whole company.
    Order.mapInput(
      Order.boolean,
      (account: Account) => !(entityId !== undefined && account.entityIds.includes(entityId)),
    ),
    Order.reverse(Order.mapInput(Order.Date, (account: Account) => account.updatedAt)),
    Order.mapInput(Order.string, (account: Account) => account.accountId),
  ])

/**
 * The accounts whose tokens may serve a call, best first. Without a named account: `connected` accounts whose
 * products cover the need and whose token reaches the entity asked for, those naming the entity first, then the most
 * recently updated. A named account is used when it is live and covers the need.
 */
export const usableAccounts = (connection: Connection, need: TokenNeed): ReadonlyArray<Account> => {
  const candidates =
    need.accountId === undefined
      ? connection.accounts.filter((a) => a.status === "connected")
      : connection.accounts.filter((a) => a.accountId === need.accountId && isLive(a.status))
  return Arr.sort(
    candidates.filter(
      (a) =>
        covers(a.products, need.products) &&
        (need.entityId === undefined || a.reaches(need.entityId)) &&
        !(need.excluding ?? []).includes(a.accountId),
    ),
    selectionOrder(need.entityId),
  )
}

/** The account whose token to use for a call (the first of `usableAccounts`). */
export const selectAccount = (connection: Connection, need: TokenNeed): Either.Either<Account, NoUsableToken> =>
  Option.match(Arr.head(usableAccounts(connection, need)), {
    onNone: () =>
      Either.left(
        new NoUsableToken({
          connectionId: connection.id,
          products: [...need.products],
          entityId: need.entityId ?? null,
        }),
      ),
    onSome: Either.right,
  })
