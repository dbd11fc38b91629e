/**
 * The sandbox's world: providers, companies, connections with their accounts (logins), tokens, Connect sessions
 * and authorization codes. Pure in-memory bookkeeping; HTTP concerns live in the routes.
 */
import { randomBytes, randomUUID } from "node:crypto"
import type { Clock } from "./Clock.ts"
import { type CompanyOptions, type CompanyRecord, generateCompany } from "./Companies.ts"
import { catalogue, type ProviderRecord } from "./Providers.ts"
import * as Random from "./Random.ts"
import type { AuthenticationType, ClientType, ConnectionStatusType, ConnectionType } from "./Wire.ts"

/**
 * How logins map to Finch connections. `current` is Finch since 2024-10-29: every Connect login (and every
 * `POST /sandbox/connections/accounts`) is its own Finch connection with one account, even at a company the customer
 * already connected. `legacy` is the older account model the seed was written against: a second login to the same
 * (customer, provider, company) becomes another account under the existing connection.
 */
export type ConnectionModel = "current" | "legacy"

export const connectionModels: ReadonlyArray<ConnectionModel> = ["current", "legacy"]

/**
 * One login (Finch "account") under a connection: always exactly one in the current model, one or more in the legacy
 * one. Its username and products follow the latest re-authentication in the current model.
 */
export interface Account {
  readonly id: string
  username: string | null
  readonly authentication_type: AuthenticationType
  products: Array<string>
}

export type ConnectionState = ConnectionStatusType | "disconnected"

/** One provider joined to one company for one customer of the app. */
export interface Connection {
  readonly id: string
  readonly provider_id: string
  readonly company_id: string
  readonly customer_id: string | null
  customer_name: string | null
  customer_email: string | null
  readonly connection_type: ConnectionType
  status: ConnectionState
  readonly accounts: Array<Account>
  /** Entities the employer picked; data calls see only these. */
  entity_ids: Array<string>
  lastSuccessfulSync: string | null
  readonly createdAt: string
  jobCompletionStatus: "complete" | "reauth_error" | "permissions_error" | "error"
  /** The last sync attempt, for `Finch-Last-Attempted-Update-Date`/`-Result`; undefined until a job ran. */
  lastAttempt: { readonly at: string; readonly result: "success" | "error" } | undefined
  readonly jobs: Array<Job>
}

/** An access token: one account of one connection, with the products and entities it was granted. */
export interface Token {
  readonly id: string
  readonly access_token: string
  readonly connection_id: string
  readonly account_id: string
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ReadonlyArray<string>
  revoked: boolean
  readonly createdAt: string
}

/** A Finch Connect session, new or re-authenticating. */
export interface Session {
  readonly id: string
  readonly kind: "new" | "reauthenticate"
  readonly customer_id: string | null
  readonly customer_name: string | null
  readonly customer_email: string | null
  readonly products: ReadonlyArray<string> | null
  readonly redirect_uri: string | null
  readonly provider_id: string | null
  readonly authentication_type: AuthenticationType | null
  readonly sandbox: "finch" | "provider" | null
  /** Whether the provider list includes assisted-only providers (Finch's `manual`). */
  readonly manual: boolean
  readonly connection_id: string | null
  readonly expiresAt: number
  completed: boolean
}

/** What completing a Connect session yields: single use, valid 10 minutes. */
export interface AuthorizationCode {
  readonly code: string
  readonly session_id: string
  readonly connection_id: string
  readonly account_id: string
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ReadonlyArray<string>
  readonly redirect_uri: string | null
  readonly expiresAt: number
  used: boolean
}

/** An automated job as `/jobs/automated` shows it (without `job_url`, derived from the base URL). */
export interface Job {
  readonly job_id: string
  readonly type: "data_sync_all" | "w4_form_employee_sync"
  status: "pending" | "in_progress" | "complete" | "error" | "reauth_error" | "permissions_error"
  readonly created_at: string
  readonly scheduled_at: string | null
  started_at: string | null
  completed_at: string | null
  readonly params: { individual_id?: string } | null
}

/** Something happened that Finch would tell the app about by webhook. */
export interface SandboxEvent {
  readonly event_type: string
  readonly connection: Connection
  readonly data: unknown
}

