/**
 * Employee-shaped records with known truth, for the bench and the precision tests: one customer, several
 * connections (providers and entities); about 30% of people appear in 2–4 connections, each appearance with the
 * variation real payroll systems show (nicknames, typos, married names, swapped names, missing or swapped dates,
 * case and accents, work vs personal emails, phone formats, SSN only where the provider sends it).
 */
import { nicknamePairs } from "../src/reconciliation/internal/NicknameData.ts"
import { mulberry32 } from "../src/reconciliation/internal/Random.ts"
import type { SourceRecord } from "../src/reconciliation/SourceRecord.ts"

/** Deterministic PRNG (mulberry32). */
export const random = mulberry32

const onsets = [
  "b",
  "br",
  "c",
  "ch",
  "d",
  "f",
  "g",
  "h",
  "j",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "sh",
  "t",
  "v",
  "w",
  "z",
  "st",
  "gr",
  "kl",
]
const vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "o", "a"]
const codas = ["", "n", "r", "l", "s", "th", "m", "nd", "rt", "ck", "ll", "ns", "rd", "x"]

const syllableName = (next: () => number, syllables: number) => {
  let name = ""
  for (let s = 0; s < syllables; s++) {
    name += onsets[Math.floor(next() * onsets.length)] ?? ""
    name += vowels[Math.floor(next() * vowels.length)] ?? ""
    if (s === syllables - 1 || next() < 0.3) name += codas[Math.floor(next() * codas.length)] ?? ""
  }
  return name
}

const formalNames = nicknamePairs.split(";").map((entry) => entry.split(":"))

/** Zipf-like pick: rank k with probability ∝ 1 / (k + offset). */
const zipf = (next: () => number, size: number, offset: number) =>
  Math.min(size - 1, Math.max(0, Math.floor(Math.exp(next() * Math.log((size + offset) / offset)) * offset - offset)))

interface Person {
  readonly first: string
  readonly nicknames: ReadonlyArray<string>
  readonly middle: string
  readonly last: string
  readonly marriedLast: string
  readonly dob: string
  readonly ssn: string
  readonly personalEmail: string
  readonly phone: string
}

const capitalise = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

const typo = (next: () => number, text: string) => {
  if (text.length < 4) return text
  const at = 1 + Math.floor(next() * (text.length - 2))
  const kind = next()
  if (kind < 0.33) return text.slice(0, at) + text.slice(at + 1)
  if (kind < 0.66) return text.slice(0, at) + (text[at + 1] ?? "") + (text[at] ?? "") + text.slice(at + 2)
  return text.slice(0, at) + "aeioulnrst"[Math.floor(next() * 10)] + text.slice(at + 1)
}

export interface GeneratedSet {
  readonly records: Array<SourceRecord>
  readonly truth: Int32Array
  readonly people: number
}

