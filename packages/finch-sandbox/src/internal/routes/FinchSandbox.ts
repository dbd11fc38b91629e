/**
 * Finch's own sandbox endpoints (reference §9): create connections and second logins, change a connection's
 * status, configure and run data-sync jobs.
 */
import { Hono } from "hono"
import * as Errors from "../Errors.ts"
import * as Guards from "../Guards.ts"
import { startDataSync } from "../Jobs.ts"
import { type Account, type Connection, type ConnectionState, defaultEmployeeSize } from "../State.ts"
import { type AuthenticationType, products as allProducts, connectionStatuses } from "../Wire.ts"
import type { SandboxEnv, World } from "../World.ts"

/** Products a sandbox connection gets when none are named (Finch: the organization products). */
export const defaultProducts = ["company", "directory", "individual", "employment"]
export const maxEmployeeSize = 100_000

const authenticationTypes: ReadonlyArray<AuthenticationType> = ["api_token", "assisted", "credential", "oauth"]
const completionStatuses = ["complete", "reauth_error", "permissions_error", "error"] as const

export const parseAuthentication = (body: Record<string, unknown>): AuthenticationType | undefined => {
  const value = Guards.optionalString(body, "authentication_type")
  if (value === undefined) return undefined
  if (!(authenticationTypes as ReadonlyArray<string>).includes(value)) {
    throw Errors.invalidRequest(`[body:authentication_type]: '${value}' is not valid`)
  }
  return value as AuthenticationType
}

export const parseProducts = (body: Record<string, unknown>): Array<string> => {
  const value = Guards.optionalStrings(body, "products") ?? defaultProducts
  for (const product of value) {
    if (!(allProducts as ReadonlyArray<string>).includes(product)) {
      throw Errors.invalidRequest(`[body:products]: '${product}' is not a valid product`)
    }
  }
  return [...new Set(value)]
}

export const parseEmployeeSize = (body: Record<string, unknown>) => {
  const size = Guards.optionalNumber(body, "employee_size") ?? Guards.optionalNumber(body, "employer_size")
  if (size === undefined) return defaultEmployeeSize
  if (!Number.isInteger(size) || size < 1 || size > maxEmployeeSize) {
    throw Errors.invalidRequest(`[body:employee_size]: must be an integer between 1 and ${maxEmployeeSize}`)
  }
  return size
}

/** The status a request names; Finch's support articles also use `error_reauth` for `reauth`. */
export const parseStatus = (value: unknown): ConnectionState => {
  const status = value === "error_reauth" ? "reauth" : value
  if (typeof status !== "string" || !(connectionStatuses as ReadonlyArray<string>).includes(status)) {
    throw Errors.invalidRequest(`[body:connection_status]: must be one of ${connectionStatuses.join(", ")}`)
  }
  return status as ConnectionState
}

const accountView = (connection: Connection, account: Account) => ({
  account_id: account.id,
  authentication_type: account.authentication_type,
  company_id: connection.company_id,
  connection_id: connection.id,
  entity_id: connection.entity_ids[0] ?? "",
  products: [...account.products],
  provider_id: connection.provider_id,
})

