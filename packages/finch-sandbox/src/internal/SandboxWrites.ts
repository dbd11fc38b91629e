/**
 * Finch's sandbox write endpoints change a company's data, but (like Finch) the change shows in `/employer/*` only
 * after the next successful data sync (`POST /sandbox/jobs` or `POST /jobs/automated`).
 */
import { type CompanyRecord, type Employee, hire, type StagedWrite } from "./Companies.ts"
import * as Errors from "./Errors.ts"
import { isoDate } from "./People.ts"
import type * as Random from "./Random.ts"
import type { Company, Employment, Individual, Payment } from "./Wire.ts"

// biome-ignore format: a field list reads better packed
const companyFields = ["legal_name", "entity", "primary_email", "primary_phone_number", "departments", "ein", "locations", "accounts"] as const
// biome-ignore format: a field list reads better packed
const individualFields = ["first_name", "middle_name", "last_name", "preferred_name", "emails", "phone_numbers", "gender", "ethnicity", "marital_status", "dob", "residence", "ssn", "encrypted_ssn"] as const
// biome-ignore format: a field list reads better packed
const employmentFields = ["first_name", "middle_name", "last_name", "title", "manager", "department", "employment", "employment_status", "is_active", "start_date", "end_date", "latest_rehire_date", "class_code", "flsa_status", "highly_compensated_employee", "key_employee", "union_code", "union_local", "location", "income", "income_history", "custom_fields", "source_id"] as const

const pick = (body: Record<string, unknown>, fields: ReadonlyArray<string>) =>
  Object.fromEntries(fields.filter((field) => field in body).map((field) => [field, body[field]]))

const replaceEmployee = (company: CompanyRecord, next: Employee) => {
  const index = company.employees.findIndex((employee) => employee.id === next.id)
  if (index >= 0) company.employees[index] = next
  else {
    company.employees.push(next)
    // A new hire joins the company's first pay group.
    company.payGroups[0]?.individual_ids.push(next.id)
  }
  company.byId.set(next.id, next)
}

/** The company as it will be after the next sync, including writes already staged. */
const projected = <A>(base: A, pending: Partial<A> | undefined): A => ({ ...base, ...(pending ?? {}) })

/** Staged writes from Finch's `/sandbox/*` endpoints, by company. */
export class SandboxWrites {
  /** Latest staged versions, so successive writes build on each other before a sync. */
  private readonly companies = new Map<string, Partial<Company>>()
  private readonly employees = new Map<string, Employee>()

  /** `PUT /sandbox/company`: the company as it will read after the next sync (without `id`). */
  updateCompany(company: CompanyRecord, body: Record<string, unknown>): Omit<Company, "id"> {
    const update = { ...(this.companies.get(company.id) ?? {}), ...pick(body, companyFields) } as Partial<Company>
    this.companies.set(company.id, update)
    company.staged.push({
      apply: () => Object.assign(company.data, update),
      event: { event_type: "company.updated", data: null },
    })
    const { id: _id, ...rest } = projected(company.data, update)
    return rest
  }

  private current(company: CompanyRecord, individualId: string): Employee {
    const employee = this.employees.get(individualId) ?? company.byId.get(individualId)
    if (employee === undefined) {
      throw Errors.notFound(`The individual with id '${individualId}' could not be found`, "individual_not_found")
    }
    return employee
  }

  private stage(company: CompanyRecord, next: Employee, event_type: string) {
    this.employees.set(next.id, next)
    company.staged.push({
      apply: () => replaceEmployee(company, next),
      event: { event_type, data: { individual_id: next.id } },
    })
  }

  /** `PUT /sandbox/individual/{id}`. */
  updateIndividual(company: CompanyRecord, individualId: string, body: Record<string, unknown>): Individual {
    const employee = this.current(company, individualId)
    const changes = pick(body, individualFields)
    const { ssn, ...individual } = { ...employee.individual, ...changes } as Individual
    const names = pick(changes, ["first_name", "middle_name", "last_name"])
    const next: Employee = {
      ...employee,
      individual: individual as Individual,
      employment: { ...employee.employment, ...names },
      ssn: ssn === undefined ? employee.ssn : ssn,
    }
    this.stage(company, next, "individual.updated")
    return { ...next.individual, ...(ssn === undefined ? {} : { ssn }) }
  }

