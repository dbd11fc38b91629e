/**
 * Every domain → JSON mapping for connections lives here. A connection's JSON never holds a token, a token id or a
 * ciphertext.
 */
import type { Account } from "@finch-connections/core/Connection"
import {
  currentSync,
  type EndedSync,
  type ListedConnection,
  type PendingSync,
} from "@finch-connections/core/ConnectionListing"
import type { TokenRecorded } from "@finch-connections/core/ConnectionRepository"
import { Option, Schema } from "effect"

const Timestamp = Schema.String.annotations({ description: "ISO 8601" })

/** One login (token holder) of a connection. */
export const AccountBody = Schema.Struct({
  id: Schema.String.annotations({
    description: "Finch's account id (for tokens without one, the Finch connection id)",
  }),
  finch_connection_id: Schema.NullOr(Schema.String).annotations({
    description: "the Finch connection this login is; null for tokens of Finch's older account model",
  }),
  status: Schema.String.annotations({
    description:
      "Finch's `connected`, `pending`, `processing`, `error_no_account_setup`, `error_permissions`; " +
      "`reauth_required`; `revoked` (Finch refuses the token); `disconnected`",
  }),
  products: Schema.Array(Schema.String),
  entity_ids: Schema.Array(Schema.String),
  authentication_method: Schema.NullOr(Schema.String),
  username: Schema.NullOr(Schema.String).annotations({
    description: "the login's username, as Finch last said it; null when Finch never said",
  }),
  connected_at: Timestamp,
  updated_at: Timestamp,
}).annotations({ identifier: "Account" })
export type AccountBody = typeof AccountBody.Type

/** An entity (legal entity, EIN) the connection reaches. */
export const EntityBody = Schema.Struct({
  id: Schema.String,
  name: Schema.NullOr(Schema.String),
  status: Schema.NullOr(Schema.String),
}).annotations({ identifier: "Entity" })

/** The newest employee sync of the connection that ended; its run is at `GET …/syncs/{id}`. */
export const LastSyncBody = Schema.Struct({
  id: Schema.String.annotations({ description: "the sync's id (`GET /v1/customers/{customer_id}/syncs/{id}`)" }),
  status: Schema.Literal("succeeded", "partial", "failed"),
  requested_at: Timestamp,
  started_at: Schema.NullOr(Timestamp),
  finished_at: Timestamp,
}).annotations({ identifier: "LastSync" })

/** The employee sync of the connection asked for and not ended yet. */
export const CurrentSyncBody = Schema.Struct({
  id: Schema.String.annotations({ description: "the sync's id (`GET /v1/customers/{customer_id}/syncs/{id}`)" }),
  status: Schema.Literal("queued", "running").annotations({
    description: "`queued` until a worker starts it, and again while it waits after a deferral; then `running`",
  }),
  requested_at: Timestamp,
  started_at: Schema.NullOr(Timestamp).annotations({ description: "when a worker first started it" }),
  retry_at: Schema.NullOr(Timestamp).annotations({
    description:
      "when it is tried again, while it waits after a deferral (Finch rate limited, data not ready, an error)",
  }),
}).annotations({ identifier: "CurrentSync" })

/** One provider + company of the customer, with its accounts. */
export const ConnectionBody = Schema.Struct({
  id: Schema.String,
  provider_id: Schema.String,
  company_id: Schema.String,
  status: Schema.String.annotations({
    description:
      "derived from the accounts: `reauth_required` while any login needs reauthentication, `error`, `active`, " +
      "`pending` (assisted logins waiting for Finch) or `disconnected` (no live login)",
  }),
  accounts: Schema.Array(AccountBody),
  entities: Schema.Array(EntityBody),
  products: Schema.Array(Schema.String),
  created_at: Timestamp,
  updated_at: Timestamp,
  reauth_required_at: Schema.NullOr(Timestamp),
  disconnected_at: Schema.NullOr(Timestamp),
  last_sync: Schema.NullOr(LastSyncBody).annotations({
    description: "the newest sync that ended; it stays while a later one is queued or running",
  }),
  current_sync: Schema.NullOr(CurrentSyncBody).annotations({
    description:
      "the sync running now, else the one queued; null when none is (a queued one waits behind a running one)",
  }),
}).annotations({ identifier: "Connection" })
export type ConnectionBody = typeof ConnectionBody.Type

/** What completing Connect did. */
export const Outcome = Schema.Literal("connection_created", "account_added", "token_replaced")
export type Outcome = typeof Outcome.Type

const iso = (date: Date) => date.toISOString()

const accountJson = (account: Account): AccountBody => ({
  id: account.accountId,
  finch_connection_id: Option.getOrNull(account.finchConnectionId),
  status: account.status,
  products: [...account.products],
  entity_ids: [...account.entityIds],
  authentication_method: Option.getOrNull(account.authenticationMethod),
  username: Option.getOrNull(account.username),
  connected_at: iso(account.connectedAt),
  updated_at: iso(account.updatedAt),
})

const isoOrNull = (date: Option.Option<Date>) => Option.getOrNull(Option.map(date, iso))

const lastSyncJson = (sync: EndedSync): typeof LastSyncBody.Type => ({
  id: sync.id,
  status: sync.status,
  requested_at: iso(sync.requestedAt),
  started_at: isoOrNull(sync.startedAt),
  finished_at: iso(sync.finishedAt),
})

const currentSyncJson = (sync: PendingSync): typeof CurrentSyncBody.Type => ({
  id: sync.id,
  status: sync.status,
  requested_at: iso(sync.requestedAt),
  started_at: isoOrNull(sync.startedAt),
  retry_at: isoOrNull(sync.retryAt),
})

/** A listed connection's JSON, with its newest ended sync and the one queued or running now. */
export const toJson = (listed: ListedConnection): ConnectionBody => {
  const { connection } = listed
  return {
    id: connection.id,
    provider_id: connection.providerId,
    company_id: connection.companyId,
    status: connection.status,
    accounts: connection.accounts.map(accountJson),
    entities: connection.entities.map((entity) => ({
      id: entity.id,
      name: Option.getOrNull(entity.name),
      status: Option.getOrNull(entity.status),
    })),
    products: [...connection.products],
    created_at: iso(connection.createdAt),
    updated_at: iso(connection.updatedAt),
    reauth_required_at: isoOrNull(connection.reauthRequiredAt),
    disconnected_at: isoOrNull(connection.disconnectedAt),
    last_sync: Option.getOrNull(Option.map(listed.lastSync, lastSyncJson)),
    current_sync: Option.getOrNull(Option.map(currentSync(listed), currentSyncJson)),
  }
}

/** The outcome's name for a recorded token (`OwnedByAnotherCustomer` never gets here: it is an error). */
export const outcomeOf = (recorded: TokenRecorded): Outcome => {
  switch (recorded.classification) {
    case "NewConnection":
      return "connection_created"
    case "NewAccount":
      return "account_added"
    default:
      return "token_replaced"
  }
}
