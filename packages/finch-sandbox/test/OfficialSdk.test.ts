/**
 * The official SDK `@tryfinch/finch-api`, pointed at the sandbox, works end to end: a real client no one here wrote
 * agrees with our fake. The type-level checks below make `tsc` prove the sandbox's wire types fit the SDK's.
 */
import Finch from "@tryfinch/finch-api"
import type * as AccessTokens from "@tryfinch/finch-api/resources/access-tokens"
import type * as Account from "@tryfinch/finch-api/resources/account"
import type * as Company from "@tryfinch/finch-api/resources/hris/company"
import type * as Directory from "@tryfinch/finch-api/resources/hris/directory"
import type * as Employments from "@tryfinch/finch-api/resources/hris/employments"
import type * as Individuals from "@tryfinch/finch-api/resources/hris/individuals"
import type * as PayStatements from "@tryfinch/finch-api/resources/hris/pay-statements"
import type * as Payments from "@tryfinch/finch-api/resources/hris/payments"
import type * as PayGroups from "@tryfinch/finch-api/resources/payroll/pay-groups"
import type * as Providers from "@tryfinch/finch-api/resources/providers"
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest"
import type * as Wire from "../src/internal/Wire.ts"
import { connectionModels } from "../src/Sandbox.ts"
import { control, mint, requestLog, useSandbox } from "./support/Http.ts"

