/** Finch Connect simulated: completing a session yields a single-use authorization code. */
import type { CompanyRecord } from "./Companies.ts"
import * as Errors from "./Errors.ts"
import { companiesReachedBy } from "./Scenarios.ts"
import type { Session } from "./State.ts"
import type { AuthenticationType } from "./Wire.ts"
import type { World } from "./World.ts"

export interface Completion {
  readonly provider_id?: string | undefined
  readonly company_id?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly entity_ids?: ReadonlyArray<string> | undefined
  readonly state?: string | undefined
}

export interface Completed {
  readonly code: string
  /** `redirect_uri?code=…` (with `state` when given); null for the embedded flow. */
  readonly redirect_url: string | null
  readonly connection_id: string
}

/** A session that can still be completed; 404/400 otherwise. */
export const openSession = (world: World, sessionId: string | undefined): Session => {
  const session = sessionId === undefined ? undefined : world.state.sessions.get(sessionId)
  if (session === undefined) throw Errors.notFound(`Connect session '${sessionId ?? ""}' was not found`)
  if (session.completed) throw Errors.invalidRequest(`Connect session '${session.id}' has already been used`)
  if (world.state.options.clock.now() > session.expiresAt)
    throw Errors.invalidRequest(`Connect session '${session.id}' has expired`)
  return session
}

/** What a person does in Connect: pick a provider, log in, pick a company (and entities). */
export const completeSession = (world: World, session: Session, choice: Completion): Completed => {
  const state = world.state
  if (choice.password !== undefined && choice.password !== "good_pass") {
    throw Errors.invalidRequest("Incorrect username or password (the sandbox password is good_pass)")
  }
  let connectionId: string
  let accountId: string
  let products: ReadonlyArray<string>
  let entityIds: ReadonlyArray<string>
  if (session.kind === "reauthenticate") {
    const connection = session.connection_id === null ? undefined : state.connections.get(session.connection_id)
    if (connection === undefined || connection.status === "disconnected") {
      throw Errors.invalidRequest("The connection to re-authenticate no longer exists")
    }
    const company = state.companyOf(connection)
    // The employer may change which entities the connection covers while re-authenticating.
    const chosen = choice.entity_ids ?? connection.entity_ids
    checkEntities(company, chosen)
    let account =
      choice.username === undefined
        ? connection.accounts[0]
        : connection.accounts.find((candidate) => candidate.username === choice.username)
    if (account === undefined) {
      account = state.connect({
        customer_id: connection.customer_id,
        provider_id: connection.provider_id,
        company,
        username: choice.username ?? null,
        products: session.products ?? connection.accounts[0]?.products ?? [],
        authentication_type: connection.accounts[0]?.authentication_type ?? null,
        entity_ids: chosen,
      }).account
    }
    connection.entity_ids = [...chosen]
    connectionId = connection.id
    accountId = account.id
    products = session.products ?? latestProducts(world, connection.id) ?? account.products
    entityIds = chosen
  } else {
    const provider_id = choice.provider_id ?? session.provider_id ?? "gusto"
    if (session.provider_id !== null && provider_id !== session.provider_id) {
      throw Errors.invalidRequest(`This session only allows the provider '${session.provider_id}'`)
    }
    const provider = state.providers.get(provider_id)
    if (provider === undefined) throw Errors.invalidRequest(`Unknown provider '${provider_id}'`)
    const username = choice.username ?? "good_user"
    if (username.startsWith("bad_")) throw Errors.invalidRequest("Incorrect username or password")
    const reachable = companiesReachedBy(state, provider_id, username)
    let company = reachable[0]
    if (choice.company_id !== undefined) {
      company =
        reachable.find((candidate) => candidate.id === choice.company_id) ??
        (state.companies.get(choice.company_id)?.provider_id === provider_id
          ? state.companies.get(choice.company_id)
          : undefined)
      if (company === undefined) {
        throw Errors.invalidRequest(`Company '${choice.company_id}' is not reachable at provider '${provider_id}'`)
      }
    }
    if (company === undefined) throw Errors.invalidRequest("The login reaches no company")
    const entity_ids = choice.entity_ids ?? company.entities.map((entity) => entity.id)
    checkEntities(company, entity_ids)
    const authentication_type: AuthenticationType | null = session.authentication_type
    const joined = state.connect({
      customer_id: session.customer_id,
      customer_name: session.customer_name,
      customer_email: session.customer_email,
      provider_id,
      company,
      username,
      products: session.products ?? [],
      authentication_type,
      connection_type: connectionType(world, session),
      entity_ids,
    })
    connectionId = joined.connection.id
    accountId = joined.account.id
    products = session.products ?? []
    entityIds = entity_ids
  }
  session.completed = true
  const connection = state.connections.get(connectionId)
  // Logging in again is what re-authentication is: the connection works again.
  if (connection !== undefined && connection.status === "reauth") state.setStatus(connection, "connected")
  const code = state.newCode({
    session_id: session.id,
    connection_id: connectionId,
    account_id: accountId,
    products,
    entity_ids: entityIds,
    redirect_uri: session.redirect_uri,
  })
  return {
    code: code.code,
    redirect_url: redirectUrl(session.redirect_uri, code.code, choice.state),
    connection_id: connectionId,
  }
}

/** Entities picked for a connection must be some of the company's own; 400 otherwise. */
export const checkEntities = (company: CompanyRecord, entityIds: ReadonlyArray<string>) => {
  if (entityIds.length === 0) throw Errors.invalidRequest("Pick at least one entity")
  for (const id of entityIds) {
    if (!company.entities.some((entity) => entity.id === id)) {
      throw Errors.invalidRequest(`Entity '${id}' does not belong to company '${company.id}'`)
    }
  }
}

const connectionType = (world: World, session: Session) =>
  session.sandbox === "provider" || world.state.options.clientType !== "sandbox" ? "provider" : "finch"

const latestProducts = (world: World, connectionId: string): ReadonlyArray<string> | undefined => {
  let latest: ReadonlyArray<string> | undefined
  for (const token of world.state.tokens.values()) if (token.connection_id === connectionId) latest = token.products
  return latest
}

const redirectUrl = (redirectUri: string | null, code: string, state: string | undefined) => {
  if (redirectUri === null) return null
  const url = new URL(redirectUri)
  url.searchParams.set("code", code)
  if (state !== undefined) url.searchParams.set("state", state)
  return url.toString()
}
