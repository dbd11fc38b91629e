/** Token acquisition: Connect sessions, the Connect page and `POST /auth/token` (reference §2). */
import { Hono } from "hono"
import { type Completion, completeSession, openSession } from "../Connect.ts"
import * as Errors from "../Errors.ts"
import * as Guards from "../Guards.ts"
import { connectedPage, connectPage, errorPage, loginReachesChoice } from "../Pages.ts"
import type { Session } from "../State.ts"
import { type AuthenticationType, products as allProducts, type CreateAccessTokenResponse } from "../Wire.ts"
import type { SandboxEnv, World } from "../World.ts"

const authMethods: ReadonlyArray<AuthenticationType> = ["assisted", "credential", "oauth", "api_token"]

const parseProducts = (body: Record<string, unknown>, required: boolean): Array<string> | null => {
  const value = Guards.optionalStrings(body, "products")
  if (value === undefined) {
    if (required) throw Errors.invalidRequest("[body:products]: is required")
    return null
  }
  if (required && value.length === 0) throw Errors.invalidRequest("[body:products]: must not be empty")
  for (const product of value) {
    if (!(allProducts as ReadonlyArray<string>).includes(product)) {
      throw Errors.invalidRequest(`[body:products]: '${product}' is not a valid product`)
    }
  }
  if (value.includes("benefits") && value.includes("deduction")) {
    throw Errors.invalidRequest("[body:products]: 'deduction' is an alias of 'benefits'; request only one")
  }
  return [...new Set(value)]
}

const parseExpiry = (body: Record<string, unknown>, fallback: number) => {
  const minutes = Guards.optionalNumber(body, "minutes_to_expire") ?? fallback
  if (minutes < 1 || minutes > 129_600) {
    throw Errors.invalidRequest("[body:minutes_to_expire]: must be between 1 and 129600")
  }
  return minutes
}

const parseRedirect = (body: Record<string, unknown>) => {
  const redirect = Guards.optionalString(body, "redirect_uri")
  if (redirect === undefined) return null
  if (!URL.canParse(redirect)) throw Errors.invalidRequest("[body:redirect_uri]: must be an absolute URL")
  return redirect
}

