import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nicknames } from "../src/internal/People.ts"
import { connectionModels, startSandbox } from "../src/Sandbox.ts"
import { call, control, useSandbox } from "./support/Http.ts"

interface ScenarioConnection {
  access_token: string
  connection_id: string
  provider_id: string
  company_id: string
  account_id: string
  username: string
  products: Array<string>
  entity_ids: Array<string>
}

interface Truth {
  connections: Array<{
    customer_id: string | null
    provider_id: string
    company_id: string
    company_name: string
    accounts: Array<{
      connection_id: string
      account_id: string
      username: string | null
      products: Array<string>
      entity_ids: Array<string>
      status: string
    }>
  }>
  people: Array<{
    person: string
    truth: { first_name: string; middle_name: string | null; last_name: string; dob: string; email: string }
    records: Array<{
      connection_id: string | null
      connection_ids: Array<string>
      customer_id: string | null
      provider_id: string
      company_id: string
      individual_id: string
      variations: Array<string>
    }>
  }>
}

const names = [
  "different-logins",
  "different-permissions",
  "provider-migration",
  "foreign-contractors",
  "pay-groups",
  "legal-entities",
  "legal-entities-separate",
  "peo",
]

describe.each(connectionModels)("scenarios (%s model)", (model) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })
  const instantiate = async (name: string, customer_id = `customer-${name}`) =>
    (await control<{ connections: Array<ScenarioConnection> }>(sandbox(), `/scenarios/${name}`, { customer_id }))
      .connections
  const truth = (name: string, customer_id = `customer-${name}`) =>
    control<Truth>(sandbox(), `/scenarios/${name}/truth?customer_id=${customer_id}`)

  it("lists the seed's scenarios with descriptions", async () => {
    const { scenarios } = await control<{ scenarios: Array<{ name: string; description: string }> }>(
      sandbox(),
      "/scenarios",
    )
    expect(scenarios.map((scenario) => scenario.name)).toEqual(names)
    expect(scenarios.every((scenario) => scenario.description.length > 20)).toBe(true)
  })

  it("different-logins: two logins, two Finch connections (current) or one (legacy); for the app one connection, two accounts", async () => {
    const [alice, bob] = await instantiate("different-logins")
    expect(alice?.connection_id === bob?.connection_id).toBe(model === "legacy")
    expect(alice?.company_id).toBe(bob?.company_id)
    expect(alice?.account_id).not.toBe(bob?.account_id)
    const introspect = await call(sandbox(), "/introspect", { token: bob?.access_token ?? "" })
    expect(introspect.body).toMatchObject({
      connection_id: bob?.connection_id,
      account_id: bob?.account_id,
      company_id: bob?.company_id,
      username: "acme_bob",
    })
    // What the app should hold either way: one connection (customer, provider, company) with one account per login.
    const { connections, people } = await truth("different-logins")
    expect(connections).toEqual([
      {
        customer_id: "customer-different-logins",
        provider_id: "gusto",
        company_id: alice?.company_id,
        company_name: "Acme Bakery Co.",
        accounts: [alice, bob].map((login) => ({
          connection_id: login?.connection_id,
          account_id: login?.account_id,
          username: login?.username,
          products: login?.products,
          entity_ids: login?.entity_ids,
          status: "connected",
        })),
      },
    ])
    // One record per person at the company, however many logins read it.
    expect(people).toHaveLength(30)
    for (const person of people) {
      expect(person.records).toHaveLength(1)
      expect(person.records[0]?.connection_id).toBe(alice?.connection_id)
      expect(person.records[0]?.connection_ids).toEqual([...new Set([alice?.connection_id, bob?.connection_id])])
    }
  })

  it("different-permissions: each login with its own products, one connection of the app's", async () => {
    const [hr, payroll] = await instantiate("different-permissions")
    expect(hr?.connection_id === payroll?.connection_id).toBe(model === "legacy")
    expect(payroll?.products).toEqual(["company", "payment", "pay_statement"])
    expect((await call(sandbox(), "/employer/directory", { token: payroll?.access_token ?? "" })).status).toBe(403)
    expect((await call(sandbox(), "/employer/directory", { token: hr?.access_token ?? "" })).status).toBe(200)
    const introspect = await call(sandbox(), "/introspect", { token: payroll?.access_token ?? "" })
    expect(introspect.body.products).toEqual(["company", "payment", "pay_statement"])
    expect(introspect.body.authentication_methods[0].products).toEqual(["company", "payment", "pay_statement"])
    const { connections } = await truth("different-permissions")
    expect(connections).toHaveLength(1)
    expect(connections[0]?.accounts.map((account) => account.username)).toEqual(["acme_hr", "acme_payroll"])
  })

  it("provider-migration: two providers, 30 people in both, terminated in the old system", async () => {
    const connections = await instantiate("provider-migration")
    expect(connections.map((c) => c.provider_id)).toEqual(["gusto", "adp_workforce_now"])
    const { people } = await truth("provider-migration")
    const both = people.filter((person) => person.records.length === 2)
    expect(both).toHaveLength(30)
    const [gusto, adp] = connections
    for (const person of both.slice(0, 5)) {
      const [old, current] = person.records
      expect(old?.connection_id).toBe(gusto?.connection_id)
      expect(current?.connection_id).toBe(adp?.connection_id)
      const oldEmployment = await call(sandbox(), "/employer/employment", {
        token: gusto?.access_token ?? "",
        body: { requests: [{ individual_id: old?.individual_id }] },
      })
      expect(oldEmployment.body.responses[0].body.is_active).toBe(false)
    }
    // People only in the new system were hired after the move; the old system's were all gone by it.
    const cutover = new Date(Date.parse("2026-06-15T12:00:00Z") - 120 * 86_400_000).toISOString().slice(0, 10)
    const employmentsOf = async (token: string) => {
      const ids = (await call(sandbox(), "/employer/directory?limit=10000", { token })).body.individuals.map(
        (p: { id: string }) => ({ individual_id: p.id }),
      )
      const reply = await call(sandbox(), "/employer/employment", { token, body: { requests: ids } })
      return reply.body.responses.map((r: { body: { start_date: string; end_date: string | null } }) => r.body)
    }
    for (const employment of await employmentsOf(gusto?.access_token ?? "")) expect(employment.end_date).toBe(cutover)
    for (const employment of await employmentsOf(adp?.access_token ?? "")) {
      expect(employment.start_date >= cutover).toBe(true)
    }
    // Some repeating employees really differ between the systems.
    expect(both.some((person) => !person.records[1]?.variations.includes("exact"))).toBe(true)
  })

  it("records the truth faithfully: each variation shows in the data", async () => {
    await instantiate("peo")
    const connections = await instantiate("provider-migration", "customer-truth")
    const token = new Map(connections.map((c) => [c.connection_id, c.access_token]))
    const { people } = await truth("provider-migration", "customer-truth")
    const seen = new Set<string>()
    const missingEmailForms = new Set<string>()
    for (const person of people) {
      for (const record of person.records) {
        const reply = await call(sandbox(), "/employer/individual", {
          token: token.get(record.connection_id ?? "") ?? "",
          body: { requests: [{ individual_id: record.individual_id }] },
        })
        const individual = reply.body.responses[0].body
        for (const variation of record.variations) {
          seen.add(variation)
          if (variation === "exact") {
            expect(individual.first_name).toBe(person.truth.first_name)
            expect(individual.last_name).toBe(person.truth.last_name)
            expect(individual.dob).toBe(person.truth.dob)
            expect(individual.emails.map((e: { data: string }) => e.data)).toContain(person.truth.email)
          }
          if (variation === "nickname") {
            expect(individual.first_name).toBe(
              nicknames[person.truth.first_name] ?? person.truth.first_name.slice(0, 3),
            )
          }
          if (variation === "married_name" || variation === "typo") {
            expect(individual.last_name).not.toBe(person.truth.last_name)
            expect(individual.dob).toBe(person.truth.dob)
          }
          if (variation === "hyphenated_name") {
            expect(individual.last_name.startsWith(`${person.truth.last_name}-`)).toBe(true)
          }
          if (variation === "uppercase") expect(individual.last_name).toBe(person.truth.last_name.toUpperCase())
          if (variation === "middle_name_dropped") expect(individual.middle_name).toBeNull()
          if (variation === "missing_email") {
            expect(individual.emails ?? null).toBeNull()
            missingEmailForms.add("emails" in individual ? "null" : "absent")
          }
          if (variation === "missing_dob") expect(individual.dob).toBeNull()
        }
      }
    }
    // Both ways providers leave emails out show up.
    expect([...missingEmailForms].sort()).toEqual(["absent", "null"])
    expect([...seen].sort()).toEqual([
      "exact",
      "hyphenated_name",
      "married_name",
      "middle_name_dropped",
      "missing_dob",
      "missing_email",
      "nickname",
      "typo",
      "uppercase",
    ])
  })

  it("foreign-contractors: Deel contractors abroad, with no company_id on the token", async () => {
    const [us, deel] = await instantiate("foreign-contractors")
    expect(us?.provider_id).toBe("gusto")
    expect(deel?.provider_id).toBe("deel")
    const introspect = await call(sandbox(), "/introspect", { token: deel?.access_token ?? "" })
    expect(introspect.body.company_id).toBeUndefined()
    const directory = await call(sandbox(), "/employer/directory", { token: deel?.access_token ?? "" })
    const requests = directory.body.individuals.map((p: { id: string }) => ({ individual_id: p.id }))
    const employments = await call(sandbox(), "/employer/employment", {
      token: deel?.access_token ?? "",
      body: { requests },
    })
    const bodies = employments.body.responses.map((r: { body: any }) => r.body)
    expect(bodies.every((b: any) => b.employment.type === "contractor")).toBe(true)
    expect(bodies.some((b: any) => b.location.country !== "US")).toBe(true)
    const { people } = await truth("foreign-contractors")
    expect(people.filter((person) => person.records.length === 2)).toHaveLength(2)
  })

  it("pay-groups and legal-entities-separate: one connection per company at the same provider", async () => {
    for (const name of ["pay-groups", "legal-entities-separate"]) {
      const [a, b] = await instantiate(name)
      expect(a?.provider_id).toBe(b?.provider_id)
      expect(a?.company_id).not.toBe(b?.company_id)
      expect(a?.connection_id).not.toBe(b?.connection_id)
    }
  })

  it("legal-entities: one connection with three entities; the shared people appear twice in it", async () => {
    const [only, ...rest] = await instantiate("legal-entities")
    expect(rest).toEqual([])
    expect(only?.entity_ids).toHaveLength(3)
    const { people } = await truth("legal-entities")
    const twice = people.filter((person) => person.records.length === 2)
    expect(twice).toHaveLength(3)
    for (const person of twice) {
      expect(person.records[0]?.connection_id).toBe(only?.connection_id)
      expect(person.records[1]?.connection_id).toBe(only?.connection_id)
      expect(person.records[0]?.individual_id).not.toBe(person.records[1]?.individual_id)
    }
  })

  it("peo: the owner's login gives three connections, the PEO admin a second login at the first", async () => {
    const connections = await instantiate("peo", "customer-peo-2")
    const owner = connections.filter((c) => c.username === "fjord_owner")
    const admin = connections.find((c) => c.username === "fjord_peo_admin")
    expect(new Set(owner.map((c) => c.connection_id)).size).toBe(3)
    expect(new Set(owner.map((c) => c.provider_id))).toEqual(new Set(["justworks"]))
    expect(admin?.company_id).toBe(owner[0]?.company_id)
    expect(admin?.connection_id === owner[0]?.connection_id).toBe(model === "legacy")
    expect(admin?.account_id).not.toBe(owner[0]?.account_id)
    const truthOf = await truth("peo", "customer-peo-2")
    expect(truthOf.people.filter((person) => person.records.length === 3)).toHaveLength(3)
    // Three connections for the app; the first with the owner's and the PEO admin's accounts.
    expect(truthOf.connections.map((connection) => connection.accounts.map((account) => account.username))).toEqual([
      ["fjord_owner", "fjord_peo_admin"],
      ["fjord_owner"],
      ["fjord_owner"],
    ])
  })

  it("reports records of companies nobody connected yet with connection_id null", async () => {
    const { people } = await control<Truth>(sandbox(), "/scenarios/pay-groups/truth?customer_id=nobody")
    expect(people.flatMap((person) => person.records).every((record) => record.connection_id === null)).toBe(true)
  })

  it("answers 404 for an unknown scenario", async () => {
    expect((await call(sandbox(), "/_sandbox/scenarios/nope", { body: {}, noVersion: true })).status).toBe(404)
  })
})