export interface StateOptions {
  readonly seed: number
  readonly clock: Clock
  readonly clientId: string
  readonly clientType: ClientType
  readonly today: Date
  readonly connectionModel: ConnectionModel
  /** Send `company_id` on every token, even where Finch leaves it out (multi-entity companies, Deel). */
  readonly alwaysReportCompanyId?: boolean
  readonly onEvent?: (event: SandboxEvent) => void
}

/** Authorization codes expire after 10 minutes (Finch's documented lifetime). */
export const codeLifetimeMs = 10 * 60 * 1000

/** The default employer size of a new Finch sandbox connection. */
export const defaultEmployeeSize = 20

/** The mutable world behind every endpoint; one per running sandbox. */
export class State {
  readonly options: StateOptions
  readonly providers = new Map<string, ProviderRecord>(catalogue.map((provider) => [provider.id, provider]))
  readonly companies = new Map<string, CompanyRecord>()
  readonly companiesByKey = new Map<string, CompanyRecord>()
  /** (provider_id, username) → the companies that login reaches (several for a PEO or account selection). */
  readonly logins = new Map<string, Array<string>>()
  readonly connections = new Map<string, Connection>()
  readonly tokens = new Map<string, Token>()
  readonly sessions = new Map<string, Session>()
  readonly codes = new Map<string, AuthorizationCode>()
  readonly ids: Random.Random

  constructor(options: StateOptions) {
    this.options = options
    this.ids = Random.make(options.seed, "ids")
  }

  /** The company for `key`, generated the first time it is asked for. */
  company(options: Omit<CompanyOptions, "seed" | "today">): CompanyRecord {
    const existing = this.companiesByKey.get(options.key)
    if (existing !== undefined) return existing
    const provider = this.providers.get(options.provider_id)
    const record = generateCompany({
      ...options,
      seed: this.options.seed,
      today: this.options.today,
      ssnSupported: options.ssnSupported ?? provider?.ssnSupported ?? true,
      ...(options.reportsCompanyId === undefined && provider?.reportsCompanyId !== undefined
        ? { reportsCompanyId: provider.reportsCompanyId }
        : {}),
      ...(options.defaults === undefined && provider?.workerCountry !== undefined
        ? { defaults: { type: "contractor", subtype: "individual_contractor", country: provider.workerCountry } }
        : {}),
    })
    this.companies.set(record.id, record)
    this.companiesByKey.set(record.key, record)
    return record
  }

  registerLogin(provider_id: string, username: string, company: CompanyRecord) {
    const key = `${provider_id}:${username}`
    const list = this.logins.get(key) ?? []
    if (!list.includes(company.id)) list.push(company.id)
    this.logins.set(key, list)
  }

  /**
   * The companies a username reaches at a provider. Like Finch's sandbox, the same username always reaches the
   * same company and a different one (`good_user_1`, `good_user_2`, …) a different company; `multi_entity`
   * reaches a company with several entities.
   */
  companiesForLogin(provider_id: string, username: string, employeeSize = defaultEmployeeSize): Array<CompanyRecord> {
    const known = this.logins.get(`${provider_id}:${username}`)
    if (known !== undefined) return known.map((id) => this.companies.get(id)).filter((c) => c !== undefined)
    const company = this.company({
      key: `login:${provider_id}:${username}`,
      provider_id,
      size: employeeSize,
      ...(username === "multi_entity" ? { entities: ["Headquarters", "West Division", "East Division"] } : {}),
    })
    this.registerLogin(provider_id, username, company)
    return [company]
  }

  /** A brand-new company at a provider (Finch's `POST /sandbox/connections` always makes one). */
  newCompany(provider_id: string, employeeSize = defaultEmployeeSize): CompanyRecord {
    return this.company({ key: `new:${provider_id}:${this.ids.uuid()}`, provider_id, size: employeeSize })
  }

  /** The live connection of (customer, provider, company), if any. */
  findConnection(customer_id: string | null, provider_id: string, company_id: string): Connection | undefined {
    for (const connection of this.connections.values()) {
      if (
        connection.customer_id === customer_id &&
        connection.provider_id === provider_id &&
        connection.company_id === company_id &&
        connection.status !== "disconnected"
      ) {
        return connection
      }
    }
    return undefined
  }

