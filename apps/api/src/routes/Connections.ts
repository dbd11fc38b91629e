/**
 * A customer's connections: completing Connect with a code (embedded flow), listing and reading them,
 * reauthenticating and disconnecting. Every answer's JSON comes from `json/ConnectionJson.ts`.
 */

import * as Connections from "@finch-connections/core/Connections"
import { AccountId, EntityId } from "@finch-connections/core/Ids"
import { Effect, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import * as ConnectionCommands from "../ConnectionCommands.ts"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as ConnectionJson from "../json/ConnectionJson.ts"
import { ConnectionPath, CustomerPath } from "../Params.ts"
import { cachedJson } from "../ResponseCache.ts"
import { requestSyncOf } from "../SyncRequests.ts"
import { noBody, SafeText, validate } from "../Validation.ts"
import { HttpUrl } from "./Connect.ts"
import * as Responses from "./Responses.ts"

const CompleteConnectBody = Schema.Struct({
  code: SafeText.pipe(Schema.minLength(1), Schema.maxLength(2048)).annotations({
    description: "the authorization code Finch Connect returned",
  }),
  redirect_uri: Schema.optional(HttpUrl).annotations({ description: "the session's redirect URI, if it had one" }),
}).annotations({ identifier: "CompleteConnect" })

const ConnectionCompleted = Schema.Struct({
  connection: ConnectionJson.ConnectionBody,
  outcome: ConnectionJson.Outcome,
}).annotations({ identifier: "ConnectionCompleted" })

const ConnectionList = Schema.Struct({ connections: Schema.Array(ConnectionJson.ConnectionBody) }).annotations({
  identifier: "ConnectionList",
})

const AccountIdText = Schema.compose(SafeText, AccountId)
const EntityIdText = Schema.compose(SafeText, EntityId)

const ReauthenticateBody = Schema.Struct({
  account_id: Schema.optional(AccountIdText).annotations({
    description: "the account (login) to reauthenticate; default: the one that needs it",
  }),
  redirect_uri: Schema.optional(HttpUrl),
}).annotations({ identifier: "Reauthenticate" })

const ReauthenticationStarted = Schema.Struct({
  session_id: Schema.String,
  connect_url: Schema.String,
  kind: Schema.Literal("reauthenticate", "connect").annotations({
    description: "`reauthenticate` keeps Finch's connection; `connect` for connections made before Finch had ids",
  }),
}).annotations({ identifier: "ReauthenticationStarted" })

const DisconnectQuery = Schema.Struct({
  account_id: Schema.optional(AccountIdText),
  entity_id: Schema.optional(EntityIdText),
})

/** The connections router. */
export const routes = (runtime: ApiRuntime) =>
  new Hono<ApiEnv>()
    .post(
      "/v1/customers/:customer_id/connections",
      describeRoute({
        tags: ["connections"],
        summary: "Complete Finch Connect with a code (embedded flow)",
        responses: {
          201: Responses.ok("the token was recorded", ConnectionCompleted),
          400: Responses.error("`invalid_code` or `invalid_request`"),
          ...Responses.customerScoped,
          409: Responses.error("`connection_owned_by_another_customer` or `foreign_connect_session`"),
          502: Responses.error("`finch_unavailable`"),
        },
      }),
      validate("param", CustomerPath),
      validate("json", CompleteConnectBody),
      (c) => {
        const body = c.req.valid("json")
        return runEffect(
          runtime,
          c,
          Connections.completeConnect({
            customerId: c.req.valid("param").customer_id,
            code: body.code,
            ...(body.redirect_uri === undefined ? {} : { redirectUri: body.redirect_uri }),
          }).pipe(
            Effect.tap(requestSyncOf),
            // Read back with its syncs: the one just requested, and a reauthenticated connection's earlier ones.
            Effect.flatMap((recorded) =>
              Effect.map(
                Connections.getConnectionWithSync(recorded.connection.customerId, recorded.connection.id),
                (listed) => ({ recorded, listed }),
              ),
            ),
          ),
          ({ recorded, listed }) =>
            c.json({ connection: ConnectionJson.toJson(listed), outcome: ConnectionJson.outcomeOf(recorded) }, 201),
        )
      },
    )
    .get(
      "/v1/customers/:customer_id/connections",
      describeRoute({
        tags: ["connections"],
        summary: "List the customer's connections, newest first",
        responses: { 200: Responses.ok("the connections", ConnectionList), ...Responses.customerScoped },
      }),
      validate("param", CustomerPath),
      (c) => {
        const customerId = c.req.valid("param").customer_id
        return cachedJson(
          runtime,
          c,
          { customerId, route: "connections" },
          () => Connections.listConnectionsWithSyncs(customerId),
          (listed) => ({ connections: listed.map(ConnectionJson.toJson) }),
        )
      },
    )
    .get(
      "/v1/customers/:customer_id/connections/:connection_id",
      describeRoute({
        tags: ["connections"],
        summary: "Read one connection",
        responses: { 200: Responses.ok("the connection", ConnectionJson.ConnectionBody), ...Responses.customerScoped },
      }),
      validate("param", ConnectionPath),
      (c) => {
        const { customer_id, connection_id } = c.req.valid("param")
        return cachedJson(
          runtime,
          c,
          { customerId: customer_id, route: `connections/${connection_id}` },
          () => Connections.getConnectionWithSync(customer_id, connection_id),
          ConnectionJson.toJson,
        )
      },
    )
    .post(
      "/v1/customers/:customer_id/connections/:connection_id/reauthenticate",
      describeRoute({
        tags: ["connections"],
        summary: "Open Finch's reauthentication session for the connection",
        responses: {
          201: Responses.ok("the session", ReauthenticationStarted),
          ...Responses.customerScoped,
          409: Responses.error("`illegal_transition`: the connection is disconnected"),
          502: Responses.error("`finch_unavailable`"),
        },
      }),
      validate("param", ConnectionPath),
      validate("json", ReauthenticateBody),
      (c) => {
        const { customer_id, connection_id } = c.req.valid("param")
        const body = c.req.valid("json")
        return runEffect(
          runtime,
          c,
          ConnectionCommands.reauthenticate({
            customerId: customer_id,
            connectionId: connection_id,
            accountId: body.account_id,
            redirectUri: body.redirect_uri,
          }),
          (started) =>
            c.json(
              { session_id: started.session.sessionId, connect_url: started.session.connectUrl, kind: started.kind },
              201,
            ),
        )
      },
    )
    .delete(
      "/v1/customers/:customer_id/connections/:connection_id",
      describeRoute({
        tags: ["connections"],
        summary: "Disconnect at Finch, then destroy the tokens",
        description: "`account_id` or `entity_id` name one account or entity of the connection.",
        responses: {
          204: { description: "disconnected" },
          ...Responses.customerScoped,
          409: Responses.error("`illegal_transition`: already disconnected"),
          502: Responses.error("`finch_unavailable`"),
        },
      }),
      noBody,
      validate("param", ConnectionPath),
      validate("query", DisconnectQuery),
      (c) => {
        const { customer_id, connection_id } = c.req.valid("param")
        const query = c.req.valid("query")
        return runEffect(
          runtime,
          c,
          ConnectionCommands.disconnect({
            customerId: customer_id,
            connectionId: connection_id,
            accountId: query.account_id,
            entityId: query.entity_id,
          }),
          () => c.body(null, 204),
        )
      },
    )
