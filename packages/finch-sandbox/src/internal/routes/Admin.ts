/**
 * The sandbox's own control API under `/_sandbox` (JSON, no auth, loopback callers only): mint connections,
 * complete Connect sessions, inject faults, switch rate limits, change statuses, revoke tokens, read the request
 * log and instantiate scenarios.
 */
import { getConnInfo } from "@hono/node-server/conninfo"
import { Hono } from "hono"
import { checkEntities, completeSession, openSession } from "../Connect.ts"
import * as Errors from "../Errors.ts"
import type { FaultInput } from "../Faults.ts"
import * as Guards from "../Guards.ts"
import { isLoopbackAddress, isLoopbackHost } from "../Loopback.ts"
import type { RateLimitMode } from "../RateLimiter.ts"
import { companiesReachedBy, materialize, scenarios } from "../Scenarios.ts"
import type { Connection } from "../State.ts"
import type { SandboxEnv, World } from "../World.ts"
import { parseAuthentication, parseEmployeeSize, parseProducts, parseStatus } from "./FinchSandbox.ts"

/** What `POST /_sandbox/connections` answers: a token minted without Connect and what Finch reports with it. */
export interface MintedConnection {
  readonly access_token: string
  readonly token_type: "bearer"
  readonly connection_id: string
  readonly company_id: string
  readonly account_id: string
  readonly provider_id: string
  readonly products: ReadonlyArray<string>
  /** The first of `entity_ids`, null when the token names no entity. */
  readonly entity_id: string | null
  readonly entity_ids: ReadonlyArray<string>
  readonly customer_id: string | null
  readonly employee_count: number
}

const connectionView = (world: World, connection: Connection) => ({
  connection_id: connection.id,
  provider_id: connection.provider_id,
  company_id: connection.company_id,
  customer_id: connection.customer_id,
  customer_name: connection.customer_name,
  status: connection.status,
  last_successful_sync: connection.lastSuccessfulSync,
  entity_ids: connection.entity_ids,
  accounts: connection.accounts.map((account) => ({
    account_id: account.id,
    username: account.username,
    authentication_type: account.authentication_type,
    products: account.products,
  })),
  tokens: [...world.state.tokens.values()].filter((token) => token.connection_id === connection.id).length,
  company_name: world.state.companyOf(connection).data.legal_name,
})