/** About `records` records of one customer with `connections` connections (default 12). */
export const generateEmployees = (options: {
  readonly records: number
  readonly seed?: number
  readonly connections?: number
}): GeneratedSet => {
  const next = random(options.seed ?? 42)
  const connections = options.connections ?? 12
  const lastNames = Array.from({ length: 60000 }, (_, k) => syllableName(next, 1 + (k % 3)))
  const firstPool = [
    ...formalNames.map(([formal = "", nicknames = ""]) => [formal, ...nicknames.split(",")]),
    ...Array.from({ length: 4000 }, () => [syllableName(next, 2)]),
  ]
  const records: Array<SourceRecord> = []
  const truth: Array<number> = []
  let personIndex = 0
  while (records.length < options.records) {
    const firstEntry = firstPool[zipf(next, firstPool.length, 10)] ?? ["alex"]
    const last = lastNames[zipf(next, lastNames.length, 50)] ?? "smith"
    const year = 1950 + Math.floor(next() * 56)
    const month = 1 + Math.floor(next() * 12)
    const day = 1 + Math.floor(next() * 28)
    const person: Person = {
      first: firstEntry[0] ?? "alex",
      nicknames: firstEntry.slice(1),
      middle: next() < 0.5 ? (lastNames[Math.floor(next() * 5000)] ?? "") : "",
      last,
      marriedLast: lastNames[zipf(next, lastNames.length, 50)] ?? "jones",
      dob: `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
      ssn: `${String(100 + Math.floor(next() * 799)).padStart(3, "0")}${String(10 + Math.floor(next() * 89))}${String(1000 + Math.floor(next() * 8999))}`,
      personalEmail: `${firstEntry[0]}.${last}.${personIndex}@${["gmail.com", "yahoo.com", "outlook.com", "icloud.com"][Math.floor(next() * 4)]}`,
      phone: `${200 + Math.floor(next() * 799)}${String(Math.floor(next() * 10000000)).padStart(7, "0")}`,
    }
    const roll = next()
    const appearances = roll < 0.7 ? 1 : roll < 0.85 ? 2 : roll < 0.95 ? 3 : 4
    const home = Math.floor(next() * connections)
    for (let a = 0; a < appearances && records.length < options.records; a++) {
      const connection = (home + a * 5) % connections
      // as if read from JSON Lines: flat strings, not the rope strings template literals build; parsed one at a
      // time so a million records never sit in memory twice
      records.push(JSON.parse(JSON.stringify(appearance(next, person, connection, `${personIndex}-${a}`))))
      truth.push(personIndex)
    }
    personIndex++
  }
  return { records, truth: Int32Array.from(truth), people: personIndex }
}

const appearance = (next: () => number, p: Person, connection: number, suffix: string): SourceRecord => {
  let first = p.first
  let last = p.last
  const r = next
  if (r() < 0.12 && p.nicknames.length > 0) first = p.nicknames[Math.floor(r() * p.nicknames.length)] ?? first
  if (r() < 0.04) first = typo(r, first)
  if (r() < 0.04) last = typo(r, last)
  if (r() < 0.03) last = p.marriedLast
  else if (r() < 0.02) last = `${last}-${p.marriedLast}`
  let dob: string | null = p.dob
  const dateRoll = r()
  if (dateRoll < 0.05) dob = null
  else if (dateRoll < 0.06) dob = `${p.dob.slice(0, 4)}-${p.dob.slice(8, 10)}-${p.dob.slice(5, 7)}`
  else if (dateRoll < 0.07) dob = `${p.dob.slice(0, 3)}${(Number(p.dob[3]) + 1) % 10}${p.dob.slice(4)}`
  let firstName = capitalise(first)
  let lastName = capitalise(last)
  if (r() < 0.05) [firstName, lastName] = [firstName.toUpperCase(), lastName.toUpperCase()]
  if (r() < 0.01) [firstName, lastName] = [lastName, firstName]
  if (p.middle !== "" && r() < 0.3) firstName = `${firstName} ${p.middle.charAt(0).toUpperCase()}`
  const emails: Array<{ data: string; type: string }> = []
  if (r() < 0.8) emails.push({ data: `${first}.${last}@company${connection}.example`, type: "work" })
  if (r() < 0.4) emails.push({ data: p.personalEmail, type: "personal" })
  const phones =
    r() < 0.5
      ? [
          {
            data: r() < 0.5 ? `+1 (${p.phone.slice(0, 3)}) ${p.phone.slice(3, 6)}-${p.phone.slice(6)}` : p.phone,
            type: "personal",
          },
        ]
      : []
  const hasSsn = connection % 3 === 0
  return {
    record_id: `c${connection}:${suffix}`,
    connection_id: `connection-${connection}`,
    entity_id: null,
    individual: {
      first_name: firstName,
      middle_name: p.middle !== "" && r() < 0.5 ? capitalise(p.middle) : null,
      last_name: lastName,
      preferred_name: null,
      dob,
      emails,
      phone_numbers: phones,
      ssn: hasSsn ? `${p.ssn.slice(0, 3)}-${p.ssn.slice(3, 5)}-${p.ssn.slice(5)}` : null,
    },
    employment: { title: null, source_id: null, start_date: null, is_active: true },
  }
}
