/**
 * Two customers, each with several connections (multi-account, multi-provider, multi-entity) and reconciled
 * employees. Every customer-scoped route is tried with the other customer's ids, without a key and with a wrong key:
 * the answer is exactly the one for an unknown id (or the 401), never a byte of the other's data, and nothing is
 * written.
 */
import { randomUUID } from "node:crypto"
import { PgDatabase } from "@finch-connections/store-postgres/PgDatabase"
import { Effect, Runtime } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi

interface Tenant {
  readonly id: string
  readonly connections: ReadonlyArray<any>
  readonly persons: ReadonlyArray<any>
}
let acme: Tenant
let globex: Tenant

const setUp = async (
  customerId: string,
  logins: ReadonlyArray<{ username: string; provider_id: string }>,
  prefix: string,
): Promise<Tenant> => {
  await api.createCustomer(customerId)
  for (const login of logins) {
    const answer = await api.connect(customerId, login)
    expect(answer.status).toBe(201)
  }
  const connections = (await api.call("GET", `/v1/customers/${customerId}/connections`)).body.connections
  for (const [index, connection] of connections.entries()) {
    await api.seedEmployees(customerId, connection.id, [
      {
        id: `${prefix}-${index}-1`,
        first: "Sam",
        last: `${prefix}Smith`,
        dob: "1985-01-01",
        email: `sam@${prefix}.com`,
      },
      {
        id: `${prefix}-${index}-2`,
        first: `${prefix}Kim`,
        last: "Lee",
        dob: "1991-02-02",
        email: `kim${index}@${prefix}.com`,
      },
    ])
  }
  const persons = (await api.call("GET", `/v1/customers/${customerId}/employees?limit=200`)).body.employees
  return { id: customerId, connections, persons }
}

beforeAll(async () => {
  api = await makeTestApi()
  acme = await setUp(
    "acme",
    [
      { username: "acme_alice", provider_id: "gusto" },
      { username: "acme_bob", provider_id: "gusto" },
      { username: "good_user_11", provider_id: "adp_run" },
      { username: "multi_entity", provider_id: "rippling" },
    ],
    "acme",
  )
  globex = await setUp(
    "globex",
    [
      { username: "acme_hr", provider_id: "adp_run" },
      { username: "acme_payroll", provider_id: "adp_run" },
      { username: "good_user_21", provider_id: "gusto" },
      { username: "evergreen_admin", provider_id: "rippling" },
    ],
    "globex",
  )
}, 180_000)
afterAll(() => api?.close())

/** Every id and name of a tenant that must never appear in the other's answers. */
const secretsOf = (tenant: Tenant): ReadonlyArray<string> => [
  ...tenant.connections.flatMap((connection) => [
    connection.id,
    connection.company_id,
    ...connection.accounts.flatMap((account: any) => [account.id, account.finch_connection_id]),
    ...connection.entities.flatMap((entity: any) => [entity.id]),
  ]),
  ...tenant.persons.flatMap((person) => [person.id, ...person.records.map((record: any) => record.record_id)]),
]

describe("the database sessions", () => {
  it("run as finch_app, which cannot bypass row-level security", async () => {
    const rows = await Runtime.runPromise(api.runtime)(
      Effect.flatMap(PgDatabase, (db) =>
        Effect.promise(() =>
          sql<{ role: string; bypass: boolean; superuser: boolean }>`
            select current_user as role, r.rolbypassrls as bypass, r.rolsuper as superuser
            from pg_roles r where r.rolname = current_user`.execute(db),
        ),
      ),
    )
    expect(rows.rows).toEqual([{ role: "finch_app", bypass: false, superuser: false }])
  })
})

describe("the fixture", () => {
  it("gives each customer several connections: multi-account, multi-provider, multi-entity", () => {
    for (const tenant of [acme, globex]) {
      expect(tenant.connections).toHaveLength(3)
      expect(tenant.connections.some((c) => c.accounts.length === 2)).toBe(true)
      expect(tenant.connections.some((c) => c.entities.length > 1)).toBe(true)
      expect(new Set(tenant.connections.map((c) => c.provider_id)).size).toBe(3)
      expect(tenant.persons.length).toBeGreaterThan(0)
    }
  })
})

