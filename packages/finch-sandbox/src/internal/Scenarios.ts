/**
 * Named scenarios: the multi-connection situations an app meets in the wild, with the same people appearing in
 * several connections under realistic variations, and the truth recorded for reconciliation tests.
 */
import type { CompanyRecord, EmploymentSpec, Member } from "./Companies.ts"
import { isoDate, makePerson, type Person, type Variation } from "./People.ts"
import * as Random from "./Random.ts"
import type { State } from "./State.ts"

export interface ScenarioLogin {
  readonly username: string
  readonly products: ReadonlyArray<string>
}

export interface ScenarioCompany {
  readonly slug: string
  readonly provider_id: string
  readonly legal_name: string
  /** Employees seen only here, generated after the shared members. */
  readonly size: number
  readonly members: ReadonlyArray<Member>
  readonly logins: ReadonlyArray<ScenarioLogin>
  readonly entities?: ReadonlyArray<string>
  readonly defaults?: Partial<EmploymentSpec>
}

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly build: (random: Random.Random, today: Date) => ReadonlyArray<ScenarioCompany>
}

const organization = ["company", "directory", "individual", "employment"]
const everything = [...organization, "ssn", "payment", "pay_statement"]

const daysAgo = (today: Date, days: number) => isoDate(new Date(today.getTime() - days * 86_400_000))

/**
 * How the second (third…) record of a repeating person differs, in a fixed rotation so every kind shows up in any
 * scenario with fifteen or more repeating people; about a third are exact, as in real migrations.
 */
const rotation: ReadonlyArray<(person: Person) => Array<Variation>> = [
  () => ["exact"],
  () => ["nickname"],
  (person) => (person.gender === "female" ? ["married_name"] : ["typo"]),
  () => ["missing_email"],
  () => ["exact"],
  () => ["typo"],
  () => ["hyphenated_name"],
  () => ["exact"],
  () => ["missing_dob"],
  () => ["nickname", "missing_email"],
  () => ["exact"],
  () => ["uppercase", "middle_name_dropped"],
  (person) => (person.gender === "female" ? ["married_name"] : ["nickname"]),
  () => ["exact"],
  () => ["married_name"],
]

/** The variations of the `index`-th repeating person. */
type Vary = (person: Person, index: number) => Array<Variation>

/** A scenario's `Vary`, starting the rotation at a seeded place. */
const variationsOf = (random: Random.Random): Vary => {
  const start = random.int(0, rotation.length - 1)
  return (person, index) => (rotation[(start + index) % rotation.length] ?? (() => ["exact"]))(person)
}

const people = (random: Random.Random, scenario: string, count: number, today: Date, from = 0) =>
  Array.from({ length: count }, (_, i) => makePerson(random, `${scenario}:person:${from + i}`, today))

/** People where they are first recorded: exactly as they are, each under a freshly made spec. */
const firstRecords = (list: ReadonlyArray<Person>, spec: () => EmploymentSpec): Array<Member> =>
  list.map((person) => ({ person, variations: ["exact"], spec: spec() }))

/** The same people recorded again elsewhere, varied by their place in the rotation (`shift` continues a count). */
const repeatRecords = (list: ReadonlyArray<Person>, vary: Vary, spec: () => EmploymentSpec, shift = 0): Array<Member> =>
  list.map((person, index) => ({ person, variations: vary(person, index + shift), spec: spec() }))

const employee = (overrides: Partial<EmploymentSpec> = {}): EmploymentSpec => ({
  active: true,
  type: "employee",
  subtype: "full_time",
  ...overrides,
})

