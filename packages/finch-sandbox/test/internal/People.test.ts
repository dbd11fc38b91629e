import { describe, expect, it } from "vitest"
import { appearance, makePerson, nicknames, type Variation } from "../../src/internal/People.ts"
import * as Random from "../../src/internal/Random.ts"

const today = new Date("2026-06-15T12:00:00Z")

describe("Random", () => {
  it("is deterministic per (seed, key) and makes v4-shaped uuids", () => {
    const a = Random.make(1, "k")
    const b = Random.make(1, "k")
    const c = Random.make(1, "other")
    const draws = (r: Random.Random) => Array.from({ length: 5 }, () => r.uuid())
    const fromA = draws(a)
    expect(fromA).toEqual(draws(b))
    expect(fromA).not.toEqual(draws(c))
    for (const id of fromA) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})

describe("appearance", () => {
  const random = Random.make(5, "people")
  const people = Array.from({ length: 200 }, (_, i) => makePerson(random, `p${i}`, today))

  it("makes plausible people: adults with an ISO date of birth, an example.org email and a US phone", () => {
    for (const person of people) {
      expect(person.dob).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      const age = today.getUTCFullYear() - Number(person.dob.slice(0, 4))
      expect(age).toBeGreaterThanOrEqual(18)
      expect(age).toBeLessThanOrEqual(69)
      expect(person.personal_email).toMatch(/@example\.org$/)
      expect(person.phone).toMatch(/^\+1\d{10}$/)
    }
  })

  const shown = (variations: ReadonlyArray<Variation>) =>
    people.map((person) => ({ person, record: appearance(Random.make(9, person.key), person, variations) }))

  it("exact keeps everything", () => {
    for (const { person, record } of shown(["exact"])) {
      expect(record).toEqual({
        first_name: person.first_name,
        middle_name: person.middle_name,
        last_name: person.last_name,
        preferred_name: null,
        dob: person.dob,
        personal_email: person.personal_email,
      })
    }
  })

  it("each variation changes what it says and nothing else", () => {
    for (const { person, record } of shown(["nickname"])) {
      expect(record.first_name).toBe(nicknames[person.first_name] ?? person.first_name.slice(0, 3))
      expect(record.last_name).toBe(person.last_name)
    }
    for (const { person, record } of shown(["married_name"])) {
      expect(record.last_name).not.toBe(person.last_name)
      expect(record.first_name).toBe(person.first_name)
    }
    for (const { person, record } of shown(["hyphenated_name"])) {
      expect(record.last_name.startsWith(`${person.last_name}-`)).toBe(true)
    }
    for (const { person, record } of shown(["typo"])) {
      // Two different adjacent letters swapped, or (when there are none) the last letter doubled.
      expect(record.last_name).not.toBe(person.last_name)
      const sorted = (text: string) => [...text].sort().join("")
      if (record.last_name.length === person.last_name.length) {
        expect(sorted(record.last_name)).toBe(sorted(person.last_name))
      } else {
        expect(record.last_name).toBe(`${person.last_name}${person.last_name.slice(-1)}`)
      }
    }
    for (const { record } of shown(["missing_email"])) expect(record.personal_email).toBeNull()
    for (const { record } of shown(["missing_dob"])) expect(record.dob).toBeNull()
    for (const { person, record } of shown(["uppercase", "middle_name_dropped"])) {
      expect(record.first_name).toBe(person.first_name.toUpperCase())
      expect(record.middle_name).toBeNull()
    }
  })
})
