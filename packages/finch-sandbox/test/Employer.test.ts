import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, control, mint, useSandbox } from "./support/Http.ts"

const all = ["company", "directory", "individual", "employment", "payment", "ssn"]

describe("GET /employer/directory", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("pages with count/offset: 100 by default, up to 10000, count is the total", async () => {
    const { access_token } = await mint(sandbox(), { employee_size: 250 })
    const first = await call(sandbox(), "/employer/directory", { token: access_token })
    expect(first.body.paging).toEqual({ count: 250, offset: 0 })
    expect(first.body.individuals).toHaveLength(100)
    const last = await call(sandbox(), "/employer/directory?offset=200&limit=100", { token: access_token })
    expect(last.body.paging).toEqual({ count: 250, offset: 200 })
    expect(last.body.individuals).toHaveLength(50)
    const beyond = await call(sandbox(), "/employer/directory?offset=300", { token: access_token })
    expect(beyond.body.individuals).toHaveLength(0)
    const whole = await call(sandbox(), "/employer/directory?limit=10000", { token: access_token })
    expect(whole.body.individuals).toHaveLength(250)
    expect(whole.body.individuals.slice(200)).toEqual(last.body.individuals)
  })

  it("refuses a limit above 10000 or below 1 and a negative offset", async () => {
    const { access_token } = await mint(sandbox())
    for (const query of ["limit=10001", "limit=0", "limit=abc", "offset=-1"]) {
      const reply = await call(sandbox(), `/employer/directory?${query}`, { token: access_token })
      expect(reply.status, query).toBe(400)
      expect(reply.body.finch_code).toBe("invalid_request")
    }
  })

  it("serves 25,000 employees in three pages of at most 10,000", async () => {
    const { access_token } = await mint(sandbox(), { employee_size: 25_000 })
    const ids = new Set<string>()
    let offset = 0
    let pages = 0
    for (;;) {
      const page = await call(sandbox(), `/employer/directory?limit=10000&offset=${offset}`, { token: access_token })
      pages += 1
      for (const person of page.body.individuals) ids.add(person.id)
      offset = page.body.paging.offset + page.body.individuals.length
      if (offset >= page.body.paging.count) break
    }
    expect(pages).toBe(3)
    expect(ids.size).toBe(25_000)
  })

  it("sends Finch's data headers", async () => {
    const { access_token } = await mint(sandbox())
    const reply = await call(sandbox(), "/employer/directory", { token: access_token })
    expect(Number.isNaN(Date.parse(reply.headers.get("finch-data-retrieved") ?? ""))).toBe(false)
    expect(reply.headers.get("finch-last-attempted-update-result")).toBe("success")
  })
})

