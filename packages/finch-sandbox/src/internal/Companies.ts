/**
 * Employers as a provider holds them: company data, entities and employees (individual + employment),
 * generated deterministically from (seed, company key).
 */
import { appearance, isoDate, makePerson, type Person, type Variation } from "./People.ts"
import * as Random from "./Random.ts"
import type { Company, Employment, Individual, Location, PayGroup, Payment } from "./Wire.ts"

/** A legal entity (EIN, division, pay group) inside one company. */
export interface EntityRecord {
  readonly id: string
  readonly name: string
  readonly source_id: string
}

/** One worker at one company: what `/employer/individual` and `/employer/employment` return for them. */
export interface Employee {
  readonly id: string
  readonly entity_id: string
  /** The true person behind the record (for scenario truth). */
  readonly person: Person
  readonly variations: ReadonlyArray<Variation>
  readonly individual: Individual
  readonly employment: Employment
  readonly ssn: string | null
}

/** A change waiting for the next data sync, and the webhook event Finch sends once it lands. */
export interface StagedWrite {
  readonly apply: () => void
  readonly event: { readonly event_type: string; readonly data: unknown }
}

export interface CompanyRecord {
  readonly id: string
  readonly key: string
  readonly provider_id: string
  readonly data: Company
  readonly entities: ReadonlyArray<EntityRecord>
  readonly employees: Array<Employee>
  readonly byId: Map<string, Employee>
  readonly payments: Array<Payment>
  readonly payGroups: Array<PayGroup>
  /**
   * Whether tokens for this company carry `company_id`. Finch leaves it out for multi-entity connections and for
   * some providers (the SDK types it optional), so apps must cope with its absence.
   */
  readonly reportsCompanyId: boolean
  /** Writes made through Finch's `/sandbox/*` endpoints, applied by the next successful data sync. */
  readonly staged: Array<StagedWrite>
  dataRetrievedAt: string
}

/** How a person is employed at a company. */
export interface EmploymentSpec {
  readonly active: boolean
  readonly type: "employee" | "contractor"
  readonly subtype: "full_time" | "part_time" | "intern" | "temp" | "seasonal" | "individual_contractor"
  readonly start_date?: string
  readonly end_date?: string | null
  readonly country?: string
  readonly currency?: string
  readonly entity?: number
}

/** A person placed at a company, with how this company records them. */
export interface Member {
  readonly person: Person
  readonly variations: ReadonlyArray<Variation>
  readonly spec: EmploymentSpec
}

export interface CompanyOptions {
  readonly seed: number
  readonly key: string
  readonly provider_id: string
  readonly legal_name?: string
  /** Employees generated on top of `members`. */
  readonly size: number
  readonly entities?: ReadonlyArray<string>
  readonly members?: ReadonlyArray<Member>
  /** Defaults for generated employees (e.g. contractors abroad). */
  readonly defaults?: Partial<EmploymentSpec>
  readonly ssnSupported?: boolean
  /** Defaults to true for a single-entity company, false for a multi-entity one. */
  readonly reportsCompanyId?: boolean
  readonly today: Date
}