export const connect = (world: World) => {
  const app = new Hono<SandboxEnv>()
  const connectUrl = (session: Session) => `${world.baseUrl}/authorize?session=${session.id}`

  app.post("/connect/sessions", async (c) => {
    Guards.basic(c, world)
    const body = await Guards.objectBody(c)
    const customer_id = Guards.requiredString(body, "customer_id")
    const customer_name = Guards.requiredString(body, "customer_name")
    const products = parseProducts(body, true)
    const customer_email = Guards.optionalString(body, "customer_email") ?? null
    const minutes = parseExpiry(body, 129_600)
    const redirect_uri = parseRedirect(body)
    const integration = body["integration"]
    let provider_id: string | null = null
    let authentication_type: AuthenticationType | null = null
    if (integration !== undefined && integration !== null) {
      if (!Guards.isRecord(integration)) throw Errors.invalidRequest("[body:integration]: must be an object")
      provider_id = Guards.requiredString(integration, "provider")
      if (!world.state.providers.has(provider_id)) {
        throw Errors.invalidRequest(`[body:integration.provider]: unknown provider '${provider_id}'`)
      }
      const method = Guards.optionalString(integration, "auth_method")
      if (method !== undefined) {
        if (!(authMethods as ReadonlyArray<string>).includes(method)) {
          throw Errors.invalidRequest(`[body:integration.auth_method]: '${method}' is not valid`)
        }
        authentication_type = method as AuthenticationType
      }
    }
    const sandbox = Guards.optionalString(body, "sandbox") ?? null
    if (sandbox !== null && sandbox !== "finch" && sandbox !== "provider") {
      throw Errors.invalidRequest("[body:sandbox]: must be 'finch' or 'provider'")
    }
    const session: Session = {
      id: world.state.ids.uuid(),
      kind: "new",
      customer_id,
      customer_name,
      customer_email,
      products,
      redirect_uri,
      provider_id,
      authentication_type,
      sandbox,
      manual: body["manual"] === true,
      connection_id: null,
      expiresAt: world.state.options.clock.now() + minutes * 60_000,
      completed: false,
    }
    world.state.sessions.set(session.id, session)
    return c.json({ session_id: session.id, connect_url: connectUrl(session) }, 201)
  })

  app.post("/connect/sessions/reauthenticate", async (c) => {
    Guards.basic(c, world)
    const body = await Guards.objectBody(c)
    const connection_id = Guards.requiredString(body, "connection_id")
    const connection = world.state.connections.get(connection_id)
    if (connection === undefined || connection.status === "disconnected") {
      throw Errors.notFound(`Connection '${connection_id}' was not found`)
    }
    const session: Session = {
      id: world.state.ids.uuid(),
      kind: "reauthenticate",
      customer_id: connection.customer_id,
      customer_name: connection.customer_name,
      customer_email: connection.customer_email,
      products: parseProducts(body, false),
      redirect_uri: parseRedirect(body),
      provider_id: connection.provider_id,
      authentication_type: null,
      sandbox: null,
      manual: true,
      connection_id,
      expiresAt: world.state.options.clock.now() + parseExpiry(body, 43_200) * 60_000,
      completed: false,
    }
    world.state.sessions.set(session.id, session)
    return c.json({ session_id: session.id, connect_url: connectUrl(session) }, 201)
  })

  // The Connect pages are for people: their failures are pages too, with Finch's status code.
  const page = new Hono<SandboxEnv>()
  page.onError((error, c) => {
    const status = error instanceof Errors.FinchFailure ? error.status : 500
    return c.html(errorPage(error.message), status as 400)
  })

  page.get("/authorize", (c) => {
    const session = openSession(world, c.req.query("session"))
    return c.html(connectPage(world, session, { state: c.req.query("state") }))
  })

  page.post("/authorize", async (c) => {
    const form = await c.req.parseBody({ all: true })
    const field = (name: string) => {
      const value = form[name]
      const first = Array.isArray(value) ? value[0] : value
      return typeof first === "string" && first !== "" ? first : undefined
    }
    const session = openSession(world, field("session"))
    const entities = form["entity_ids"]
    const company = field("company_id") === undefined ? undefined : world.state.companies.get(field("company_id") ?? "")
    // The picker lists every company's entities; keep the ones of the company chosen.
    const chosenEntities =
      entities === undefined
        ? undefined
        : (Array.isArray(entities) ? entities : [entities])
            .filter((value) => typeof value === "string")
            .filter((id) => company === undefined || company.entities.some((entity) => entity.id === id))
    const choice: Completion = {
      provider_id: field("provider_id"),
      company_id: field("company_id"),
      username: field("username"),
      password: field("password") ?? "",
      state: field("state"),
      entity_ids: chosenEntities === undefined || chosenEntities.length === 0 ? undefined : chosenEntities,
    }
    const pick = loginReachesChoice(world, session, choice)
    if (pick !== undefined) return c.html(pick)
    const completed = completeSession(world, session, choice)
    if (completed.redirect_url !== null) return c.redirect(completed.redirect_url, 302)
    return c.html(connectedPage(completed.code))
  })
  app.route("/", page)

  app.post("/auth/token", async (c) => {
    const body = await Guards.objectBody(c)
    let clientId = Guards.optionalString(body, "client_id")
    let clientSecret = Guards.optionalString(body, "client_secret")
    const header = c.req.header("authorization")
    if (clientId === undefined && header?.toLowerCase().startsWith("basic ")) {
      const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8")
      clientId = decoded.slice(0, decoded.indexOf(":"))
      clientSecret = decoded.slice(decoded.indexOf(":") + 1)
    }
    if (!Guards.isClient(world, clientId, clientSecret)) throw Errors.invalidClient()
    const codeValue = Guards.optionalString(body, "code")
    if (codeValue === undefined) throw Errors.invalidRequest("[body:code]: is required")
    const code = world.state.codes.get(codeValue)
    if (code === undefined || code.used || world.state.options.clock.now() > code.expiresAt) throw Errors.invalidGrant()
    const redirect = Guards.optionalString(body, "redirect_uri")
    if (redirect !== undefined && redirect !== code.redirect_uri) {
      throw Errors.invalidGrant("The redirect_uri does not match the one used for this authorization")
    }
    code.used = true
    const connection = world.state.connections.get(code.connection_id)
    const account = connection?.accounts.find((candidate) => candidate.id === code.account_id)
    if (connection === undefined || account === undefined || connection.status === "disconnected") {
      throw Errors.invalidGrant("The connection for this code no longer exists")
    }
    const token = world.state.mintToken(connection, account, code.products, code.entity_ids)
    const company = world.state.companyOf(connection)
    const response: CreateAccessTokenResponse = {
      access_token: token.access_token,
      token_type: "bearer",
      connection_id: connection.id,
      connection_type: connection.connection_type,
      client_type: world.state.options.clientType,
      provider_id: connection.provider_id,
      products: [...token.products],
      entity_ids: [...token.entity_ids],
      ...(world.state.reportsCompanyId(company) ? { company_id: company.id } : {}),
      account_id: account.id,
      customer_id: connection.customer_id,
      customer_name: connection.customer_name,
    }
    return c.json(response)
  })

  return app
}