export const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "different-logins",
    description:
      "Two admins log in to the same company at Gusto, same employees: two Finch connections (current model) or one holding two accounts (legacy); either way one connection of the app's with two accounts.",
    build: () => [
      {
        slug: "acme",
        provider_id: "gusto",
        legal_name: "Acme Bakery Co.",
        size: 30,
        members: [],
        logins: [
          { username: "acme_alice", products: everything },
          { username: "acme_bob", products: everything },
        ],
      },
    ],
  },
  {
    name: "different-permissions",
    description:
      "Two logins with different permission sets at ADP RUN (HR data vs payroll data), each with its own products: two Finch connections (current) or two accounts of one (legacy); one connection of the app's with two accounts.",
    build: () => [
      {
        slug: "acme",
        provider_id: "adp_run",
        legal_name: "Acme Bakery Co.",
        size: 25,
        members: [],
        logins: [
          { username: "acme_hr", products: [...organization, "ssn"] },
          { username: "acme_payroll", products: ["company", "payment", "pay_statement"] },
        ],
      },
    ],
  },
  {
    name: "provider-migration",
    description:
      "A company that moved from Gusto to ADP Workforce Now 120 days ago: most people are in both systems (terminated at the cutover in the old one), some records differ.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const cutover = daysAgo(today, 120)
      const moved = people(random, "provider-migration", 30, today)
      return [
        {
          slug: "borealis-gusto",
          provider_id: "gusto",
          legal_name: "Borealis Outfitters, Inc.",
          size: 8,
          // Left before the move (or at it), so only the old system knows them.
          defaults: { active: false, start_date: daysAgo(today, 2000), end_date: cutover },
          members: firstRecords(moved, () =>
            employee({ active: false, start_date: daysAgo(today, random.int(200, 3000)), end_date: cutover }),
          ),
          logins: [{ username: "borealis_gusto", products: everything }],
        },
        {
          slug: "borealis-adp",
          provider_id: "adp_workforce_now",
          legal_name: "Borealis Outfitters, Inc.",
          size: 6,
          // Hired after the move, so only the new system knows them.
          defaults: { active: true, start_date: daysAgo(today, 45) },
          members: repeatRecords(moved, vary, () => employee({ start_date: cutover })),
          logins: [{ username: "borealis_adp", products: everything }],
        },
      ]
    },
  },
  {
    name: "foreign-contractors",
    description:
      "US employees on Gusto and foreign contractors paid through Deel (whose tokens carry no company_id); two people moved from the US payroll to contracting abroad.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const movers = people(random, "foreign-contractors", 2, today)
      const contractors = people(random, "foreign-contractors", 8, today, 2)
      const countries = ["GB", "DE", "IN", "BR", "CA", "PH"]
      const contract = (country: string, start_date?: string): EmploymentSpec => ({
        active: true,
        type: "contractor",
        subtype: "individual_contractor",
        country,
        ...(start_date === undefined ? {} : { start_date }),
      })
      return [
        {
          slug: "cobalt-us",
          provider_id: "gusto",
          legal_name: "Cobalt Robotics, Inc.",
          size: 25,
          members: firstRecords(movers, () => employee({ active: false, end_date: daysAgo(today, 60) })),
          logins: [{ username: "cobalt_us", products: everything }],
        },
        {
          slug: "cobalt-deel",
          provider_id: "deel",
          legal_name: "Cobalt Robotics, Inc.",
          size: 0,
          members: [
            // Contracting from abroad since shortly after leaving the US payroll.
            ...repeatRecords(movers, vary, () => contract(random.pick(countries), daysAgo(today, 55))),
            ...firstRecords(contractors, () => contract(random.pick(countries))),
          ],
          logins: [
            { username: "cobalt_deel", products: ["company", "directory", "individual", "employment", "payment"] },
          ],
        },
      ]
    },
  },
  {
    name: "pay-groups",
    description:
      "Hourly and salaried pay groups that Paychex Flex reports as two companies; four people were promoted from hourly to salaried.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const promoted = people(random, "pay-groups", 4, today)
      const promotion = daysAgo(today, 200)
      return [
        {
          slug: "driftwood-hourly",
          provider_id: "paychex_flex",
          legal_name: "Driftwood Hospitality LLC - Hourly",
          size: 30,
          defaults: { subtype: "part_time" },
          members: firstRecords(promoted, () => employee({ subtype: "part_time", active: false, end_date: promotion })),
          logins: [{ username: "driftwood_hourly", products: everything }],
        },
        {
          slug: "driftwood-salaried",
          provider_id: "paychex_flex",
          legal_name: "Driftwood Hospitality LLC - Salaried",
          size: 10,
          members: repeatRecords(promoted, vary, () => employee({ start_date: promotion })),
          logins: [{ username: "driftwood_salaried", products: everything }],
        },
      ]
    },
  },
  {
    name: "legal-entities",
    description:
      "Three legal entities (EINs) at Rippling picked in one Connect session: ONE connection with entities[] and no company_id; data is scoped with entity_ids; three people work for two entities.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const shared = people(random, "legal-entities", 3, today)
      return [
        {
          slug: "evergreen",
          provider_id: "rippling",
          legal_name: "Evergreen Health Group",
          size: 36,
          entities: ["Evergreen Health Clinics LLC", "Evergreen Health Billing Inc.", "Evergreen Health Labs LLC"],
          members: [
            ...firstRecords(shared, () => employee({ entity: 0 })),
            ...repeatRecords(shared, vary, () => employee({ subtype: "part_time", entity: 1 })),
          ],
          logins: [{ username: "evergreen_admin", products: everything }],
        },
      ]
    },
  },
  {
    name: "legal-entities-separate",
    description:
      "The older model: two legal entities of one group at Rippling, each its own company_id and so its own connection; three people work for both.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const shared = people(random, "legal-entities-separate", 3, today)
      return [
        {
          slug: "evergreen-clinics",
          provider_id: "rippling",
          legal_name: "Evergreen Health Clinics LLC",
          size: 20,
          members: firstRecords(shared, employee),
          logins: [{ username: "evergreen_clinics", products: everything }],
        },
        {
          slug: "evergreen-billing",
          provider_id: "rippling",
          legal_name: "Evergreen Health Billing Inc.",
          size: 10,
          members: repeatRecords(shared, vary, () => employee({ subtype: "part_time" })),
          logins: [{ username: "evergreen_billing", products: everything }],
        },
      ]
    },
  },
  {
    name: "peo",
    description:
      "A PEO (Justworks) co-employing three companies of one owner group: the owner's login reaches all three (three connections), a PEO admin's login reaches the first (a second Finch connection there, or a second account in the legacy model). The owners are on every payroll.",
    build: (random, today) => {
      const vary = variationsOf(random)
      const owners = people(random, "peo", 3, today)
      const floaters = people(random, "peo", 2, today, 3)
      return [
        {
          slug: "fjord-studios",
          provider_id: "justworks",
          legal_name: "Fjord Studios LLC",
          size: 15,
          members: [...firstRecords(owners, employee), ...firstRecords(floaters, employee)],
          logins: [
            { username: "fjord_owner", products: everything },
            { username: "fjord_peo_admin", products: organization },
          ],
        },
        {
          slug: "fjord-post",
          provider_id: "justworks",
          legal_name: "Fjord Post-Production LLC",
          size: 10,
          members: [
            ...repeatRecords(owners, vary, employee),
            ...repeatRecords(floaters, vary, employee, owners.length),
          ],
          logins: [{ username: "fjord_owner", products: everything }],
        },
        {
          slug: "fjord-rentals",
          provider_id: "justworks",
          legal_name: "Fjord Rentals LLC",
          size: 6,
          members: repeatRecords(owners, vary, employee, owners.length + floaters.length),
          logins: [{ username: "fjord_owner", products: everything }],
        },
      ]
    },
  },
]

