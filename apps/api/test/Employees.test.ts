/**
 * `GET …/employees` (paged), `GET …/employees/{person_id}` and `POST …/employees/decisions` over records stored
 * for two real connections and reconciled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
let gusto: string
let adp: string

const ada = { first: "Ada", last: "Lovelace", dob: "1990-12-10", email: "ada@example.com" }
beforeAll(async () => {
  api = await makeTestApi()
  await api.createCustomer("acme")
  gusto = (await api.connect("acme", { username: "good_user_1" })).body.connection.id
  adp = (await api.connect("acme", { username: "good_user_2", provider_id: "adp_run" })).body.connection.id
  await api.seedEmployees("acme", gusto, [
    { id: "g-1", ...ada },
    { id: "g-2", first: "Grace", last: "Hopper", dob: "1980-12-09", email: "grace@example.com" },
  ])
  await api.seedEmployees("acme", adp, [
    { id: "a-1", ...ada },
    { id: "a-2", first: "Alan", last: "Turing", dob: "1970-06-23", email: "alan@example.com" },
  ])
})
afterAll(() => api?.close())

const allEmployees = async () => (await api.call("GET", "/v1/customers/acme/employees?limit=200")).body.employees

describe("GET /v1/customers/{id}/employees", () => {
  it("lists reconciled people with their source records and the evidence of each merge", async () => {
    const answer = await api.call("GET", "/v1/customers/acme/employees")
    expect(answer.status).toBe(200)
    expect(answer.body.employees).toHaveLength(3)
    expect(answer.body.next_cursor).toBeNull()
    const merged = answer.body.employees.find((person: any) => person.records.length === 2)
    expect(merged.records.map((record: any) => record.connection_id).sort()).toEqual([gusto, adp].sort())
    expect(merged.records.map((record: any) => record.individual_id).sort()).toEqual(["a-1", "g-1"])
    const linked = merged.records.find((record: any) => record.match.score !== null)
    expect(linked.match.matched_by.length).toBeGreaterThan(0)
  })

  it("pages with limit and cursor", async () => {
    const first = await api.call("GET", "/v1/customers/acme/employees?limit=2")
    expect(first.body.employees).toHaveLength(2)
    expect(first.body.next_cursor).toEqual(expect.any(String))
    const second = await api.call("GET", `/v1/customers/acme/employees?limit=2&cursor=${first.body.next_cursor}`)
    expect(second.body.employees).toHaveLength(1)
    expect(second.body.next_cursor).toBeNull()
    const ids = [...first.body.employees, ...second.body.employees].map((person: any) => person.id)
    expect(new Set(ids).size).toBe(3)
  })

  it("answers a bad limit with 400 naming limit, and an unknown customer with 404", async () => {
    for (const limit of ["0", "201", "abc", "1.5"]) {
      const answer = await api.call("GET", `/v1/customers/acme/employees?limit=${limit}`)
      expect(answer.status).toBe(400)
      expect(answer.body.error.details.issues[0]).toMatchObject({ field: "limit", in: "query" })
    }
    const unknown = await api.call("GET", "/v1/customers/nobody/employees")
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("customer_not_found")
  })
})

describe("GET /v1/customers/{id}/employees/{person_id}", () => {
  it("reads one person; an unknown id is 404 person_not_found", async () => {
    const [person] = await allEmployees()
    const answer = await api.call("GET", `/v1/customers/acme/employees/${encodeURIComponent(person.id)}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual(person)
    const unknown = await api.call("GET", "/v1/customers/acme/employees/nobody")
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("person_not_found")
  })
})

describe("POST /v1/customers/{id}/employees/decisions", () => {
  it("splits a merged person on not_same_person and joins them again on same_person", async () => {
    const a = `${gusto}:g-1`
    const b = `${adp}:a-1`
    const split = await api.call("POST", "/v1/customers/acme/employees/decisions", {
      body: { record_ids: [a, b], decision: "not_same_person" },
    })
    expect(split.status).toBe(200)
    expect(split.body.employees).toHaveLength(2)
    expect(await allEmployees()).toHaveLength(4)
    const joined = await api.call("POST", "/v1/customers/acme/employees/decisions", {
      body: { record_ids: [a, b], decision: "same_person" },
    })
    expect(joined.status).toBe(200)
    expect(joined.body.employees).toHaveLength(1)
    expect(joined.body.employees[0].records).toHaveLength(2)
  })

  it("refuses unknown records (404 record_not_found) and a bad body (400), recording nothing", async () => {
    const before = await api.snapshot()
    const unknown = await api.call("POST", "/v1/customers/acme/employees/decisions", {
      body: { record_ids: [`${gusto}:g-1`, `${gusto}:nobody`], decision: "same_person" },
    })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("record_not_found")
    for (const body of [
      { record_ids: [`${gusto}:g-1`, `${gusto}:g-1`], decision: "same_person" },
      { record_ids: [`${gusto}:g-1`], decision: "same_person" },
      { record_ids: [`${gusto}:g-1`, `${gusto}:g-2`], decision: "maybe" },
    ]) {
      const answer = await api.call("POST", "/v1/customers/acme/employees/decisions", { body })
      expect(answer.status).toBe(400)
      expect(answer.body.error.code).toBe("invalid_request")
    }
    expect(await api.snapshot()).toBe(before)
  })
})
