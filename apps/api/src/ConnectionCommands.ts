/**
 * Reauthentication and disconnection as the API offers them: per account (`account_id`), per entity (`entity_id`) or
 * for the whole connection. The named account or entity must belong to the connection (404 otherwise).
 *
 * TODO(issue 12): today core reauthenticates and disconnects whole connections only; once it takes an account (and an
 * entity for disconnect), pass `accountId`/`entityId` through instead of acting on the whole connection.
 */
import type { ConnectionNotFound } from "@finch-connections/core/Connection"
import * as Connections from "@finch-connections/core/Connections"
import type { ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Effect, Schema } from "effect"

/** The connection has no account with that id. */
export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  connectionId: Schema.String,
  accountId: Schema.String,
}) {}

/** The connection reaches no entity with that id. */
export class EntityNotFound extends Schema.TaggedError<EntityNotFound>()("EntityNotFound", {
  connectionId: Schema.String,
  entityId: Schema.String,
}) {}

const checkScope = (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: string | undefined
  readonly entityId?: string | undefined
}) =>
  Effect.gen(function* () {
    const connection = yield* Connections.getConnection(input.customerId, input.connectionId)
    if (input.accountId !== undefined && !connection.accounts.some((a) => a.accountId === input.accountId)) {
      return yield* new AccountNotFound({ connectionId: connection.id, accountId: input.accountId })
    }
    if (input.entityId !== undefined && !connection.entities.some((e) => e.id === input.entityId)) {
      return yield* new EntityNotFound({ connectionId: connection.id, entityId: input.entityId })
    }
    return connection
  })

/** Opens the reauthentication session for the connection (named account: see the module's TODO). */
export const reauthenticate = (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: string | undefined
  readonly redirectUri?: string | undefined
}) =>
  Effect.zipRight(
    checkScope(input),
    Connections.startReauthentication({
      customerId: input.customerId,
      connectionId: input.connectionId,
      ...(input.redirectUri === undefined ? {} : { redirectUri: input.redirectUri }),
    }),
  ).pipe(Effect.withSpan("ConnectionCommands.reauthenticate"))

/** Disconnects at Finch, then destroys the tokens (named account or entity: see the module's TODO). */
export const disconnect = (input: {
  readonly customerId: CustomerId
  readonly connectionId: ConnectionId
  readonly accountId?: string | undefined
  readonly entityId?: string | undefined
}): Effect.Effect<
  void,
  | ConnectionNotFound
  | AccountNotFound
  | EntityNotFound
  | Effect.Effect.Error<ReturnType<typeof Connections.disconnect>>,
  Effect.Effect.Context<ReturnType<typeof Connections.disconnect>>
> =>
  Effect.zipRight(
    checkScope(input),
    Connections.disconnect({ customerId: input.customerId, connectionId: input.connectionId, source: "user" }),
  ).pipe(Effect.asVoid, Effect.withSpan("ConnectionCommands.disconnect"))