export interface BuiltCompany {
  readonly spec: ScenarioCompany
  readonly company: CompanyRecord
}

/** The scenario's company specs; the same on every call for one sandbox (seeded by its seed and the scenario). */
const specsOf = (state: State, scenario: Scenario) =>
  scenario.build(Random.make(state.options.seed, `scenario:${scenario.name}`), state.options.today)

const register = (
  state: State,
  scenario: Scenario,
  specs: ReadonlyArray<ScenarioCompany>,
): ReadonlyArray<BuiltCompany> =>
  specs.map((spec) => {
    const company = state.company({
      key: `scenario:${scenario.name}:${spec.slug}`,
      provider_id: spec.provider_id,
      legal_name: spec.legal_name,
      size: spec.size,
      members: spec.members,
      ...(spec.entities === undefined ? {} : { entities: spec.entities }),
      ...(spec.defaults === undefined ? {} : { defaults: spec.defaults }),
    })
    for (const login of spec.logins) state.registerLogin(spec.provider_id, login.username, company)
    return { spec, company }
  })

/** The scenario's companies, generated once per sandbox and registered so their logins work in Connect too. */
export const materialize = (state: State, scenario: Scenario): ReadonlyArray<BuiltCompany> =>
  register(state, scenario, specsOf(state, scenario))

/** Materializes any scenario that owns the login, so a scenario's usernames work before it was instantiated. */
const registerScenarioLogin = (state: State, provider_id: string, username: string) => {
  for (const scenario of scenarios) {
    const specs = specsOf(state, scenario)
    const owns = specs.some(
      (spec) => spec.provider_id === provider_id && spec.logins.some((login) => login.username === username),
    )
    if (owns) register(state, scenario, specs)
  }
}

/**
 * The companies a login reaches, materializing first any scenario that owns the login, so a scenario's usernames
 * work in Connect even before the scenario was instantiated. A username never seen gets a company of its own.
 */
export const companiesReachedBy = (state: State, provider_id: string, username: string, employeeSize?: number) => {
  registerScenarioLogin(state, provider_id, username)
  return state.companiesForLogin(provider_id, username, employeeSize)
}

/** The companies a login already reaches (a scenario's, or one used before); undefined for a username never seen. */
export const companiesKnownFor = (state: State, provider_id: string, username: string) => {
  registerScenarioLogin(state, provider_id, username)
  return state.logins.has(`${provider_id}:${username}`) ? state.companiesForLogin(provider_id, username) : undefined
}
