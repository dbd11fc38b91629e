/** The token's own account: `/introspect`, `/disconnect`, `/disconnect-entity` and `/providers` (reference §3–4). */
import { Hono } from "hono"
import * as Errors from "../Errors.ts"
import * as Guards from "../Guards.ts"
import { toWire } from "../Providers.ts"
import type { Connection, Token } from "../State.ts"
import type { ConnectionStatus, ConnectionStatusType, Introspection } from "../Wire.ts"
import type { SandboxEnv, World } from "../World.ts"

const statusMessages: Readonly<Record<ConnectionStatusType, string>> = {
  pending: "This employer has created a token, and we are waiting for access to its provider",
  processing: "Finch has access to the provider and is pulling data for the first time",
  connected: "This connection is working as expected",
  error_no_account_setup: "The employer has not added Finch to its provider yet",
  error_permissions: "Finch was added to the provider with insufficient permissions",
  reauth: "This employer needs to re-authenticate",
}

const connectionStatus = (connection: Connection): ConnectionStatus => {
  const status = connection.status === "disconnected" ? "reauth" : connection.status
  return { status, last_successful_sync: connection.lastSuccessfulSync, message: statusMessages[status] }
}

/** `GET /introspect` for a token (SDK 10.8.1 shape, with the deprecated fields Finch still sends). */
export const introspection = (world: World, token: Token, connection: Connection): Introspection => {
  const company = world.state.companyOf(connection)
  const account = connection.accounts.find((candidate) => candidate.id === token.account_id)
  const status = connectionStatus(connection)
  const authentication_type = account?.authentication_type ?? "credential"
  return {
    id: token.id,
    client_id: world.clientId,
    client_type: world.state.options.clientType,
    connection_id: connection.id,
    connection_status: status,
    connection_type: connection.connection_type,
    products: [...token.products],
    provider_id: connection.provider_id,
    account_id: token.account_id,
    ...(world.state.reportsCompanyId(company) ? { company_id: company.id } : {}),
    payroll_provider_id: connection.provider_id,
    authentication_methods: [{ type: authentication_type, connection_status: status, products: [...token.products] }],
    customer_id: connection.customer_id,
    customer_name: connection.customer_name,
    customer_email: connection.customer_email,
    entities: company.entities
      .filter((entity) => token.entity_ids.includes(entity.id))
      .map((entity) => ({
        id: entity.id,
        name: entity.name,
        source_id: entity.source_id,
        status: connection.entity_ids.includes(entity.id) ? status.status : "disconnected",
      })),
    manual: authentication_type === "assisted",
    username: account?.username ?? null,
  }
}

export const account = (world: World) => {
  const app = new Hono<SandboxEnv>()

  app.get("/introspect", (c) => {
    const { token, connection } = Guards.bearer(c, world)
    return c.json(introspection(world, token, connection))
  })

  app.post("/disconnect", (c) => {
    const { connection } = Guards.bearer(c, world)
    world.state.disconnect(connection)
    return c.json({ status: "success" })
  })

  app.post("/disconnect-entity", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    const entity_ids = Guards.optionalStrings(body, "entity_ids")
    if (entity_ids === undefined || entity_ids.length === 0) {
      throw Errors.invalidRequest("[body:entity_ids]: at least one entity id is required")
    }
    for (const id of entity_ids) {
      if (!connection.entity_ids.includes(id))
        throw Errors.invalidRequest(`entity '${id}' is not part of this connection`)
    }
    connection.entity_ids = connection.entity_ids.filter((id) => !entity_ids.includes(id))
    if (connection.entity_ids.length === 0) world.state.disconnect(connection)
    return c.json({ status: "success" })
  })

  app.get("/providers", (c) => c.json([...world.state.providers.values()].map(toWire)))

  return app
}