export const admin = (world: World) => {
  const app = new Hono<SandboxEnv>()
  const state = world.state

  app.use(async (c, next) => {
    if (!isLoopbackAddress(getConnInfo(c).remote.address)) {
      throw new Errors.FinchFailure(403, {
        code: 403,
        name: "forbidden",
        message: "The /_sandbox control API only answers loopback callers",
      })
    }
    await next()
  })

  app.get("/", (c) =>
    c.json({
      base_url: world.baseUrl,
      client_id: world.clientId,
      rate_limits: world.rateLimiter.mode,
      connection_model: state.options.connectionModel,
      providers: [...state.providers.keys()],
      scenarios: scenarios.map((scenario) => scenario.name),
    }),
  )

  app.post("/connections", async (c) => {
    const body = await Guards.objectBody(c)
    const connection_id = Guards.optionalString(body, "connection_id")
    if (connection_id !== undefined) return c.json(anotherToken(connection_id, body), 201)
    const provider_id = Guards.optionalString(body, "provider_id") ?? "gusto"
    if (!state.providers.has(provider_id))
      throw Errors.invalidRequest(`[body:provider_id]: unknown provider '${provider_id}'`)
    const products = parseProducts(body)
    const size = parseEmployeeSize(body)
    const username = Guards.optionalString(body, "username") ?? null
    const company_id = Guards.optionalString(body, "company_id")
    const scenarioName = Guards.optionalString(body, "scenario")
    let company = company_id === undefined ? undefined : state.companies.get(company_id)
    if (company_id !== undefined && (company === undefined || company.provider_id !== provider_id)) {
      throw Errors.invalidRequest(`No company '${company_id}' at provider '${provider_id}'`)
    }
    if (scenarioName !== undefined) {
      const scenario = scenarios.find((candidate) => candidate.name === scenarioName)
      if (scenario === undefined) throw Errors.notFound(`No scenario '${scenarioName}'`)
      const built = materialize(state, scenario).filter((entry) => entry.company.provider_id === provider_id)
      company = company ?? built[0]?.company
      if (company === undefined)
        throw Errors.invalidRequest(`Scenario '${scenarioName}' has no company at '${provider_id}'`)
    }
    if (company === undefined) {
      company =
        username === null
          ? state.newCompany(provider_id, size)
          : companiesReachedBy(state, provider_id, username, size)[0]
    }
    if (company === undefined) throw Errors.invalidRequest("No company could be chosen")
    const status = body["status"] === undefined ? undefined : parseStatus(body["status"])
    const entity_ids = Guards.optionalStrings(body, "entity_ids")
    if (entity_ids !== undefined) checkEntities(company, entity_ids)
    const { connection, account } = state.connect({
      customer_id: Guards.optionalString(body, "customer_id") ?? null,
      customer_name: Guards.optionalString(body, "customer_name") ?? null,
      provider_id,
      company,
      username,
      products,
      authentication_type: parseAuthentication(body) ?? null,
      ...(entity_ids === undefined ? {} : { entity_ids }),
    })
    if (status !== undefined) state.setStatus(connection, status)
    const token = state.mintToken(connection, account, products, entity_ids ?? connection.entity_ids)
    return c.json(
      {
        access_token: token.access_token,
        token_type: "bearer",
        connection_id: connection.id,
        company_id: company.id,
        account_id: account.id,
        provider_id,
        products: [...token.products],
        entity_id: token.entity_ids[0] ?? null,
        entity_ids: [...token.entity_ids],
        customer_id: connection.customer_id,
        employee_count: company.employees.length,
      } satisfies MintedConnection,
      201,
    )
  })

  /** Another token for a Finch connection's login (as a re-authentication without Connect would mint). */
  const anotherToken = (connection_id: string, body: Record<string, unknown>): MintedConnection => {
    const connection = state.connections.get(connection_id)
    if (connection === undefined || connection.status === "disconnected") {
      throw Errors.notFound(`No live connection '${connection_id}'`)
    }
    const account_id = Guards.optionalString(body, "account_id")
    const account =
      account_id === undefined
        ? connection.accounts[0]
        : connection.accounts.find((candidate) => candidate.id === account_id)
    if (account === undefined)
      throw Errors.notFound(`No account '${account_id ?? ""}' on connection '${connection_id}'`)
    const products = body["products"] === undefined ? account.products : parseProducts(body)
    const entity_ids = Guards.optionalStrings(body, "entity_ids") ?? connection.entity_ids
    checkEntities(state.companyOf(connection), entity_ids)
    const token = state.mintToken(connection, account, products, entity_ids)
    return {
      access_token: token.access_token,
      token_type: "bearer",
      connection_id: connection.id,
      company_id: connection.company_id,
      account_id: account.id,
      provider_id: connection.provider_id,
      products: [...token.products],
      entity_id: token.entity_ids[0] ?? null,
      entity_ids: [...token.entity_ids],
      customer_id: connection.customer_id,
      employee_count: state.companyOf(connection).employees.length,
    }
  }

  app.get("/connections", (c) => {
    // Filters, each optional: the Finch connections of one customer, company, provider, status or username.
    const query = c.req.query()
    const matches = (connection: Connection) =>
      (query["customer_id"] === undefined || connection.customer_id === query["customer_id"]) &&
      (query["company_id"] === undefined || connection.company_id === query["company_id"]) &&
      (query["provider_id"] === undefined || connection.provider_id === query["provider_id"]) &&
      (query["status"] === undefined || connection.status === query["status"]) &&
      (query["username"] === undefined || connection.accounts.some((account) => account.username === query["username"]))
    return c.json({
      connection_model: state.options.connectionModel,
      connections: [...state.connections.values()]
        .filter(matches)
        .map((connection) => connectionView(world, connection)),
    })
  })

  app.get("/connections/:connection_id", (c) => {
    const connection = state.connections.get(c.req.param("connection_id"))
    if (connection === undefined) throw Errors.notFound("No such connection")
    return c.json(connectionView(world, connection))
  })

  app.post("/connections/:connection_id/status", async (c) => {
    const connection = state.connections.get(c.req.param("connection_id"))
    if (connection === undefined) throw Errors.notFound("No such connection")
    const body = await Guards.objectBody(c)
    const status = body["status"] === "disconnected" ? "disconnected" : parseStatus(body["status"])
    if (status === "disconnected") state.disconnect(connection)
    else state.setStatus(connection, status)
    return c.json(connectionView(world, connection))
  })

  app.post("/connect/sessions/:session_id/complete", async (c) => {
    const session = openSession(world, c.req.param("session_id"))
    const body = await Guards.objectBody(c)
    const completed = completeSession(world, session, {
      provider_id: Guards.optionalString(body, "provider_id"),
      company_id: Guards.optionalString(body, "company_id"),
      username: Guards.optionalString(body, "username"),
      password: Guards.optionalString(body, "password"),
      entity_ids: Guards.optionalStrings(body, "entity_ids"),
      state: Guards.optionalString(body, "state"),
    })
    return c.json(completed)
  })

  app.post("/tokens/revoke", async (c) => {
    const body = await Guards.objectBody(c)
    const access_token = Guards.requiredString(body, "access_token", 10_000)
    const token = state.tokens.get(access_token)
    if (token === undefined) throw Errors.notFound("No such token")
    token.revoked = true
    return c.json({ status: "revoked", connection_id: token.connection_id })
  })

  app.post("/faults", async (c) => {
    const body = await Guards.objectBody(c)
    const count = Guards.optionalNumber(body, "count") ?? 1
    if (!Number.isInteger(count) || count < 1) throw Errors.invalidRequest("[body:count]: must be a positive integer")
    const status = Guards.optionalNumber(body, "status")
    if (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
      throw Errors.invalidRequest("[body:status]: must be an HTTP status")
    }
    const latency = Guards.optionalNumber(body, "latency_ms")
    const drop = body["drop"] === true
    if (status === undefined && latency === undefined && !drop) {
      throw Errors.invalidRequest("A fault needs a status, latency_ms or drop")
    }
    const input: FaultInput = {
      count,
      ...(Guards.optionalString(body, "path") === undefined ? {} : { path: Guards.optionalString(body, "path") }),
      ...(Guards.optionalString(body, "method") === undefined ? {} : { method: Guards.optionalString(body, "method") }),
      ...(status === undefined ? {} : { status }),
      ...(latency === undefined ? {} : { latency_ms: latency }),
      ...(drop ? { drop } : {}),
      ...(Guards.optionalNumber(body, "retry_after") === undefined
        ? {}
        : { retry_after: Guards.optionalNumber(body, "retry_after") }),
      ...(Guards.optionalNumber(body, "retry_after_ms") === undefined
        ? {}
        : { retry_after_ms: Guards.optionalNumber(body, "retry_after_ms") }),
    } as FaultInput
    const fault = world.faults.add(input)
    return c.json({ fault_id: fault.id }, 201)
  })

  app.post("/pay-statements/pending", async (c) => {
    const body = await Guards.objectBody(c)
    const payment_id = Guards.requiredString(body, "payment_id")
    const count = Guards.optionalNumber(body, "count") ?? 1
    if (!Number.isInteger(count) || count < 0)
      throw Errors.invalidRequest("[body:count]: must be a non-negative integer")
    world.pendingPayStatements.set(payment_id, count)
    return c.json({ payment_id, count })
  })

  app.get("/faults", (c) => c.json({ faults: world.faults.list() }))

  app.delete("/faults", (c) => {
    world.faults.clear()
    return c.json({ status: "cleared" })
  })

  app.put("/rate-limits", async (c) => {
    const body = await Guards.objectBody(c)
    const mode = body["mode"]
    if (mode !== "finch" && mode !== "off" && mode !== "always") {
      throw Errors.invalidRequest("[body:mode]: must be 'finch', 'off' or 'always'")
    }
    world.rateLimiter.mode = mode as RateLimitMode
    if (typeof body["retry_after"] === "boolean") world.rateLimiter.sendRetryAfter = body["retry_after"]
    world.rateLimiter.reset()
    return c.json({ mode: world.rateLimiter.mode, retry_after: world.rateLimiter.sendRetryAfter })
  })

  const clockJson = () => ({
    now: state.options.clock.iso(),
    offset_ms: state.options.clock.offset,
    speed: state.options.clock.speed,
  })

  app.post("/clock/advance", async (c) => {
    const body = await Guards.objectBody(c)
    const ms = Guards.optionalNumber(body, "ms") ?? (Guards.optionalNumber(body, "seconds") ?? 0) * 1000
    if (ms < 0) throw Errors.invalidRequest("[body:ms]: time only moves forward")
    state.options.clock.advance(ms)
    return c.json(clockJson())
  })

  app.put("/clock/speed", async (c) => {
    const body = await Guards.objectBody(c)
    const speed = Guards.optionalNumber(body, "speed")
    if (speed === undefined || !(speed > 0) || speed > 1000) {
      throw Errors.invalidRequest("[body:speed]: must be a number above 0 and at most 1000")
    }
    state.options.clock.setSpeed(speed)
    return c.json(clockJson())
  })

  app.get("/requests", (c) => c.json(world.requests.snapshot()))

  app.delete("/requests", (c) => {
    world.requests.clear()
    return c.json({ status: "cleared" })
  })

  app.get("/scenarios", (c) =>
    c.json({ scenarios: scenarios.map((scenario) => ({ name: scenario.name, description: scenario.description })) }),
  )

  app.post("/scenarios/:name", async (c) => {
    const scenario = scenarios.find((candidate) => candidate.name === c.req.param("name"))
    if (scenario === undefined) throw Errors.notFound(`No scenario '${c.req.param("name")}'`)
    const body = await Guards.objectBody(c)
    const customer_id = Guards.optionalString(body, "customer_id") ?? `scenario:${scenario.name}`
    const customer_name = Guards.optionalString(body, "customer_name") ?? scenario.name
    const connections = materialize(state, scenario).flatMap(({ spec, company }) =>
      spec.logins.map((login) => {
        const { connection, account } = state.connect({
          customer_id,
          customer_name,
          provider_id: spec.provider_id,
          company,
          username: login.username,
          products: login.products,
        })
        const token = state.mintToken(connection, account, login.products, connection.entity_ids)
        return {
          access_token: token.access_token,
          token_type: "bearer",
          connection_id: connection.id,
          provider_id: connection.provider_id,
          company_id: company.id,
          company_name: company.data.legal_name,
          account_id: account.id,
          username: login.username,
          products: [...token.products],
          entity_ids: [...token.entity_ids],
          customer_id,
          employee_count: company.employees.length,
        }
      }),
    )
    return c.json({ scenario: scenario.name, customer_id, connections }, 201)
  })

  app.get("/scenarios/:name/truth", (c) => {
    const scenario = scenarios.find((candidate) => candidate.name === c.req.param("name"))
    if (scenario === undefined) throw Errors.notFound(`No scenario '${c.req.param("name")}'`)
    const customer_id = c.req.query("customer_id")
    const people = new Map<string, { person: string; truth: object; records: Array<object> }>()
    const expected: Array<object> = []
    for (const { company } of materialize(state, scenario)) {
      // What the app should hold: one connection per (customer, provider, company), one account per login, whether
      // Finch made each login a connection of its own (current model) or an account of one (legacy model).
      const byCustomer = new Map<string | null, Array<Connection>>()
      for (const connection of state.connections.values()) {
        if (
          connection.company_id === company.id &&
          connection.status !== "disconnected" &&
          (customer_id === undefined || connection.customer_id === customer_id)
        ) {
          byCustomer.set(connection.customer_id, [...(byCustomer.get(connection.customer_id) ?? []), connection])
        }
      }
      for (const [customer, connections] of byCustomer) {
        expected.push({
          customer_id: customer,
          provider_id: company.provider_id,
          company_id: company.id,
          company_name: company.data.legal_name,
          accounts: connections.flatMap((connection) =>
            connection.accounts.map((account) => ({
              connection_id: connection.id,
              account_id: account.id,
              username: account.username,
              products: [...account.products],
              entity_ids: [...connection.entity_ids],
              status: connection.status,
            })),
          ),
        })
      }
      const holders = byCustomer.size === 0 ? [undefined] : [...byCustomer]
      for (const employee of company.employees) {
        const person = employee.person
        let entry = people.get(person.key)
        if (entry === undefined) {
          entry = {
            person: person.key,
            truth: {
              first_name: person.first_name,
              middle_name: person.middle_name,
              last_name: person.last_name,
              dob: person.dob,
              email: person.personal_email,
            },
            records: [],
          }
          people.set(person.key, entry)
        }
        // One record per company the person is at (per customer holding it), however many logins read it.
        for (const holder of holders) {
          entry.records.push({
            connection_id: holder?.[1][0]?.id ?? null,
            connection_ids: holder?.[1].map((connection) => connection.id) ?? [],
            customer_id: holder?.[0] ?? null,
            provider_id: company.provider_id,
            company_id: company.id,
            entity_id: employee.entity_id,
            individual_id: employee.id,
            variations: employee.variations,
          })
        }
      }
    }
    return c.json({ scenario: scenario.name, connections: expected, people: [...people.values()] })
  })

  app.put("/webhook", async (c) => {
    const body = await Guards.objectBody(c)
    const url = Guards.optionalString(body, "url")
    const secret = Guards.optionalString(body, "secret")
    if (url !== undefined) {
      if (!URL.canParse(url)) throw Errors.invalidRequest("[body:url]: must be an absolute URL")
      if (!world.allowNonLoopback && !isLoopbackHost(new URL(url).hostname)) {
        throw Errors.invalidRequest(
          "[body:url]: the sandbox only posts webhooks to loopback unless started with allowNonLoopback",
        )
      }
    }
    world.webhooks.target =
      url === undefined || secret === undefined ? undefined : { url, secret, duplicate: body["duplicate"] === true }
    return c.json({ url: url ?? null, duplicate: world.webhooks.target?.duplicate ?? false })
  })

  app.post("/webhook/events", async (c) => {
    const body = await Guards.objectBody(c)
    const connection = state.connections.get(Guards.requiredString(body, "connection_id"))
    if (connection === undefined) throw Errors.notFound("No such connection")
    const event_type = Guards.requiredString(body, "event_type")
    world.webhooks.emit({ event_type, connection, data: body["data"] ?? null })
    return c.json({ status: "sent" }, 202)
  })

  app.get("/webhook/deliveries", async (c) => {
    await world.webhooks.settle()
    return c.json({ deliveries: world.webhooks.deliveries })
  })

  return app
}
