/**
 * Reauthentication and disconnection as the API offers them: per account (`account_id`), per entity (`entity_id`) or
 * for the whole connection, each core's use case; an account or entity the connection does not have is core's
 * `AccountNotFound` / `EntityNotFound` (404).
 */
import * as Connections from "@finch-connections/core/Connections"
import { AccountId, type ConnectionId, type CustomerId, EntityId } from "@finch-connections/core/Ids"
import { Effect } from "effect"
import { withSignedState } from "./ConnectState.ts"

/**
 * Opens the reauthentication session for the named account, else for the one that needs it. In the redirect flow
 * the Connect URL carries our signed state naming that login, so the callback replaces that account's token only.
 */
export const reauthenticate = (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: string | undefined
  readonly redirectUri?: string | undefined
}) =>
  Connections.startReauthentication({
    customerId: input.customerId,
    connectionId: input.connectionId,
    ...(input.accountId === undefined ? {} : { accountId: AccountId.make(input.accountId) }),
    ...(input.redirectUri === undefined ? {} : { redirectUri: input.redirectUri }),
  }).pipe(
    Effect.flatMap((started) => {
      const redirectUri = input.redirectUri
      if (redirectUri === undefined) return Effect.succeed(started)
      return Effect.map(
        withSignedState(started.session.connectUrl, {
          customerId: input.customerId,
          redirectUri,
          reauthenticating: { connectionId: input.connectionId, accountId: started.accountId },
        }),
        (connectUrl) => ({ ...started, session: { ...started.session, connectUrl } }),
      )
    }),
    Effect.withSpan("ConnectionCommands.reauthenticate"),
  )

/** Disconnects one entity, one account, or the whole connection at Finch, then destroys the ended tokens. */
export const disconnect = (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: string | undefined
  readonly entityId?: string | undefined
}) =>
  (input.entityId !== undefined
    ? Connections.disconnectEntity({
        customerId: input.customerId,
        connectionId: input.connectionId,
        entityId: EntityId.make(input.entityId),
        source: "user",
      })
    : Connections.disconnect({
        customerId: input.customerId,
        connectionId: input.connectionId,
        ...(input.accountId === undefined ? {} : { accountId: AccountId.make(input.accountId) }),
        source: "user",
      })
  ).pipe(Effect.asVoid, Effect.withSpan("ConnectionCommands.disconnect"))