describe("the other customer's ids answer exactly like unknown ones", () => {
  const pairs = () =>
    [
      [acme, globex],
      [globex, acme],
    ] as const

  it("on every route, never revealing a byte of the other's data, writing nothing", async () => {
    const before = await api.snapshot()
    for (const [self, other] of pairs()) {
      const otherSecrets = secretsOf(other)
      const answers: Array<{ text: string }> = []
      const same = async (attempt: Promise<any>, unknown: Promise<any>) => {
        const [a, u] = await Promise.all([attempt, unknown])
        expect(a.status).toBe(u.status)
        expect(a.text).toBe(u.text)
        answers.push(a)
      }
      const base = `/v1/customers/${self.id}`
      for (const connection of other.connections) {
        const unknownId = randomUUID()
        await same(
          api.call("GET", `${base}/connections/${connection.id}`),
          api.call("GET", `${base}/connections/${unknownId}`),
        )
        await same(
          api.call("POST", `${base}/connections/${connection.id}/reauthenticate`, {
            body: { account_id: connection.accounts[0].id },
          }),
          api.call("POST", `${base}/connections/${unknownId}/reauthenticate`, {
            body: { account_id: connection.accounts[0].id },
          }),
        )
        await same(
          api.call("DELETE", `${base}/connections/${connection.id}?account_id=${connection.accounts[0].id}`),
          api.call("DELETE", `${base}/connections/${unknownId}?account_id=${connection.accounts[0].id}`),
        )
        await same(
          api.call("DELETE", `${base}/connections/${connection.id}`),
          api.call("DELETE", `${base}/connections/${unknownId}`),
        )
      }
      for (const person of other.persons) {
        await same(
          api.call("GET", `${base}/employees/${encodeURIComponent(person.id)}`),
          api.call("GET", `${base}/employees/unknown-person`),
        )
      }
      const [first, second] = other.persons.flatMap((person) => person.records.map((r: any) => r.record_id))
      const own = self.persons[0].records[0].record_id
      await same(
        api.call("POST", `${base}/employees/decisions`, {
          body: { record_ids: [first, second], decision: "same_person" },
        }),
        api.call("POST", `${base}/employees/decisions`, {
          body: { record_ids: [`${randomUUID()}:x`, `${randomUUID()}:y`], decision: "same_person" },
        }),
      )
      const mixed = await api.call("POST", `${base}/employees/decisions`, {
        body: { record_ids: [own, first], decision: "same_person" },
      })
      expect(mixed.status).toBe(404)
      answers.push(mixed)
      // the own lists hold only the own data
      answers.push(await api.call("GET", `${base}/connections`))
      answers.push(await api.call("GET", `${base}/employees?limit=200`))
      answers.push(await api.call("GET", base))
      for (const answer of answers) {
        for (const secret of otherSecrets) expect(answer.text).not.toContain(secret)
      }
    }
    expect(await api.snapshot()).toBe(before)
  })

  it("a code from the other customer's session is refused (409 foreign_connect_session), nothing recorded", async () => {
    const { code } = await api.connectCode("globex", { username: "good_user_31" })
    const before = await api.snapshot()
    const answer = await api.call("POST", "/v1/customers/acme/connections", { body: { code } })
    expect(answer.status).toBe(409)
    expect(answer.body.error.code).toBe("foreign_connect_session")
    for (const secret of secretsOf(globex)) expect(answer.text).not.toContain(secret)
    expect(await api.snapshot()).toBe(before)
  })
})

describe("without a key or with a wrong one", () => {
  it("every customer route answers the same 401 and writes nothing", async () => {
    const before = await api.snapshot()
    const connection = acme.connections[0]
    const person = acme.persons[0]
    const routes: ReadonlyArray<readonly [string, string, unknown?]> = [
      ["PUT", "/v1/customers/acme", { name: "Hijacked" }],
      ["PUT", "/v1/customers/newcomer", { name: "Newcomer" }],
      ["GET", "/v1/customers/acme"],
      ["POST", "/v1/customers/acme/connect-sessions", { products: ["company"] }],
      ["POST", "/v1/customers/acme/connections", { code: "x" }],
      ["GET", "/v1/customers/acme/connections"],
      ["GET", `/v1/customers/acme/connections/${connection.id}`],
      ["POST", `/v1/customers/acme/connections/${connection.id}/reauthenticate`, {}],
      ["DELETE", `/v1/customers/acme/connections/${connection.id}`],
      ["GET", "/v1/customers/acme/employees"],
      ["GET", `/v1/customers/acme/employees/${encodeURIComponent(person.id)}`],
      ["POST", "/v1/customers/acme/employees/decisions", { record_ids: ["a", "b"], decision: "same_person" }],
    ]
    const expected = (await api.call("GET", "/v1/customers/acme", { key: null })).text
    for (const [method, path, body] of routes) {
      for (const key of [null, "wrong-key", `${"test-key-current-0123456789"}x`]) {
        const answer = await api.call(method, path, { key, ...(body === undefined ? {} : { body }) })
        expect(answer.status).toBe(401)
        expect(answer.text).toBe(expected)
      }
    }
    expect(await api.snapshot()).toBe(before)
  })
})
