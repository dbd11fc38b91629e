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
  /**
   * hard negatives added after the `records` (default none): this many pairs of namesakes, two people of one name
   * born years apart, whose addresses are built from that name (see `namesakePair`)
   */
  readonly namesakes?: number
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
  // from their own generator, so the records above stay the same with or without them
  const hard = random((options.seed ?? 42) ^ 0x5a5a)
  for (let pair = 0; pair < (options.namesakes ?? 0); pair++) {
    const firstEntry = firstPool[zipf(hard, firstPool.length, 10)] ?? ["alex"]
    const last = lastNames[zipf(hard, lastNames.length, 50)] ?? "smith"
    for (const record of namesakePair(hard, firstEntry[0] ?? "alex", last, connections, personIndex)) {
      records.push(JSON.parse(JSON.stringify(record.record)))
      truth.push(personIndex + record.person)
    }
    personIndex += 2
  }
  return { records, truth: Int32Array.from(truth), people: personIndex }
}

const pad2 = (value: number) => String(value).padStart(2, "0")

/**
 * Two namesakes (`first last`), each with a complete birth date, years apart, seen by one to three connections
 * each, whose e-mail addresses look alike the way false merges did: personal addresses built from the name that
 * differ only in their digits (`first.last63@` / `first.last83@`, `first.last3@` / `first.last34@`), work addresses
 * with the same `first.last` (or `first.last2`) local part at their two employers' domains, and in half the pairs
 * an appearance of the first without a birth date that could bridge the two. No SSN, no phone: nothing else tells
 * them apart. `person` is 0 or 1.
 */
const namesakePair = (
  next: () => number,
  first: string,
  last: string,
  connections: number,
  personIndex: number,
): Array<{ readonly person: number; readonly record: SourceRecord }> => {
  const year = 1950 + Math.floor(next() * 45)
  const dobs = [
    `${year}-${pad2(1 + Math.floor(next() * 12))}-${pad2(1 + Math.floor(next() * 28))}`,
    `${year + 2 + Math.floor(next() * 20)}-${pad2(1 + Math.floor(next() * 12))}-${pad2(1 + Math.floor(next() * 28))}`,
  ]
  const domains = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com"]
  const domain = domains[Math.floor(next() * 4)] as string
  const shape = next()
  const digits = 10 + Math.floor(next() * 90)
  // another number: one digit changed (63 / 83), or one digit appended (3 / 34)
  const [digitsA, digitsB] =
    shape < 0.5
      ? [
          String(digits),
          String(digits + (digits % 10 === 9 ? -1 : 1) * (next() < 0.5 ? 1 : 10) * (digits >= 90 ? -1 : 1)),
        ]
      : [String(digits % 10), `${digits % 10}${Math.floor(next() * 10)}`]
  const personal = [
    `${first}.${last}${digitsA}@${domain}`,
    `${first}.${last}${digitsB}@${next() < 0.7 ? domain : domains[Math.floor(next() * 4)]}`,
  ]
  const workLocal = next() < 0.5 ? `${first}.${last}` : `${first}.${last}2`
  const home = [Math.floor(next() * connections), 0]
  home[1] = ((home[0] as number) + 1 + Math.floor(next() * (connections - 1))) % connections
  const bridge = next() < 0.5
  const out: Array<{ readonly person: number; readonly record: SourceRecord }> = []
  for (const person of [0, 1]) {
    const appearances = 1 + Math.floor(next() * 3)
    for (let a = 0; a < appearances; a++) {
      const connection = ((home[person] as number) + a * 5) % connections
      const withoutDob = person === 0 && bridge && a === appearances - 1 && appearances > 1
      const emails: Array<{ data: string; type: string }> = []
      if (next() < 0.7) emails.push({ data: `${workLocal}@company${connection}.example`, type: "work" })
      if (withoutDob || next() < 0.8) emails.push({ data: personal[person] as string, type: "personal" })
      out.push({
        person,
        record: {
          record_id: `n${connection}:${personIndex + person}-${a}`,
          connection_id: `connection-${connection}`,
          entity_id: null,
          individual: {
            first_name: capitalise(first),
            last_name: capitalise(last),
            dob: withoutDob ? null : (dobs[person] as string),
            emails,
          },
        },
      })
    }
  }
  return out
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