// biome-ignore format: a table reads better packed
const companyWords = ["Acme", "Blue Harbor", "Cedar", "Summit", "Northwind", "Lumen", "Quarry", "Juniper", "Harbor Lights", "Tidewater", "Kestrel", "Maple Row", "Silverline", "Orchard", "Beacon", "Prairie"] as const
// biome-ignore format: a table reads better packed
const companySuffixes = ["Inc.", "LLC", "Co.", "Group, Inc.", "Holdings LLC", "Partners LP"] as const
// biome-ignore format: a table reads better packed
const departments = ["Engineering", "Sales", "Operations", "Finance", "People", "Customer Support", "Marketing", "Warehouse"] as const
const titles: Readonly<Record<string, ReadonlyArray<string>>> = {
  Engineering: ["Software Engineer", "Senior Software Engineer", "Engineering Manager", "QA Analyst"],
  Sales: ["Account Executive", "Sales Development Rep", "Sales Manager"],
  Operations: ["Operations Associate", "Operations Manager", "Logistics Coordinator"],
  Finance: ["Accountant", "Controller", "Payroll Specialist"],
  People: ["HR Generalist", "Recruiter", "People Partner"],
  "Customer Support": ["Support Specialist", "Support Lead"],
  Marketing: ["Marketing Manager", "Content Writer", "Designer"],
  Warehouse: ["Warehouse Associate", "Forklift Operator", "Shift Lead"],
}
// biome-ignore format: a table reads better packed
const usCities = [["San Francisco", "CA", "94107"], ["Austin", "TX", "78701"], ["New York", "NY", "10001"], ["Denver", "CO", "80202"], ["Chicago", "IL", "60601"], ["Seattle", "WA", "98101"], ["Atlanta", "GA", "30303"], ["Boston", "MA", "02108"]] as const
const foreignCities: Readonly<Record<string, readonly [string, string | null, string, string]>> = {
  GB: ["London", null, "EC1A 1BB", "gbp"],
  DE: ["Berlin", null, "10115", "eur"],
  IN: ["Bengaluru", "KA", "560001", "inr"],
  BR: ["São Paulo", "SP", "01000-000", "brl"],
  CA: ["Toronto", "ON", "M5H 2N2", "cad"],
  PH: ["Manila", null, "1000", "php"],
}
// biome-ignore format: a table reads better packed
const streets = ["Main St", "Oak Ave", "Pine St", "Market St", "2nd Ave", "Elm St", "Lakeview Dr", "Sunset Blvd", "Mill Rd", "Church St"] as const
// biome-ignore format: a table reads better packed
const ethnicities = ["asian", "white", "black_or_african_american", "native_hawaiian_or_pacific_islander", "american_indian_or_alaska_native", "hispanic_or_latino", "two_or_more_races", "decline_to_specify"] as const
// biome-ignore format: a table reads better packed
const maritalStatuses = ["single", "married", "divorced", "widowed", "domestic_partner", "unknown"] as const

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "")

const addDays = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000)

const usLocation = (random: Random.Random): Location => {
  const [city, state, postal_code] = random.pick(usCities)
  return {
    line1: `${random.int(1, 9999)} ${random.pick(streets)}`,
    line2: random.chance(0.2) ? `Apt ${random.int(1, 40)}` : null,
    city,
    state,
    postal_code,
    country: "US",
  }
}

const foreignLocation = (random: Random.Random, country: string): Location => {
  const [city, state, postal_code] = foreignCities[country] ?? ["Toronto", "ON", "M5H 2N2", "cad"]
  return { line1: `${random.int(1, 300)} ${random.pick(streets)}`, line2: null, city, state, postal_code, country }
}

/** Builds a company with its members first (in order) and `size` generated employees after them. */
export const generateCompany = (options: CompanyOptions): CompanyRecord => {
  const random = Random.make(options.seed, `company:${options.key}`)
  const today = options.today
  const id = random.uuid()
  const legal_name =
    options.legal_name ?? `${random.pick(companyWords)} ${random.pick(companyWords)} ${random.pick(companySuffixes)}`
  const domain = `${slug(legal_name.split(/[ ,]/)[0] ?? "company")}.example.com`
  const entityNames = options.entities ?? [legal_name]
  const entities = entityNames.map((name, index) => ({ id: random.uuid(), name, source_id: String(1000 + index) }))
  const headquarters = usLocation(random)
  const data: Company = {
    id,
    legal_name,
    ein: `${random.digits(2)}-${random.digits(7)}`,
    primary_email: `payroll@${domain}`,
    primary_phone_number: `+1${random.int(201, 989)}${random.digits(7)}`,
    entity: { type: "corporation", subtype: random.pick(["s_corporation", "c_corporation"] as const) },
    departments: departments.map((name) => ({ name, parent: null })),
    locations: [headquarters],
    accounts: [
      {
        account_name: "OPERATING ACCOUNT",
        account_number: random.digits(10),
        account_type: "checking",
        institution_name: "First Sandbox Bank, N.A.",
        routing_number: random.digits(9),
      },
    ],
  }
  const members: Array<Member> = [...(options.members ?? [])]
  for (let i = 0; i < options.size; i++) {
    members.push({
      person: makePerson(random, `${options.key}#${i}`, today),
      variations: ["exact"],
      spec: {
        active: options.defaults?.active ?? random.chance(0.92),
        ...(options.defaults?.end_date === undefined ? {} : { end_date: options.defaults.end_date }),
        ...(options.defaults?.start_date === undefined ? {} : { start_date: options.defaults.start_date }),
        type: options.defaults?.type ?? "employee",
        subtype: options.defaults?.subtype ?? (random.chance(0.85) ? "full_time" : "part_time"),
        ...(options.defaults?.country === undefined ? {} : { country: options.defaults.country }),
        ...(options.defaults?.currency === undefined ? {} : { currency: options.defaults.currency }),
      },
    })
  }
  const employees: Array<Employee> = []
  const byId = new Map<string, Employee>()
  const managers: Array<string> = []
  for (const [index, member] of members.entries()) {
    const employee = makeEmployee(random, member, {
      index,
      domain,
      entities,
      headquarters,
      managers,
      today,
      ssnSupported: options.ssnSupported ?? true,
    })
    employees.push(employee)
    byId.set(employee.id, employee)
    if (index < 5 || (index % 8 === 0 && member.spec.active)) managers.push(employee.id)
  }
  const record: CompanyRecord = {
    id,
    key: options.key,
    provider_id: options.provider_id,
    data,
    entities,
    employees,
    byId,
    payments: [],
    payGroups: [],
    reportsCompanyId: options.reportsCompanyId ?? entities.length <= 1,
    staged: [],
    dataRetrievedAt: today.toISOString(),
  }
  record.payGroups.push(...makePayGroups(random, record))
  record.payments.push(makePayment(random, record, today))
  return record
}

