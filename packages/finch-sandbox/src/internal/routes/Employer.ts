/** The HRIS data endpoints (reference §5): company, directory, individual, employment, payment. */
import { createHash } from "node:crypto"
import type { Context } from "hono"
import { Hono } from "hono"
import type { CompanyRecord, Employee } from "../Companies.ts"
import * as Errors from "../Errors.ts"
import * as Guards from "../Guards.ts"
import { maxPayments, statementsOf } from "../PayStatements.ts"
import type { DirectoryItem, Individual } from "../Wire.ts"
import type { SandboxEnv, World } from "../World.ts"

/** Finch's batch maximum per request (SDK 10.8.1). */
export const maxBatch = 10_000
export const defaultPageSize = 100
export const maxPageSize = 10_000

/** When the data was pulled, and how the connection's last sync attempt went (it may have failed since). */
const dataHeaders = (c: Context<SandboxEnv>, access: Guards.DataAccess) => {
  const attempt = access.connection.lastAttempt
  c.header("Finch-Data-Retrieved", access.company.dataRetrievedAt)
  c.header("Finch-Last-Attempted-Update-Date", attempt?.at ?? access.company.dataRetrievedAt)
  c.header("Finch-Last-Attempted-Update-Result", attempt?.result ?? "success")
}

const integerQuery = (c: Context<SandboxEnv>, name: string, fallback: number, min: number, max: number) => {
  const raw = c.req.query(name)
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw Errors.invalidRequest(`[query:${name}]: must be an integer between ${min} and ${max}`)
  }
  return value
}

/** Employees visible through the given entities. */
const visible = (company: CompanyRecord, entity_ids: ReadonlyArray<string>): ReadonlyArray<Employee> =>
  company.entities.every((entity) => entity_ids.includes(entity.id))
    ? company.employees
    : company.employees.filter((employee) => entity_ids.includes(employee.entity_id))

/** The `requests` of a batch body: an array of at most `max` items (`noun` in the error), each naming its `key`. */
const batchRequests = <K extends string>(
  body: Record<string, unknown>,
  key: K,
  max: number,
  noun: string,
): Array<Record<string, unknown> & Record<K, string>> => {
  const requests = body["requests"]
  if (!Array.isArray(requests)) throw Errors.invalidRequest("[body:requests]: is required and must be an array")
  if (requests.length > max) {
    throw Errors.invalidRequest(`[body:requests]: at most ${max} ${noun} are allowed per request`)
  }
  return requests.map((item, index) => {
    if (!Guards.isRecord(item) || typeof item[key] !== "string") {
      throw Errors.invalidRequest(`[body:requests.${index}.${key}]: is required and must be a string`)
    }
    return item as Record<string, unknown> & Record<K, string>
  })
}

const batchIds = async (c: Context<SandboxEnv>) => {
  const body = await Guards.objectBody(c)
  const ids = batchRequests(body, "individual_id", maxBatch, "items").map((item) => item.individual_id)
  return { body, ids }
}

/** The individual with its SSN as the provider gives it: plain, or only as an opaque `encrypted_ssn`. */
const withSsnOf = (employee: Employee, encrypted: boolean): Individual =>
  encrypted
    ? {
        ...employee.individual,
        ssn: null,
        encrypted_ssn:
          employee.ssn === null ? null : createHash("sha256").update(`sandbox-ssn:${employee.ssn}`).digest("base64"),
      }
    : { ...employee.individual, ssn: employee.ssn }

const notFoundItem = (individual_id: string) => ({
  individual_id,
  code: 404,
  body: {
    name: "not_found_error",
    code: 404,
    finch_code: "individual_not_found",
    message: `The individual with id '${individual_id}' could not be found`,
  },
})

