/**
 * The worker's one use of core's connection model: which token a sync uses, what a 401 does, and how a connection's
 * status is checked. Kept in one module because the model is changing (issue 12: one account per Finch connection,
 * token selection by entity); adapting the worker to it is a change here only.
 */
import type { Account, ConnectionNotFound, NoUsableToken } from "@finch-connections/core/Connection"
import type { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import * as Connections from "@finch-connections/core/Connections"
import { FinchReauthRequired } from "@finch-connections/core/FinchError"
import type { ConnectionId, CustomerId, EntityId } from "@finch-connections/core/Ids"
import type { Product } from "@finch-connections/core/Product"
import type { TokenUnreadable } from "@finch-connections/core/TokenVault"
import { Effect, Option, type Redacted } from "effect"

/** The entities a sync reads one by one: each of a multi-entity connection's, or the connection as a whole. */
export const entitiesOf = (connection: { readonly entities: ReadonlyArray<{ readonly id: EntityId }> }) =>
  connection.entities.length > 1 ? connection.entities.map((entity) => Option.some(entity.id)) : [Option.none()]

/**
 * Runs `use` with a working token of the connection that has `products` (core's token selection). A 401
 * `reauthenticate_user` marks that account `reauth_required` (core's `withAccessToken` does, with its audit event)
 * and `use` starts again with the next working account; when none is left, the last 401 is the failure. A token is
 * never used again once Finch refused it.
 *
 * `entityId` is the entity `use` reads; core's token selection will take it (issue 12), today every account of the
 * connection reaches every entity.
 */
export const withSyncToken = <A, E, R>(
  customerId: CustomerId,
  connectionId: ConnectionId,
  products: ReadonlyArray<Product>,
  _entityId: Option.Option<EntityId>,
  use: (token: Redacted.Redacted<string>, account: Account) => Effect.Effect<A, E, R>,
) => {
  const attempt = (
    refused: ReadonlySet<string>,
    lastRefusal: Option.Option<FinchReauthRequired>,
  ): Effect.Effect<
    A,
    E | FinchReauthRequired | ConnectionNotFound | NoUsableToken | TokenUnreadable,
    R | ConnectionRepository
  > =>
    Effect.gen(function* () {
      let account: Account | undefined
      const outcome = yield* Effect.either(
        Connections.withAccessToken(
          customerId,
          connectionId,
          products,
          (token, chosen): Effect.Effect<A, E | FinchReauthRequired, R> => {
            account = chosen
            // A token Finch already refused is never tried again, whatever the store still offers.
            return refused.has(chosen.accountId) && Option.isSome(lastRefusal)
              ? Effect.fail(lastRefusal.value)
              : use(token, chosen)
          },
        ),
      )
      if (outcome._tag === "Right") return outcome.right
      const error = outcome.left
      if (error instanceof FinchReauthRequired && account !== undefined && !refused.has(account.accountId)) {
        yield* Effect.logWarning("token refused: account needs reauthentication; trying another").pipe(
          Effect.annotateLogs({ customerId, connectionId, accountId: account.accountId }),
        )
        return yield* attempt(new Set([...refused, account.accountId]), Option.some(error))
      }
      if (isNoUsableToken(error) && Option.isSome(lastRefusal)) return yield* Effect.fail(lastRefusal.value)
      return yield* Effect.fail(error)
    })
  return attempt(new Set(), Option.none())
}

const isNoUsableToken = (error: unknown): error is NoUsableToken =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "NoUsableToken"

/** Asks Finch how the connection is doing (`/introspect`) and records what it says (core's use case). */
export const checkConnection = (customerId: CustomerId, connectionId: ConnectionId) =>
  Connections.refreshConnectionStatus(customerId, connectionId)