describe("alwaysReportCompanyId", () => {
  it("puts company_id on every token, multi-entity and Deel included", async () => {
    const sandbox = await startSandbox({ alwaysReportCompanyId: true })
    try {
      const { connections } = await control<{ connections: Array<ScenarioConnection> }>(
        sandbox,
        "/scenarios/legal-entities",
        {},
      )
      const deel = await control(sandbox, "/connections", { provider_id: "deel" })
      for (const token of [connections[0]?.access_token ?? "", deel.access_token]) {
        const introspect = await call(sandbox, "/introspect", { token })
        expect(typeof introspect.body.company_id).toBe("string")
      }
    } finally {
      await sandbox.close()
    }
  })
})

describe("scenario data is deterministic", () => {
  it("the same seed gives the same people and ids", async () => {
    const a = await startSandbox({ seed: 11, today: "2026-03-01" })
    const b = await startSandbox({ seed: 11, today: "2026-03-01" })
    const c = await startSandbox({ seed: 12, today: "2026-03-01" })
    try {
      const ids = async (sandbox: typeof a) => {
        const { people } = await control<Truth>(sandbox, "/scenarios/provider-migration/truth")
        return people.map((person) => [person.truth, person.records.map((record) => record.individual_id)])
      }
      expect(await ids(a)).toEqual(await ids(b))
      expect(await ids(a)).not.toEqual(await ids(c))
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })
})