export const finchSandbox = (world: World) => {
  const app = new Hono<SandboxEnv>()
  const state = world.state

  app.post("/sandbox/connections", async (c) => {
    Guards.basic(c, world)
    const body = await Guards.objectBody(c)
    const provider_id = Guards.requiredString(body, "provider_id")
    if (!state.providers.has(provider_id))
      throw Errors.invalidRequest(`[body:provider_id]: unknown provider '${provider_id}'`)
    const products = parseProducts(body)
    const company = state.newCompany(provider_id, parseEmployeeSize(body))
    const { connection, account } = state.connect({
      customer_id: null,
      provider_id,
      company,
      username: null,
      products,
      authentication_type: parseAuthentication(body) ?? null,
    })
    const token = state.mintToken(connection, account, products, connection.entity_ids)
    return c.json({
      access_token: token.access_token,
      token_type: "bearer",
      ...accountView(connection, account),
      company_id: state.reportsCompanyId(company) ? company.id : null,
    })
  })

  app.post("/sandbox/connections/accounts", async (c) => {
    Guards.basic(c, world)
    const body = await Guards.objectBody(c)
    const company_id = Guards.requiredString(body, "company_id")
    const provider_id = Guards.requiredString(body, "provider_id")
    const company = state.companies.get(company_id)
    if (company === undefined || company.provider_id !== provider_id) {
      throw Errors.invalidRequest(`No company '${company_id}' at provider '${provider_id}'`)
    }
    const products = parseProducts(body)
    const live = [...state.connections.values()].filter(
      (connection) =>
        connection.company_id === company_id &&
        connection.provider_id === provider_id &&
        connection.status !== "disconnected",
    )
    const logins = live.reduce((count, connection) => count + connection.accounts.length, 0)
    // A second login to the same company, for the customer of the first: same company_id and a new account_id; a new
    // connection_id in the current model, the first login's connection in the legacy one.
    const { connection, account } = state.connect({
      customer_id: live[0]?.customer_id ?? null,
      customer_name: live[0]?.customer_name ?? null,
      customer_email: live[0]?.customer_email ?? null,
      provider_id,
      company,
      username: `sandbox_account_${logins + 1}`,
      products,
      authentication_type: parseAuthentication(body) ?? null,
    })
    const token = state.mintToken(connection, account, products, connection.entity_ids)
    return c.json({ access_token: token.access_token, token_type: "bearer", ...accountView(connection, account) })
  })

  app.put("/sandbox/connections/accounts", async (c) => {
    const { token, connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    if (body["connection_status"] !== undefined) state.setStatus(connection, parseStatus(body["connection_status"]))
    const account = connection.accounts.find((candidate) => candidate.id === token.account_id)
    if (account === undefined) throw Errors.invalidToken()
    return c.json(accountView(connection, account))
  })

  app.put("/sandbox/company", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    return c.json(world.writes.updateCompany(state.companyOf(connection), body))
  })

  app.post("/sandbox/directory", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.jsonBody(c)
    const items = body === undefined ? [] : body
    if (!Array.isArray(items) || !items.every(Guards.isRecord)) {
      throw Errors.invalidRequest("The request body must be a JSON array of individuals")
    }
    return c.json(world.writes.addEmployees(state.companyOf(connection), items, state.ids, state.options.today))
  })

  app.put("/sandbox/individual/:individual_id", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    return c.json(world.writes.updateIndividual(state.companyOf(connection), c.req.param("individual_id"), body))
  })

  app.put("/sandbox/employment/:individual_id", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    return c.json(world.writes.updateEmployment(state.companyOf(connection), c.req.param("individual_id"), body))
  })

  app.post("/sandbox/payment", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    return c.json(world.writes.addPayment(state.companyOf(connection), body, state.ids, state.options.today))
  })

  app.get("/sandbox/jobs/configuration", (c) => {
    const { connection } = Guards.bearer(c, world)
    return c.json([{ type: "data_sync_all", completion_status: connection.jobCompletionStatus }])
  })

  app.put("/sandbox/jobs/configuration", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    if (body["type"] !== "data_sync_all") throw Errors.invalidRequest("[body:type]: must be 'data_sync_all'")
    const completion = body["completion_status"]
    if (!completionStatuses.includes(completion as (typeof completionStatuses)[number])) {
      throw Errors.invalidRequest(`[body:completion_status]: must be one of ${completionStatuses.join(", ")}`)
    }
    connection.jobCompletionStatus = completion as (typeof completionStatuses)[number]
    return c.json({ type: "data_sync_all", completion_status: connection.jobCompletionStatus })
  })

  app.post("/sandbox/jobs", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    if (body["type"] !== "data_sync_all") throw Errors.invalidRequest("[body:type]: must be 'data_sync_all'")
    const result = startDataSync(world, connection)
    return c.json(result.body, result.status)
  })

  return app
}