export const employer = (world: World) => {
  const app = new Hono<SandboxEnv>()

  app.get("/employer/company", (c) => {
    const access = Guards.dataAccess(c, world, "company")
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    dataHeaders(c, access)
    return c.json(access.company.data)
  })

  app.get("/employer/directory", (c) => {
    const access = Guards.dataAccess(c, world, "directory")
    const limit = integerQuery(c, "limit", defaultPageSize, 1, maxPageSize)
    const offset = integerQuery(c, "offset", 0, 0, Number.MAX_SAFE_INTEGER)
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const employees = visible(access.company, access.entity_ids)
    const individuals: Array<DirectoryItem> = employees.slice(offset, offset + limit).map((employee) => ({
      id: employee.id,
      first_name: employee.employment.first_name,
      middle_name: employee.employment.middle_name,
      last_name: employee.employment.last_name,
      manager: employee.employment.manager,
      department: employee.employment.department,
      is_active: employee.employment.is_active,
    }))
    dataHeaders(c, access)
    return c.json({ paging: { count: employees.length, offset }, individuals })
  })

  app.post("/employer/individual", async (c) => {
    const access = Guards.dataAccess(c, world, "individual")
    const { body, ids } = await batchIds(c)
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const options = body["options"]
    const include = Guards.isRecord(options) && Array.isArray(options["include"]) ? options["include"] : []
    const withSsn = include.includes("ssn") && access.token.products.includes("ssn")
    const encrypted = world.state.providers.get(access.connection.provider_id)?.ssnEncrypted === true
    const responses = ids.map((individual_id) => {
      const employee = access.company.byId.get(individual_id)
      if (employee === undefined || !access.entity_ids.includes(employee.entity_id)) return notFoundItem(individual_id)
      const individual: Individual = withSsn ? withSsnOf(employee, encrypted) : employee.individual
      return { individual_id, code: 200, body: individual }
    })
    dataHeaders(c, access)
    return c.json({ responses })
  })

  app.post("/employer/employment", async (c) => {
    const access = Guards.dataAccess(c, world, "employment")
    const { ids } = await batchIds(c)
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const responses = ids.map((individual_id) => {
      const employee = access.company.byId.get(individual_id)
      if (employee === undefined || !access.entity_ids.includes(employee.entity_id)) return notFoundItem(individual_id)
      return { individual_id, code: 200, body: employee.employment }
    })
    dataHeaders(c, access)
    return c.json({ responses })
  })

  app.get("/employer/payment", (c) => {
    const access = Guards.dataAccess(c, world, "payment")
    const date = (name: string) => {
      const value = c.req.query(name)
      if (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw Errors.invalidRequest(`[query:${name}]: is required as YYYY-MM-DD`)
      }
      return value
    }
    const start = date("start_date")
    const end = date("end_date")
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    dataHeaders(c, access)
    return c.json(
      access.company.payments.filter(
        (payment) => payment.pay_date !== null && payment.pay_date >= start && payment.pay_date <= end,
      ),
    )
  })

  // Finch does not say which product pay groups need; they are payroll data, so `payment` it is.
  app.get("/employer/pay-groups", (c) => {
    const access = Guards.dataAccess(c, world, "payment")
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const individual = c.req.query("individual_id")
    const frequencies = [...(c.req.queries("pay_frequencies[]") ?? []), ...(c.req.queries("pay_frequencies") ?? [])]
    dataHeaders(c, access)
    return c.json(
      access.company.payGroups
        .filter((group) => individual === undefined || group.individual_ids.includes(individual))
        .filter((group) => frequencies.length === 0 || group.pay_frequencies.some((f) => frequencies.includes(f)))
        .map(({ individual_ids: _ids, ...group }) => group),
    )
  })

  app.get("/employer/pay-groups/:pay_group_id", (c) => {
    const access = Guards.dataAccess(c, world, "payment")
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const group = access.company.payGroups.find((candidate) => candidate.id === c.req.param("pay_group_id"))
    if (group === undefined)
      throw Errors.notFound(`The pay group with id '${c.req.param("pay_group_id")}' could not be found`)
    dataHeaders(c, access)
    return c.json(group)
  })

  app.post("/employer/pay-statement", async (c) => {
    const access = Guards.dataAccess(c, world, "pay_statement")
    const body = await Guards.objectBody(c)
    const items = batchRequests(body, "payment_id", maxPayments, "payments").map((item) => ({
      payment_id: item.payment_id,
      limit: typeof item["limit"] === "number" ? item["limit"] : undefined,
      offset: typeof item["offset"] === "number" ? item["offset"] : 0,
    }))
    if (Guards.pending(access.connection)) return c.json(Errors.accepted, 202)
    const responses = items.map(({ payment_id, limit, offset }) => {
      const payment = access.company.payments.find((candidate) => candidate.id === payment_id)
      if (payment === undefined) {
        return {
          payment_id,
          code: 404,
          body: {
            name: "not_found_error",
            code: 404,
            finch_code: "payment_not_found",
            message: `The payment with id '${payment_id}' could not be found`,
          },
        }
      }
      if (world.pendingPayStatements.take(payment_id)) {
        return {
          payment_id,
          code: 202,
          body: {
            code: 202,
            name: "accepted",
            finch_code: "data_sync_in_progress",
            message: "The pay statements for this payment are being fetched. Please check back later.",
          },
        }
      }
      const all = statementsOf(access.company, payment).filter((statement) => {
        const employee = access.company.byId.get(statement.individual_id)
        return employee !== undefined && access.entity_ids.includes(employee.entity_id)
      })
      const page = all.slice(offset, limit === undefined ? undefined : offset + limit)
      return { payment_id, code: 200, body: { paging: { count: all.length, offset }, pay_statements: page } }
    })
    dataHeaders(c, access)
    return c.json({ responses })
  })

  return app
}
