/**
 * Synthetic people: names, a nickname table and the realistic ways one person's record differs between two
 * payroll systems (the variations reconciliation has to see through).
 */
import type { Random } from "./Random.ts"

/** The true identity of a person, whatever the payroll systems make of it. */
export interface Person {
  readonly key: string
  readonly first_name: string
  readonly middle_name: string | null
  readonly last_name: string
  readonly gender: "female" | "male"
  readonly dob: string
  readonly personal_email: string
  readonly phone: string
  readonly ssn: string
}

/** How one record of a person departs from the truth. */
export type Variation =
  | "exact"
  | "nickname"
  | "married_name"
  | "hyphenated_name"
  | "missing_email"
  | "missing_dob"
  | "typo"
  | "uppercase"
  | "middle_name_dropped"

// biome-ignore format: a table reads better packed
export const femaleFirstNames = [
  "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
  "Margaret", "Nancy", "Lisa", "Betty", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
  "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Laura", "Sharon", "Cynthia", "Kathleen",
  "Amy", "Angela", "Anna", "Brenda", "Pamela", "Nicole", "Samantha", "Katherine", "Christine", "Victoria",
  "Abigail", "Alexandra", "Catherine", "Olivia", "Sophia", "Isabella", "Priya", "Mei", "Fatima", "Lucia",
] as const

// biome-ignore format: a table reads better packed
export const maleFirstNames = [
  "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
  "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Andrew", "Paul", "Joshua",
  "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
  "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Benjamin",
  "Samuel", "Gregory", "Alexander", "Patrick", "Theodore", "Zachary", "Raj", "Wei", "Omar", "Mateo",
] as const

// biome-ignore format: a table reads better packed
export const lastNames = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
  "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
  "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
  "O'Brien", "Patel", "Kim", "Chen", "Singh", "Okafor", "Novak", "Schmidt", "Rossi", "Kowalski",
  "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Gomez",
  "Kelly", "Howard", "Ward", "Cox", "Diaz", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
  "Gray", "James", "Reyes", "Cruz", "Hughes", "Price", "Myers", "Long", "Foster", "Sanders",
  "Ross", "Morales", "Powell", "Sullivan", "Russell", "Ortiz", "Jenkins", "Gutierrez", "Perry", "Butler",
] as const

/** Common English nicknames: the name people go by in one system while another holds the legal name. */
// biome-ignore format: a table reads better packed
export const nicknames: Readonly<Record<string, string>> = {
  Robert: "Bob", William: "Bill", Richard: "Rick", James: "Jim", John: "Jack", Michael: "Mike",
  Joseph: "Joe", Thomas: "Tom", Christopher: "Chris", Charles: "Chuck", Daniel: "Dan", Matthew: "Matt",
  Anthony: "Tony", Donald: "Don", Steven: "Steve", Andrew: "Andy", Joshua: "Josh", Kenneth: "Ken",
  Timothy: "Tim", Ronald: "Ron", Edward: "Ed", Jeffrey: "Jeff", Jacob: "Jake", Nicholas: "Nick",
  Jonathan: "Jon", Benjamin: "Ben", Samuel: "Sam", Gregory: "Greg", Alexander: "Alex", Patrick: "Pat",
  Theodore: "Ted", Zachary: "Zach", David: "Dave", Stephen: "Steve", Larry: "Lawrence",
  Elizabeth: "Liz", Margaret: "Peggy", Patricia: "Trish", Jennifer: "Jen", Susan: "Sue", Jessica: "Jess",
  Kimberly: "Kim", Deborah: "Debbie", Stephanie: "Steph", Rebecca: "Becky", Cynthia: "Cindy",
  Kathleen: "Kathy", Pamela: "Pam", Samantha: "Sam", Katherine: "Kate", Christine: "Chris",
  Victoria: "Vicky", Abigail: "Abby", Alexandra: "Alex", Catherine: "Cathy", Olivia: "Liv",
  Isabella: "Bella", Sandra: "Sandy", Barbara: "Barb", Nancy: "Nan", Amanda: "Mandy", Melissa: "Missy",
}

/** A date `years` ago shifted by a seeded number of days, as `YYYY-MM-DD`. */
export const isoDate = (date: Date) => date.toISOString().slice(0, 10)

const slug = (text: string) => text.toLowerCase().replace(/[^a-z]/g, "")

/** A fresh synthetic person. `today` anchors dates so data does not depend on the wall clock's day. */
export const makePerson = (random: Random, key: string, today: Date): Person => {
  const gender = random.chance(0.5) ? "female" : "male"
  const first_name = random.pick(gender === "female" ? femaleFirstNames : maleFirstNames)
  const last_name = random.pick(lastNames)
  const middle_name = random.chance(0.4)
    ? random.pick(gender === "female" ? femaleFirstNames : maleFirstNames).slice(0, 1)
    : null
  const age = random.int(19, 68)
  const dob = new Date(Date.UTC(today.getUTCFullYear() - age, random.int(0, 11), random.int(1, 28)))
  return {
    key,
    first_name,
    middle_name,
    last_name,
    gender,
    dob: isoDate(dob),
    personal_email: `${slug(first_name)}.${slug(last_name)}${random.int(1, 9999)}@example.org`,
    phone: `+1${random.int(201, 989)}${random.digits(7)}`,
    ssn: `${random.int(100, 665)}-${random.digits(2).replace("00", "01")}-${random.int(1000, 9999)}`,
  }
}

/** The name-and-contact part of a person's record after a variation is applied. */
export interface Appearance {
  readonly first_name: string
  readonly middle_name: string | null
  readonly last_name: string
  readonly preferred_name: string | null
  readonly dob: string | null
  readonly personal_email: string | null
}

/** A one-keystroke slip: two different adjacent letters swapped (or a letter doubled when none differ). */
const swapAdjacent = (random: Random, text: string) => {
  const candidates: Array<number> = []
  for (let i = 1; i < text.length - 1; i++) if (text.charAt(i) !== text.charAt(i + 1)) candidates.push(i)
  if (candidates.length === 0) return `${text}${text.slice(-1)}`
  const i = random.pick(candidates)
  return text.slice(0, i) + text.charAt(i + 1) + text.charAt(i) + text.slice(i + 2)
}

/** The person as one payroll system records them. */
export const appearance = (random: Random, person: Person, variations: ReadonlyArray<Variation>): Appearance => {
  let first_name = person.first_name
  let middle_name = person.middle_name
  let last_name = person.last_name
  let preferred_name: string | null = null
  let dob: string | null = person.dob
  let personal_email: string | null = person.personal_email
  for (const variation of variations) {
    switch (variation) {
      case "exact":
        break
      case "nickname":
        first_name = nicknames[person.first_name] ?? person.first_name.slice(0, 3)
        preferred_name = first_name
        break
      case "married_name":
        last_name = random.pick(lastNames.filter((name) => name !== person.last_name))
        break
      case "hyphenated_name":
        last_name = `${person.last_name}-${random.pick(lastNames.filter((name) => name !== person.last_name))}`
        break
      case "missing_email":
        personal_email = null
        break
      case "missing_dob":
        dob = null
        break
      case "typo":
        last_name = swapAdjacent(random, last_name)
        break
      case "uppercase":
        first_name = first_name.toUpperCase()
        last_name = last_name.toUpperCase()
        break
      case "middle_name_dropped":
        middle_name = null
        break
    }
  }
  return { first_name, middle_name, last_name, preferred_name, dob, personal_email }
}