describe("batch endpoints", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  const idsOf = async (token: string, limit = 10_000) =>
    (await call(sandbox(), `/employer/directory?limit=${limit}`, { token })).body.individuals.map(
      (person: { id: string }) => person.id,
    ) as Array<string>

  it("answer 200 with one result per requested id, in order, 404 items for unknown ids", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    const [a, b] = await idsOf(access_token)
    const unknown = "00000000-0000-4000-8000-000000000000"
    for (const path of ["/employer/individual", "/employer/employment"]) {
      const reply = await call(sandbox(), path, {
        token: access_token,
        body: { requests: [{ individual_id: a }, { individual_id: unknown }, { individual_id: b }] },
      })
      expect(reply.status).toBe(200)
      expect(
        reply.body.responses.map((item: { individual_id: string; code: number }) => [item.individual_id, item.code]),
      ).toEqual([
        [a, 200],
        [unknown, 404],
        [b, 200],
      ])
      expect(reply.body.responses[1].body).toEqual({
        name: "not_found_error",
        code: 404,
        finch_code: "individual_not_found",
        message: `The individual with id '${unknown}' could not be found`,
      })
      expect(reply.body.responses[0].body.id).toBe(a)
    }
  })

  it("take up to 10,000 ids and refuse more with 400", async () => {
    const { access_token } = await mint(sandbox(), { products: all, employee_size: 10_000 })
    const ids = await idsOf(access_token)
    const requests = ids.map((individual_id) => ({ individual_id }))
    const full = await call(sandbox(), "/employer/employment", { token: access_token, body: { requests } })
    expect(full.status).toBe(200)
    expect(full.body.responses).toHaveLength(10_000)
    const over = await call(sandbox(), "/employer/individual", {
      token: access_token,
      body: { requests: [...requests, { individual_id: ids[0] }] },
    })
    expect(over.status).toBe(400)
    expect(over.body).toMatchObject({ code: 400, name: "invalid_request_error", finch_code: "invalid_request" })
  })

  it("refuse a malformed body", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    for (const body of [{}, { requests: "x" }, { requests: [{ id: "x" }] }]) {
      const reply = await call(sandbox(), "/employer/individual", { token: access_token, body })
      expect(reply.status).toBe(400)
    }
    const notJson = await fetch(`${sandbox().baseUrl}/employer/individual`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${access_token}`,
        "finch-api-version": "2020-09-17",
        "content-type": "application/json",
      },
      body: "{nope",
    })
    expect(notJson.status).toBe(400)
  })

  it("include Finch's nullable corners: people without phones, null phone entries", async () => {
    const { access_token } = await mint(sandbox(), { products: all, employee_size: 400 })
    const requests = (await idsOf(access_token)).map((individual_id) => ({ individual_id }))
    const reply = await call(sandbox(), "/employer/individual", { token: access_token, body: { requests } })
    const phones = reply.body.responses.map((item: { body: { phone_numbers: unknown } }) => item.body.phone_numbers)
    expect(phones.some((p: unknown) => p === null)).toBe(true)
    expect(phones.some((p: unknown) => Array.isArray(p) && p[0] === null)).toBe(true)
    expect(phones.filter((p: unknown) => Array.isArray(p) && p[0] !== null).length).toBeGreaterThan(300)
  })

  it("return ssn only with the ssn product AND options.include ['ssn']", async () => {
    const withScope = await mint(sandbox(), { products: all, username: "ssn_co" })
    const withoutScope = await mint(sandbox(), {
      products: ["directory", "individual"],
      username: "ssn_co",
      customer_id: "another-customer",
    })
    const [id] = await idsOf(withScope.access_token)
    const fetchOne = async (token: string, options?: object) =>
      (
        await call(sandbox(), "/employer/individual", {
          token,
          body: { requests: [{ individual_id: id }], ...(options === undefined ? {} : { options }) },
        })
      ).body.responses[0].body
    const granted = await fetchOne(withScope.access_token, { include: ["ssn"] })
    expect(granted.ssn).toMatch(/^\d{3}-\d{2}-\d{4}$/)
    expect("ssn" in (await fetchOne(withScope.access_token))).toBe(false)
    expect("ssn" in (await fetchOne(withoutScope.access_token, { include: ["ssn"] }))).toBe(false)
  })

  it("gives SSNs as the provider does: encrypted_ssn at Workday, none at Deel", async () => {
    const fetchFirst = async (provider_id: string) => {
      const { access_token } = await mint(sandbox(), { provider_id, products: all })
      const [id] = await idsOf(access_token)
      const reply = await call(sandbox(), "/employer/individual", {
        token: access_token,
        body: { requests: [{ individual_id: id }], options: { include: ["ssn"] } },
      })
      return reply.body.responses[0].body
    }
    const workday = await fetchFirst("workday")
    expect(workday.ssn).toBeNull()
    expect(workday.encrypted_ssn).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const deel = await fetchFirst("deel")
    expect(deel.ssn).toBeNull()
    expect(deel.encrypted_ssn).toBeUndefined()
  })
})

describe("scopes, statuses and entities", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })

  it("answers 403 insufficient_scope_error for a product the token lacks", async () => {
    const { access_token } = await mint(sandbox(), { products: ["company"] })
    const checks: Array<[string, object | undefined]> = [
      ["/employer/directory", undefined],
      ["/employer/individual", { requests: [] }],
      ["/employer/employment", { requests: [] }],
      ["/employer/payment?start_date=2026-01-01&end_date=2026-02-01", undefined],
    ]
    for (const [path, body] of checks) {
      const reply = await call(sandbox(), path, { token: access_token, ...(body === undefined ? {} : { body }) })
      expect(reply.status, path).toBe(403)
      expect(reply.body).toMatchObject({ code: 403, name: "insufficient_scope_error" })
    }
    expect((await call(sandbox(), "/employer/company", { token: access_token })).status).toBe(200)
  })

  it("answers 401 with the right name for no token, an unknown token and a revoked token", async () => {
    const none = await call(sandbox(), "/employer/company")
    expect(none.body).toMatchObject({ code: 401, name: "unauthorized_request_error" })
    const unknown = await call(sandbox(), "/employer/company", { token: "not-a-token" })
    expect(unknown.body).toMatchObject({ code: 401, name: "invalid_token_error" })
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/tokens/revoke", { access_token })
    const revoked = await call(sandbox(), "/employer/company", { token: access_token })
    expect(revoked.body).toMatchObject({ code: 401, name: "invalid_token_error" })
  })

  it("maps connection statuses to Finch's answers", async () => {
    const { access_token, connection_id } = await mint(sandbox())
    const expectations: Array<[string, number, string | undefined]> = [
      ["reauth", 401, "reauthenticate_user"],
      ["pending", 202, "data_sync_in_progress"],
      ["processing", 202, "data_sync_in_progress"],
      ["error_no_account_setup", 401, "account_setup_required"],
      ["error_permissions", 403, "insufficient_account_permissions"],
      ["connected", 200, undefined],
    ]
    for (const [status, code, finchCode] of expectations) {
      await control(sandbox(), `/connections/${connection_id}/status`, { status })
      const reply = await call(sandbox(), "/employer/directory", { token: access_token })
      expect(reply.status, status).toBe(code)
      if (finchCode !== undefined) expect(reply.body.finch_code).toBe(finchCode)
      const introspect = await call(sandbox(), "/introspect", { token: access_token })
      expect(introspect.status).toBe(200)
      expect(introspect.body.connection_status.status).toBe(status)
    }
  })

  it("POST /disconnect revokes every token of the connection, and only those", async () => {
    const first = await mint(sandbox(), { username: "disc_co", customer_id: "disc" })
    const second = await mint(sandbox(), { connection_id: first.connection_id })
    const other = await mint(sandbox(), { username: "disc_other", customer_id: "disc" })
    // Another login to the same company is a Finch connection of its own (the default, current model).
    const sibling = await mint(sandbox(), { company_id: first.company_id, username: "disc_co_2", customer_id: "disc" })
    expect(second.connection_id).toBe(first.connection_id)
    expect(sibling.connection_id).not.toBe(first.connection_id)
    const reply = await call(sandbox(), "/disconnect", { token: first.access_token, method: "POST" })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ status: "success" })
    for (const token of [first.access_token, second.access_token]) {
      const after = await call(sandbox(), "/introspect", { token })
      expect(after.status).toBe(401)
      expect(after.body.name).toBe("invalid_token_error")
    }
    expect((await call(sandbox(), "/introspect", { token: other.access_token })).status).toBe(200)
    expect((await call(sandbox(), "/employer/company", { token: sibling.access_token })).status).toBe(200)
    // A later connect to the same company makes a fresh connection.
    const again = await mint(sandbox(), { username: "disc_co", customer_id: "disc" })
    expect(again.connection_id).not.toBe(first.connection_id)
  })

  it("scopes data with entity_ids (one at most) and /disconnect-entity removes one entity", async () => {
    const { access_token } = await mint(sandbox(), { provider_id: "rippling", username: "multi_entity", products: all })
    const introspect = await call(sandbox(), "/introspect", { token: access_token })
    const entityIds = introspect.body.entities.map((entity: { id: string }) => entity.id) as Array<string>
    expect(entityIds).toHaveLength(3)
    expect(introspect.body.company_id).toBeUndefined()
    const everyone = await call(sandbox(), "/employer/directory?limit=10000", { token: access_token })
    const counts = []
    for (const id of entityIds) {
      const scoped = await call(sandbox(), `/employer/directory?limit=10000&entity_ids[]=${id}`, {
        token: access_token,
      })
      expect(scoped.status).toBe(200)
      counts.push(scoped.body.paging.count)
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(everyone.body.paging.count)
    const two = await call(sandbox(), `/employer/directory?entity_ids[]=${entityIds[0]}&entity_ids[]=${entityIds[1]}`, {
      token: access_token,
    })
    expect(two.status).toBe(400)
    const foreign = await call(sandbox(), "/employer/directory?entity_ids=00000000-0000-4000-8000-000000000000", {
      token: access_token,
    })
    expect(foreign.status).toBe(400)
    const removed = await call(sandbox(), "/disconnect-entity", {
      token: access_token,
      body: { entity_ids: [entityIds[2]] },
    })
    expect(removed.body).toEqual({ status: "success" })
    const after = await call(sandbox(), "/employer/directory?limit=10000", { token: access_token })
    expect(after.body.paging.count).toBe(everyone.body.paging.count - (counts[2] ?? 0))
    const entities = (await call(sandbox(), "/introspect", { token: access_token })).body.entities
    expect(entities.map((entity: { status: string }) => entity.status)).toEqual([
      "connected",
      "connected",
      "disconnected",
    ])
  })

  it("GET /employer/payment needs start_date and end_date", async () => {
    const { access_token } = await mint(sandbox(), { products: all })
    expect((await call(sandbox(), "/employer/payment", { token: access_token })).status).toBe(400)
    const today = await call(sandbox(), "/employer/payment?start_date=2026-06-15&end_date=2026-06-15", {
      token: access_token,
    })
    expect(today.body).toHaveLength(1)
    const before = await call(sandbox(), "/employer/payment?start_date=2020-01-01&end_date=2020-12-31", {
      token: access_token,
    })
    expect(before.body).toEqual([])
  })
})

describe("POST /employer/pay-statement", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })
  const payroll = ["company", "directory", "payment", "pay_statement"]

  const paymentOf = async (token: string) =>
    (await call(sandbox(), "/employer/payment?start_date=2026-06-15&end_date=2026-06-15", { token })).body[0]

  it("returns one statement per paid person, paged per payment, that adds up", async () => {
    const { access_token } = await mint(sandbox(), { products: payroll, employee_size: 30 })
    const payment = await paymentOf(access_token)
    const reply = await call(sandbox(), "/employer/pay-statement", {
      token: access_token,
      body: { requests: [{ payment_id: payment.id }, { payment_id: payment.id, limit: 5, offset: 2 }] },
    })
    expect(reply.status).toBe(200)
    const [whole, page] = reply.body.responses
    expect(whole.code).toBe(200)
    expect(whole.body.paging).toEqual({ count: payment.individual_ids.length, offset: 0 })
    expect(whole.body.pay_statements.map((s: { individual_id: string }) => s.individual_id)).toEqual(
      payment.individual_ids,
    )
    expect(page.body.pay_statements).toEqual(whole.body.pay_statements.slice(2, 7))
    for (const statement of whole.body.pay_statements) {
      const withheld = statement.taxes
        .filter((tax: { employer: boolean }) => !tax.employer)
        .reduce((sum: number, tax: { amount: number }) => sum + tax.amount, 0)
      const deducted = statement.employee_deductions.reduce((sum: number, d: { amount: number }) => sum + d.amount, 0)
      expect(statement.net_pay.amount).toBe(statement.gross_pay.amount - withheld - deducted)
    }
  })

  it("answers per item: 404 for an unknown payment, 202 while statements are being fetched", async () => {
    const { access_token } = await mint(sandbox(), { products: payroll })
    const payment = await paymentOf(access_token)
    await control(sandbox(), "/pay-statements/pending", { payment_id: payment.id, count: 1 })
    const unknown = "00000000-0000-4000-8000-000000000000"
    const reply = await call(sandbox(), "/employer/pay-statement", {
      token: access_token,
      body: { requests: [{ payment_id: payment.id }, { payment_id: unknown }] },
    })
    expect(reply.status).toBe(200)
    expect(reply.body.responses.map((r: { code: number }) => r.code)).toEqual([202, 404])
    expect(reply.body.responses[0].body).toEqual({
      code: 202,
      name: "accepted",
      finch_code: "data_sync_in_progress",
      message: "The pay statements for this payment are being fetched. Please check back later.",
    })
    expect(reply.body.responses[1].body.finch_code).toBe("payment_not_found")
    const later = await call(sandbox(), "/employer/pay-statement", {
      token: access_token,
      body: { requests: [{ payment_id: payment.id }] },
    })
    expect(later.body.responses[0].code).toBe(200)
  })

  it("takes at most 10 payments per request and needs the pay_statement product", async () => {
    const { access_token } = await mint(sandbox(), { products: payroll })
    const payment = await paymentOf(access_token)
    const eleven = Array.from({ length: 11 }, () => ({ payment_id: payment.id }))
    const over = await call(sandbox(), "/employer/pay-statement", { token: access_token, body: { requests: eleven } })
    expect(over.status).toBe(400)
    const ten = await call(sandbox(), "/employer/pay-statement", {
      token: access_token,
      body: { requests: eleven.slice(1) },
    })
    expect(ten.body.responses).toHaveLength(10)
    const narrow = await mint(sandbox(), { products: ["payment"] })
    const denied = await call(sandbox(), "/employer/pay-statement", {
      token: narrow.access_token,
      body: { requests: [{ payment_id: payment.id }] },
    })
    expect(denied.status).toBe(403)
  })
})
