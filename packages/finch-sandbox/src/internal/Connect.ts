/** Finch Connect simulated: completing a session yields a single-use authorization code. */
import type { CompanyRecord } from "./Companies.ts"
import * as Errors from "./Errors.ts"
import { companiesKnownFor, companiesReachedBy } from "./Scenarios.ts"
import type { Account, Connection, Session } from "./State.ts"
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

/** A login joined to a connection by completing a session, with what its token is granted. */
interface Joined {
  readonly connection: Connection
  readonly account: Account
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ReadonlyArray<string>
}

/** What a person does in Connect: pick a provider, log in, pick a company (and entities). */
export const completeSession = (world: World, session: Session, choice: Completion): Completed => {
  const state = world.state
  if (choice.password !== undefined && choice.password !== "good_pass") {
    throw Errors.invalidRequest("Incorrect username or password (the sandbox password is good_pass)")
  }
  if (choice.username?.startsWith("bad_") === true) throw Errors.invalidRequest("Incorrect username or password")
  const joined =
    session.kind === "reauthenticate" ? reauthenticate(world, session, choice) : newLogin(world, session, choice)
  session.completed = true
  // Logging in again is what re-authentication is: the connection works again.
  if (joined.connection.status === "reauth") state.setStatus(joined.connection, "connected")
  const code = state.newCode({
    session_id: session.id,
    connection_id: joined.connection.id,
    account_id: joined.account.id,
    products: joined.products,
    entity_ids: joined.entity_ids,
    redirect_uri: session.redirect_uri,
  })
  return {
    code: code.code,
    redirect_url: redirectUrl(session.redirect_uri, code.code, choice.state),
    connection_id: joined.connection.id,
  }
}

/** A new session: the login reaches a company (the one picked when it reaches several) and joins it. */
const newLogin = (world: World, session: Session, choice: Completion): Joined => {
  const state = world.state
  const provider_id = choice.provider_id ?? session.provider_id ?? "gusto"
  if (session.provider_id !== null && provider_id !== session.provider_id) {
    throw Errors.invalidRequest(`This session only allows the provider '${session.provider_id}'`)
  }
  if (!state.providers.has(provider_id)) throw Errors.invalidRequest(`Unknown provider '${provider_id}'`)
  const username = choice.username ?? "good_user"
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
  return join(world, session, {
    provider_id,
    company,
    username,
    entity_ids: choice.entity_ids,
    products: session.products ?? [],
    authentication_type: session.authentication_type,
  })
}

/** Joins a login to a company for the session's customer (a new connection, or in the legacy model maybe an account). */
const join = (
  world: World,
  session: Session,
  login: {
    readonly provider_id: string
    readonly company: CompanyRecord
    readonly username: string | null
    readonly entity_ids: ReadonlyArray<string> | undefined
    readonly products: ReadonlyArray<string>
    readonly authentication_type: AuthenticationType | null
  },
): Joined => {
  const entity_ids = login.entity_ids ?? login.company.entities.map((entity) => entity.id)
  checkEntities(login.company, entity_ids)
  const { connection, account } = world.state.connect({
    customer_id: session.customer_id,
    customer_name: session.customer_name,
    customer_email: session.customer_email,
    provider_id: login.provider_id,
    company: login.company,
    username: login.username,
    products: login.products,
    authentication_type: login.authentication_type,
    connection_type: connectionType(world, session),
    entity_ids,
  })
  return { connection, account, products: login.products, entity_ids }
}

/**
 * A re-authentication session: logging in again to the connection's company keeps the connection (same
 * `connection_id` and, in the current model, the same `account_id`) and grants a new token. A login that reaches
 * another company is no re-authentication of this connection: it joins that company like a new login.
 */
const reauthenticate = (world: World, session: Session, choice: Completion): Joined => {
  const state = world.state
  const connection = session.connection_id === null ? undefined : state.connections.get(session.connection_id)
  if (connection === undefined || connection.status === "disconnected") {
    throw Errors.invalidRequest("The connection to re-authenticate no longer exists")
  }
  const first = connection.accounts[0]
  const elsewhere = reauthenticationReaches(world, connection, choice)
  if (elsewhere !== undefined) {
    return join(world, session, {
      provider_id: connection.provider_id,
      company: elsewhere,
      username: choice.username ?? null,
      entity_ids: choice.entity_ids,
      products: session.products ?? first?.products ?? [],
      authentication_type: first?.authentication_type ?? null,
    })
  }
  const company = state.companyOf(connection)
  // The employer may change which entities the connection covers while re-authenticating.
  const chosen = choice.entity_ids ?? connection.entity_ids
  checkEntities(company, chosen)
  const account =
    state.options.connectionModel === "current"
      ? loginAgain(world, connection, company, choice.username)
      : (connection.accounts.find(
          (candidate) => choice.username === undefined || candidate.username === choice.username,
        ) ??
        state.connect({
          customer_id: connection.customer_id,
          provider_id: connection.provider_id,
          company,
          username: choice.username ?? null,
          products: session.products ?? first?.products ?? [],
          authentication_type: first?.authentication_type ?? null,
          entity_ids: chosen,
        }).account)
  const products = session.products ?? latestProducts(world, account) ?? account.products
  if (state.options.connectionModel === "current") account.products = [...products]
  connection.entity_ids = [...chosen]
  return { connection, account, products, entity_ids: chosen }
}

/**
 * The current model's one login of a connection, logging in again. Another admin of the same company may do it; the
 * login is theirs from then on.
 */
const loginAgain = (world: World, connection: Connection, company: CompanyRecord, username: string | undefined) => {
  const account = connection.accounts[0]
  if (account === undefined) throw Errors.invalidRequest("The connection to re-authenticate has no login")
  if (username !== undefined && account.username !== username) {
    account.username = username
    world.state.registerLogin(connection.provider_id, username, company)
  }
  return account
}

/**
 * The company a login in a re-authentication session reaches when it is not the connection's own: a `company_id`
 * picked elsewhere, or a username already known to reach other companies only (a scenario's, or one used before).
 * Any other username is taken as another admin of the connection's company.
 */
export const reauthenticationReaches = (
  world: World,
  connection: Connection,
  choice: Pick<Completion, "company_id" | "username">,
): CompanyRecord | undefined => {
  const state = world.state
  if (choice.company_id !== undefined) {
    if (choice.company_id === connection.company_id) return undefined
    const company = state.companies.get(choice.company_id)
    if (company === undefined || company.provider_id !== connection.provider_id) {
      throw Errors.invalidRequest(
        `Company '${choice.company_id}' is not reachable at provider '${connection.provider_id}'`,
      )
    }
    return company
  }
  if (choice.username === undefined) return undefined
  if (connection.accounts.some((account) => account.username === choice.username)) return undefined
  const known = companiesKnownFor(state, connection.provider_id, choice.username)
  if (known === undefined || known.some((company) => company.id === connection.company_id)) return undefined
  return known[0]
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

/** The products of the account's latest token: what a re-authentication grants when the session names none. */
const latestProducts = (world: World, account: Account): ReadonlyArray<string> | undefined => {
  let latest: ReadonlyArray<string> | undefined
  for (const token of world.state.tokens.values()) if (token.account_id === account.id) latest = token.products
  return latest
}

const redirectUrl = (redirectUri: string | null, code: string, state: string | undefined) => {
  if (redirectUri === null) return null
  const url = new URL(redirectUri)
  url.searchParams.set("code", code)
  if (state !== undefined) url.searchParams.set("state", state)
  return url.toString()
}