  /** `PUT /sandbox/employment/{id}`. */
  updateEmployment(company: CompanyRecord, individualId: string, body: Record<string, unknown>): Employment {
    const employee = this.current(company, individualId)
    const changes = pick(body, employmentFields)
    const names = pick(changes, ["first_name", "middle_name", "last_name"])
    const next: Employee = {
      ...employee,
      employment: { ...employee.employment, ...changes } as Employment,
      individual: { ...employee.individual, ...names },
    }
    this.stage(company, next, "employment.updated")
    return next.employment
  }

  /** `POST /sandbox/directory`: new people, mock-filled where the body is silent. */
  addEmployees(
    company: CompanyRecord,
    items: ReadonlyArray<Record<string, unknown>>,
    random: Random.Random,
    today: Date,
  ): Array<Individual & Employment> {
    return items.map((item) => {
      const fresh = hire(company, random, today)
      const { ssn: givenSsn, ...individualChanges } = pick(item, individualFields)
      const names = pick(item, ["first_name", "middle_name", "last_name"])
      const individual = { ...fresh.individual, ...individualChanges, id: fresh.id } as Individual
      const employment = { ...fresh.employment, ...pick(item, employmentFields), ...names, id: fresh.id } as Employment
      const ssn = typeof givenSsn === "string" ? givenSsn : fresh.ssn
      this.stage(company, { ...fresh, individual, employment, ssn }, "directory.created")
      return { ...employment, ...individual }
    })
  }

  /** `POST /sandbox/payment`: one payment over the given statements. */
  addPayment(company: CompanyRecord, body: Record<string, unknown>, random: Random.Random, today: Date) {
    const statements = Array.isArray(body["pay_statements"]) ? body["pay_statements"] : []
    const individual_ids = statements
      .map((statement) =>
        statement !== null && typeof statement === "object"
          ? (statement as Record<string, unknown>)["individual_id"]
          : undefined,
      )
      .filter((id): id is string => typeof id === "string")
    const end = typeof body["end_date"] === "string" ? body["end_date"] : isoDate(today)
    const start = typeof body["start_date"] === "string" ? body["start_date"] : end
    const gross = statements.reduce((sum, statement) => {
      const amount = (statement as { gross_pay?: { amount?: unknown } } | null)?.gross_pay?.amount
      return sum + (typeof amount === "number" ? amount : 0)
    }, 0)
    const payment: Payment = {
      id: random.uuid(),
      pay_date: end,
      debit_date: end,
      pay_period: { start_date: start, end_date: end },
      company_debit: { amount: gross, currency: "usd" },
      gross_pay: { amount: gross, currency: "usd" },
      net_pay: { amount: Math.round(gross * 0.72), currency: "usd" },
      employer_taxes: { amount: Math.round(gross * 0.08), currency: "usd" },
      employee_taxes: { amount: Math.round(gross * 0.2), currency: "usd" },
      individual_ids,
      pay_frequencies: ["other"],
      pay_group_ids: [],
    }
    company.staged.push({
      apply: () => company.payments.push(payment),
      event: { event_type: "payment.created", data: { payment_id: payment.id, pay_date: end } },
    })
    return { payment_id: payment.id, pay_date: end }
  }

  /** Applies every staged write of the company (a successful data sync); returns the events to send. */
  apply(company: CompanyRecord): Array<StagedWrite["event"]> {
    const writes = company.staged.splice(0)
    for (const write of writes) write.apply()
    this.companies.delete(company.id)
    for (const employee of company.employees) this.employees.delete(employee.id)
    return writes.map((write) => write.event)
  }
}