  /**
   * Joins a login to a company for a customer. In the current model every login is a new connection with one account;
   * in the legacy model a second login to the same (customer, provider, company) becomes a new account under the
   * existing connection (and the same username again the same account), never a second connection.
   */
  connect(input: {
    readonly customer_id: string | null
    readonly customer_name?: string | null
    readonly customer_email?: string | null
    readonly provider_id: string
    readonly company: CompanyRecord
    readonly username: string | null
    readonly products: ReadonlyArray<string>
    readonly authentication_type?: AuthenticationType | null
    readonly connection_type?: ConnectionType
    readonly entity_ids?: ReadonlyArray<string>
  }): { connection: Connection; account: Account } {
    const provider = this.providers.get(input.provider_id)
    const authentication_type = input.authentication_type ?? provider?.defaultAuthentication ?? "credential"
    let connection =
      this.options.connectionModel === "legacy"
        ? this.findConnection(input.customer_id, input.provider_id, input.company.id)
        : undefined
    const entity_ids = [...(input.entity_ids ?? input.company.entities.map((entity) => entity.id))]
    if (connection === undefined) {
      const now = this.options.clock.iso()
      connection = {
        id: this.ids.uuid(),
        provider_id: input.provider_id,
        company_id: input.company.id,
        customer_id: input.customer_id,
        customer_name: input.customer_name ?? null,
        customer_email: input.customer_email ?? null,
        connection_type: input.connection_type ?? "finch",
        status: authentication_type === "assisted" ? "pending" : "connected",
        accounts: [],
        entity_ids,
        lastSuccessfulSync: authentication_type === "assisted" ? null : input.company.dataRetrievedAt,
        createdAt: now,
        jobCompletionStatus: "complete",
        lastAttempt: undefined,
        jobs: [],
      }
      this.connections.set(connection.id, connection)
    } else {
      for (const id of entity_ids) if (!connection.entity_ids.includes(id)) connection.entity_ids.push(id)
      if (input.customer_name != null) connection.customer_name = input.customer_name
      if (input.customer_email != null) connection.customer_email = input.customer_email
    }
    let account = connection.accounts.find(
      (candidate) => input.username !== null && candidate.username === input.username,
    )
    if (account === undefined) {
      account = { id: this.ids.uuid(), username: input.username, authentication_type, products: [...input.products] }
      connection.accounts.push(account)
    } else {
      for (const product of input.products) if (!account.products.includes(product)) account.products.push(product)
    }
    return { connection, account }
  }

  /** A new access token for an account of a connection. */
  mintToken(
    connection: Connection,
    account: Account,
    products: ReadonlyArray<string>,
    entity_ids: ReadonlyArray<string>,
  ): Token {
    const token: Token = {
      id: randomUUID(),
      access_token: randomUUID(),
      connection_id: connection.id,
      account_id: account.id,
      products: [...products],
      entity_ids: [...entity_ids],
      revoked: false,
      createdAt: this.options.clock.iso(),
    }
    this.tokens.set(token.access_token, token)
    return token
  }

  newCode(input: Omit<AuthorizationCode, "code" | "expiresAt" | "used">): AuthorizationCode {
    const code: AuthorizationCode = {
      ...input,
      code: randomBytes(24).toString("base64url"),
      expiresAt: this.options.clock.now() + codeLifetimeMs,
      used: false,
    }
    this.codes.set(code.code, code)
    return code
  }

  /** Sets a connection's status and tells webhooks when it changed. */
  setStatus(connection: Connection, status: ConnectionState) {
    if (connection.status === status) return
    connection.status = status
    if (status === "connected") connection.lastSuccessfulSync = this.options.clock.iso()
    this.options.onEvent?.({
      event_type: "account.updated",
      connection,
      data: { status, authentication_method: { type: connection.accounts[0]?.authentication_type ?? "credential" } },
    })
  }

  /** Revokes every token of the connection (Finch's `POST /disconnect`). */
  disconnect(connection: Connection) {
    for (const token of this.tokens.values()) if (token.connection_id === connection.id) token.revoked = true
    this.setStatus(connection, "disconnected")
  }

  /** Whether tokens for this company carry `company_id`. */
  reportsCompanyId(company: CompanyRecord): boolean {
    return this.options.alwaysReportCompanyId === true || company.reportsCompanyId
  }

  companyOf(connection: Connection): CompanyRecord {
    const company = this.companies.get(connection.company_id)
    if (company === undefined) throw new Error(`connection ${connection.id} has no company`)
    return company
  }
}