/** A new, mock-filled employee at an existing company (what Finch's `POST /sandbox/directory` creates). */
export const hire = (company: CompanyRecord, random: Random.Random, today: Date): Employee => {
  const index = company.employees.length
  const person = makePerson(random, `${company.key}#hire-${index}-${random.digits(6)}`, today)
  return makeEmployee(
    random,
    { person, variations: ["exact"], spec: { active: true, type: "employee", subtype: "full_time" } },
    {
      index,
      domain: company.data.primary_email?.split("@")[1] ?? "company.example.com",
      entities: company.entities,
      headquarters: company.data.locations?.[0] ?? usLocation(random),
      managers: company.employees.slice(0, 5).map((employee) => employee.id),
      today,
      ssnSupported: true,
    },
  )
}

interface EmployeeContext {
  readonly index: number
  readonly domain: string
  readonly entities: ReadonlyArray<EntityRecord>
  readonly headquarters: Location
  readonly managers: ReadonlyArray<string>
  readonly today: Date
  readonly ssnSupported: boolean
}

const makeEmployee = (random: Random.Random, member: Member, context: EmployeeContext): Employee => {
  const { person, spec } = member
  const id = random.uuid()
  const shown = appearance(random, person, member.variations)
  const department = random.pick(departments)
  const abroad = spec.country !== undefined && spec.country !== "US"
  const residence = abroad ? foreignLocation(random, spec.country ?? "US") : usLocation(random)
  const workLocation = abroad ? residence : context.headquarters
  const currency = spec.currency ?? (abroad ? (foreignCities[spec.country ?? ""]?.[3] ?? "usd") : "usd")
  const start_date = spec.start_date ?? isoDate(addDays(context.today, -random.int(30, 365 * 12)))
  const end_date =
    spec.end_date !== undefined
      ? spec.end_date
      : spec.active
        ? null
        : isoDate(
            new Date(
              Math.min(
                addDays(new Date(`${start_date}T00:00:00Z`), random.int(60, 900)).getTime(),
                addDays(context.today, -1).getTime(),
              ),
            ),
          )
  const hourly = spec.subtype === "part_time" || spec.subtype === "temp" || spec.subtype === "seasonal"
  const contractor = spec.type === "contractor"
  const amount = contractor
    ? random.int(40, 150) * 100 * 160
    : hourly
      ? random.int(18, 55) * 100
      : random.int(45, 220) * 1000 * 100
  const unit = contractor ? "monthly" : hourly ? "hourly" : "yearly"
  const income = { amount, currency, effective_date: start_date, unit } as const
  const emails: Array<{ data: string; type: "work" | "personal" }> = []
  if (shown.personal_email !== null) {
    if (!contractor) {
      emails.push({
        data: `${slug(shown.first_name)}.${slug(shown.last_name)}@${context.domain}`,
        type: "work",
      })
    }
    emails.push({ data: shown.personal_email, type: "personal" })
  }
  const manager =
    context.managers.length === 0 ? null : { id: context.managers[random.int(0, context.managers.length - 1)] ?? "" }
  const entity = context.entities[(spec.entity ?? context.index) % context.entities.length] ?? context.entities[0]
  // Finch's nullable corners, as real providers produce them: no phone at all, a null phone entry.
  const phoneRoll = random.next()
  const phone_numbers: Individual["phone_numbers"] =
    phoneRoll < 0.04 ? null : phoneRoll < 0.05 ? [null] : [{ data: person.phone, type: "personal" }]
  const individual: Individual = {
    id,
    first_name: shown.first_name,
    middle_name: shown.middle_name,
    last_name: shown.last_name,
    preferred_name: shown.preferred_name,
    phone_numbers,
    gender: random.chance(0.05) ? "decline_to_specify" : person.gender,
    ethnicity: random.pick(ethnicities),
    marital_status: random.pick(maritalStatuses),
    dob: shown.dob,
    residence,
    // Without emails, some providers send `emails: null` and some leave the key out (the SDK types it optional).
    ...(emails.length > 0 ? { emails } : context.index % 2 === 0 ? {} : { emails: null }),
  }
  const employment: Employment = {
    id,
    first_name: shown.first_name,
    middle_name: shown.middle_name,
    last_name: shown.last_name,
    title: random.pick(titles[department] ?? ["Associate"]),
    manager,
    department: { name: department },
    employment: { type: spec.type, subtype: spec.subtype },
    employment_status: spec.active ? "active" : "terminated",
    is_active: spec.active,
    start_date,
    end_date,
    latest_rehire_date: null,
    class_code: contractor ? null : "8810",
    flsa_status: contractor ? null : hourly ? "non_exempt" : "exempt",
    highly_compensated_employee: contractor ? null : amount >= 16_000_000,
    key_employee: contractor ? null : context.index < 3,
    union_code: null,
    union_local: null,
    location: workLocation,
    income,
    income_history: [{ ...income }],
    custom_fields: [{ name: "t_shirt_size", value: random.pick(["S", "M", "L", "XL"]) }],
    source_id: String(10_000 + context.index),
  }
  return {
    id,
    entity_id: entity?.id ?? "",
    person,
    variations: member.variations,
    individual,
    employment,
    ssn: context.ssnSupported ? person.ssn : null,
  }
}