describe.each(connectionModels)("the official SDK against the sandbox (%s model)", (model) => {
  const sandbox = useSandbox({ beforeAll, afterAll }, { connectionModel: model })
  const client = () =>
    new Finch({
      baseURL: sandbox().baseUrl,
      clientID: sandbox().clientId,
      clientSecret: sandbox().clientSecret,
      maxRetries: 0,
    })

  it("serves shapes the SDK's types accept (checked by tsc)", () => {
    expectTypeOf<Wire.Introspection>().toExtend<Account.Introspection>()
    expectTypeOf<Wire.CreateAccessTokenResponse>().toExtend<AccessTokens.CreateAccessTokenResponse>()
    expectTypeOf<Wire.Company>().toExtend<Company.Company>()
    expectTypeOf<Wire.DirectoryItem>().toExtend<Directory.IndividualInDirectory>()
    expectTypeOf<Wire.Individual>().toExtend<Individuals.Individual.IndividualResponseBody>()
    expectTypeOf<Wire.Employment>().toExtend<Employments.EmploymentData.EmploymentDataResponseBody>()
    expectTypeOf<Wire.ErrorBody>().toExtend<Individuals.Individual.BatchError>()
    expectTypeOf<Wire.Payment>().toExtend<Payments.Payment>()
    expectTypeOf<Wire.Provider>().toExtend<Providers.Provider>()
    expectTypeOf<Wire.PayStatement>().toExtend<PayStatements.PayStatement>()
    expectTypeOf<Wire.PayGroup>().toExtend<PayGroups.PayGroupRetrieveResponse>()
    expectTypeOf<Omit<Wire.PayGroup, "individual_ids">>().toExtend<PayGroups.PayGroupListResponse>()
    expectTypeOf<{ ssn: number }>().not.toExtend<Individuals.Individual.IndividualResponseBody>()
  })

  it("creates a Connect session, exchanges the code and introspects the token", async () => {
    const finch = client()
    const session = await finch.connect.sessions.new({
      customer_id: "customer-sdk",
      customer_name: "SDK Customer",
      products: ["company", "directory", "individual", "employment"],
      redirect_uri: "http://127.0.0.1:9/callback",
    })
    expect(session.connect_url).toBe(`${sandbox().baseUrl}/authorize?session=${session.session_id}`)
    const { code } = await control<{ code: string }>(sandbox(), `/connect/sessions/${session.session_id}/complete`, {
      provider_id: "gusto",
      username: "sdk_user",
    })
    const token = await finch.accessTokens.create({ code, redirect_uri: "http://127.0.0.1:9/callback" })
    expect(token.token_type).toBe("bearer")
    expect(token.customer_id).toBe("customer-sdk")
    const introspection = await finch.withOptions({ accessToken: token.access_token }).account.introspect()
    expect(introspection).toMatchObject({
      connection_id: token.connection_id,
      provider_id: "gusto",
      payroll_provider_id: "gusto",
      company_id: token.company_id,
      account_id: token.account_id,
      customer_id: "customer-sdk",
      customer_name: "SDK Customer",
      connection_status: { status: "connected" },
      username: "sdk_user",
    })
  })

  it("pages the whole directory and fetches every individual and employment", async () => {
    const { access_token } = await mint(sandbox(), { employee_size: 250 })
    const finch = client().withOptions({ accessToken: access_token })
    const ids: Array<string> = []
    for await (const person of finch.hris.directory.list({ limit: 100 })) ids.push(person.id)
    expect(ids).toHaveLength(250)
    expect(new Set(ids).size).toBe(250)
    const requests = ids.map((individual_id) => ({ individual_id }))
    const individuals: Array<Individuals.IndividualResponse> = []
    for await (const item of finch.hris.individuals.retrieveMany({ requests })) individuals.push(item)
    expect(individuals.map((item) => item.individual_id)).toEqual(ids)
    expect(individuals.every((item) => item.code === 200)).toBe(true)
    const employments: Array<Employments.EmploymentDataResponse> = []
    for await (const item of finch.hris.employments.retrieveMany({ requests })) employments.push(item)
    expect(employments.map((item) => item.individual_id)).toEqual(ids)
    const company = await finch.hris.company.retrieve()
    expect(company.id).not.toBe("")
  })

  it("lists payments and fetches their pay statements", async () => {
    const { access_token } = await mint(sandbox(), { products: ["payment", "pay_statement"], employee_size: 12 })
    const finch = client().withOptions({ accessToken: access_token })
    const payments: Array<Payments.Payment> = []
    for await (const payment of finch.hris.payments.list({ start_date: "2026-01-01", end_date: "2026-12-31" })) {
      payments.push(payment)
    }
    expect(payments).toHaveLength(1)
    const responses: Array<PayStatements.PayStatementResponse> = []
    for await (const response of finch.hris.payStatements.retrieveMany({
      requests: payments.map((payment) => ({ payment_id: payment.id })),
    })) {
      responses.push(response)
    }
    expect(responses.map((response) => response.code)).toEqual([200])
  })

  it("lists and reads pay groups, which cover every paid person once", async () => {
    const { access_token } = await mint(sandbox(), { products: ["directory", "payment"], employee_size: 60 })
    const finch = client().withOptions({ accessToken: access_token })
    const groups: Array<PayGroups.PayGroupListResponse> = []
    for await (const group of finch.payroll.payGroups.list()) groups.push(group)
    expect(groups.length).toBeGreaterThanOrEqual(1)
    const members = []
    for (const group of groups) members.push(...(await finch.payroll.payGroups.retrieve(group.id)).individual_ids)
    const directory = await finch.hris.directory.list({ limit: 10_000 })
    expect(members.sort()).toEqual(directory.individuals.map((person) => person.id).sort())
    const someone = directory.individuals[0]?.id ?? ""
    const own: Array<PayGroups.PayGroupListResponse> = []
    for await (const group of finch.payroll.payGroups.list({ individual_id: someone })) own.push(group)
    expect(own).toHaveLength(1)
  })

  it("runs, lists and reads automated jobs, and configures sandbox jobs", async () => {
    const { access_token } = await mint(sandbox())
    const finch = client().withOptions({ accessToken: access_token })
    const configuration = await finch.sandbox.jobs.configuration.update({
      type: "data_sync_all",
      completion_status: "complete",
    })
    expect(configuration.completion_status).toBe("complete")
    const created = await finch.jobs.automated.create({ type: "data_sync_all" })
    expect(created.remaining_refreshes).toBe(0)
    const job = await finch.jobs.automated.retrieve(created.job_id ?? "")
    expect(job).toMatchObject({ type: "data_sync_all", status: "complete", job_url: created.job_url })
    const someone = (await finch.hris.directory.list()).individuals[0]?.id ?? ""
    const w4 = await finch.jobs.automated.create({ type: "w4_form_employee_sync", params: { individual_id: someone } })
    const list = await finch.jobs.automated.list()
    expect(list.data.map((item) => item.job_id)).toEqual([w4.job_id, created.job_id])
    expect(list.meta.quotas?.data_sync_all?.remaining_refreshes).toBe(0)
    const limited = await finch.jobs.automated.create({ type: "data_sync_all" }).catch((error: unknown) => error)
    expect(limited).toBeInstanceOf(Finch.RateLimitError)
  })

  it("retries the sandbox's injected 503s, and the request log counts every attempt", async () => {
    const { access_token } = await mint(sandbox())
    await control(sandbox(), "/requests", undefined, "DELETE")
    await control(sandbox(), "/faults", { path: "/employer/company", status: 503, count: 2, retry_after_ms: 1 })
    const finch = new Finch({ baseURL: sandbox().baseUrl, accessToken: access_token, maxRetries: 2 })
    const { data, response } = await finch.hris.company.retrieve().withResponse()
    expect(data.id).not.toBe("")
    expect(response.headers.get("finch-request-id")).not.toBeNull()
    expect(response.headers.get("finch-data-retrieved")).not.toBeNull()
    const log = await requestLog(sandbox())
    expect(log.requests.map((request) => [request.status, request.retry_count])).toEqual([
      [503, 0],
      [503, 1],
      [200, 2],
    ])
  })

  it("lists providers", async () => {
    const { access_token } = await mint(sandbox())
    const providers: Array<Providers.ProviderListResponse> = []
    for await (const provider of client().withOptions({ accessToken: access_token }).providers.list()) {
      providers.push(provider)
    }
    expect(providers.map((provider) => provider.id)).toContain("gusto")
  })

  it("creates Finch sandbox connections with client credentials", async () => {
    const created = await client().sandbox.connections.create({ provider_id: "gusto", employee_size: 5 })
    expect(created.provider_id).toBe("gusto")
    const second = await client().sandbox.connections.accounts.create({
      provider_id: "gusto",
      company_id: created.company_id ?? "",
    })
    expect(second.company_id).toBe(created.company_id)
    expect(second.connection_id === created.connection_id).toBe(model === "legacy")
    expect(second.account_id).not.toBe(created.account_id)
  })

  it("surfaces Finch's errors as the SDK's typed errors", async () => {
    const { access_token, connection_id } = await mint(sandbox(), { products: ["company"] })
    const finch = client().withOptions({ accessToken: access_token })
    await expect(finch.hris.directory.list().then(() => "ok")).rejects.toBeInstanceOf(Finch.PermissionDeniedError)
    await control(sandbox(), `/connections/${connection_id}/status`, { status: "reauth" })
    const reauth = await finch.hris.company.retrieve().catch((error: unknown) => error)
    expect(reauth).toBeInstanceOf(Finch.AuthenticationError)
    expect((reauth as InstanceType<typeof Finch.AuthenticationError>).error).toMatchObject({
      finch_code: "reauthenticate_user",
    })
    await finch.account.disconnect()
    await expect(finch.account.introspect()).rejects.toBeInstanceOf(Finch.AuthenticationError)
  })
})
