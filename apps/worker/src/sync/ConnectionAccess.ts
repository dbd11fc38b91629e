/**
 * The worker's one use of core's connection model: which token a sync uses, what a 401 does, and how a connection's
 * status is checked, in one module.
 */
import type { Account, ConnectionNotFound, NoUsableToken } from "@finch-connections/core/Connection"
import type { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import type { ConnectionId, CustomerId, EntityId } from "@finch-connections/core/Ids"
import type { Product } from "@finch-connections/core/Product"
import type { TokenUnreadable } from "@finch-connections/core/TokenVault"
import { type Effect, Option, type Redacted } from "effect"

/** The entities a sync reads one by one: each of a multi-entity connection's, or the connection as a whole. */
export const entitiesOf = (connection: { readonly entities: ReadonlyArray<{ readonly id: EntityId }> }) =>
  connection.entities.length > 1 ? connection.entities.map((entity) => Option.some(entity.id)) : [Option.none()]

/**
 * Runs `use` with a working token of the connection that has `products` and reaches `entityId` (core's token
 * selection). When Finch refuses a token (401 `reauthenticate_user`, or another 401), core marks that account
 * (`reauth_required` or `revoked`, audited) and runs `use` again with the next working account, never the refused
 * one; when none is left, Finch's refusal is the failure.
 */
export const withSyncToken = <A, E, R>(
  customerId: CustomerId,
  connectionId: ConnectionId,
  products: ReadonlyArray<Product>,
  entityId: Option.Option<EntityId>,
  use: (token: Redacted.Redacted<string>, account: Account) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | ConnectionNotFound | NoUsableToken | TokenUnreadable, R | ConnectionRepository> =>
  Connections.withAccessToken(
    customerId,
    connectionId,
    products,
    use,
    Option.match(entityId, {
      onNone: () => ({}),
      onSome: (id) => ({ entityId: id }),
    }),
  )

/** Asks Finch how the connection is doing (`/introspect`) and records what it says (core's use case). */
export const checkConnection = (customerId: CustomerId, connectionId: ConnectionId) =>
  Connections.refreshConnectionStatus(customerId, connectionId)