/** Salaried people are paid bi-weekly, hourly ones weekly, contractors monthly: one pay group each, when used. */
const makePayGroups = (random: Random.Random, company: CompanyRecord): Array<PayGroup> => {
  const groups: Array<PayGroup> = [
    { id: random.uuid(), name: "Salaried", pay_frequencies: ["bi_weekly"], individual_ids: [] },
    { id: random.uuid(), name: "Hourly", pay_frequencies: ["weekly"], individual_ids: [] },
    { id: random.uuid(), name: "Contractors", pay_frequencies: ["monthly"], individual_ids: [] },
  ]
  for (const employee of company.employees) {
    const unit = employee.employment.income?.unit
    const group = unit === "hourly" ? groups[1] : unit === "monthly" ? groups[2] : groups[0]
    group?.individual_ids.push(employee.id)
  }
  return groups.filter((group) => group.individual_ids.length > 0)
}

/** One regular payroll run dated `today`, as a new Finch sandbox connection has. */
const makePayment = (random: Random.Random, company: CompanyRecord, today: Date): Payment => {
  const active = company.employees.filter((employee) => employee.employment.is_active === true)
  const gross = active.reduce((sum, employee) => {
    const income = employee.employment.income
    const amount = income?.amount ?? 0
    return (
      sum + (income?.unit === "yearly" ? Math.round(amount / 26) : income?.unit === "hourly" ? amount * 80 : amount)
    )
  }, 0)
  const money = (amount: number) => ({ amount, currency: "usd" })
  return {
    id: random.uuid(),
    pay_date: isoDate(today),
    debit_date: isoDate(addDays(today, -2)),
    pay_period: { start_date: isoDate(addDays(today, -14)), end_date: isoDate(addDays(today, -1)) },
    company_debit: money(Math.round(gross * 1.08)),
    gross_pay: money(gross),
    net_pay: money(Math.round(gross * 0.72)),
    employer_taxes: money(Math.round(gross * 0.08)),
    employee_taxes: money(Math.round(gross * 0.2)),
    individual_ids: active.map((employee) => employee.id),
    pay_frequencies: [...new Set(company.payGroups.flatMap((group) => group.pay_frequencies))],
    pay_group_ids: company.payGroups.map((group) => group.id),
  }
}
