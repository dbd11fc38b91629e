import { assert, describe, it } from "@effect/vitest"
import { Comparator } from "../../src/reconciliation/Comparison.ts"
import { type ComparedField, levelOf, Veto, type VetoName, vetoNames } from "../../src/reconciliation/Levels.ts"
import { prepare } from "../../src/reconciliation/Prepare.ts"
import type { IndividualFields } from "../../src/reconciliation/SourceRecord.ts"
import { defaultModel } from "../../src/reconciliation/Weights.ts"

/** Compares two individuals as two records of two connections: each field's level name, and the veto. */
const compare = (
  a: IndividualFields,
  b: IndividualFields,
  options: { readonly reliableBirthDates?: boolean } = {},
): { readonly level: (field: ComparedField) => string; readonly veto: VetoName } => {
  const data = prepare([
    { record_id: "a", connection_id: "one", individual: a },
    { record_id: "b", connection_id: "two", individual: b },
  ])
  if (!("size" in data)) throw new Error(data.message)
  const comparator = new Comparator(data, defaultModel, undefined, options.reliableBirthDates ?? true)
  comparator.compareLevels(0, 1)
  const packed = comparator.packed
  return { level: (field) => levelOf(packed, field), veto: vetoNames[comparator.veto] as VetoName }
}

const person = { first_name: "Thomas", last_name: "Brennan", dob: "1984-07-19" } as const

describe("Comparator levels", () => {
  it("first names: exact, nickname, prefix, preferred, typo, initial, similar, disagree, missing", () => {
    const first = (x: IndividualFields, y: IndividualFields) => compare(x, y).level("first_name")
    assert.strictEqual(first(person, { ...person, first_name: "THOMAS" }), "exact")
    assert.strictEqual(first(person, { ...person, first_name: "Tom" }), "nickname")
    assert.strictEqual(first({ ...person, first_name: "Christopher" }, { ...person, first_name: "Chris" }), "nickname")
    assert.strictEqual(first(person, { ...person, first_name: "Rob", preferred_name: "Thomas" }), "nickname")
    assert.strictEqual(first(person, { ...person, first_name: "Rhomas" }), "typo")
    assert.strictEqual(first(person, { ...person, first_name: "T" }), "initial")
    assert.strictEqual(first({ ...person, first_name: "Marhta" }, { ...person, first_name: "Martina" }), "similar")
    assert.strictEqual(first(person, { ...person, first_name: "Peter" }), "disagree")
    assert.strictEqual(first(person, { ...person, first_name: null }), "missing")
  })

  it("surnames: exact, one part of a double name, typo, similar, disagree; swapped names are matched crosswise", () => {
    const last = (y: string) => compare(person, { ...person, last_name: y }).level("last_name")
    assert.strictEqual(last("Brennan"), "exact")
    assert.strictEqual(last("Brennan-Okafor"), "part")
    assert.strictEqual(last("Brenan"), "typo")
    assert.strictEqual(last("Brennanson"), "similar")
    assert.strictEqual(last("Okafor"), "disagree")
    const swapped = compare(person, { ...person, first_name: "Brennan", last_name: "Thomas" })
    assert.strictEqual(swapped.level("first_name"), "exact")
    assert.strictEqual(swapped.level("last_name"), "exact")
  })

  it("birth dates: exact, day/month swap, one keystroke, near, disagree", () => {
    const dob = (y: string) => compare(person, { ...person, dob: y }).level("dob")
    assert.strictEqual(dob("1984-07-19"), "exact")
    assert.strictEqual(dob("07/19/1984"), "exact")
    assert.strictEqual(dob("1984-07-12"), "typo")
    assert.strictEqual(dob("1948-07-19"), "typo")
    assert.strictEqual(
      compare({ ...person, dob: "1984-03-07" }, { ...person, dob: "1984-07-03" }).level("dob"),
      "day_month_swap",
    )
    assert.strictEqual(dob("1984-11-02"), "near")
    assert.strictEqual(dob("1979-11-20"), "disagree")
    assert.strictEqual(dob(""), "missing")
  })

  it("SSNs: exact, one keystroke, disagree", () => {
    const ssn = (y: string) => compare({ ...person, ssn: "123-45-6789" }, { ...person, ssn: y }).level("ssn")
    assert.strictEqual(ssn("123456789"), "exact")
    assert.strictEqual(ssn("123-45-6798"), "typo")
    assert.strictEqual(ssn("123-45-6780"), "typo")
    assert.strictEqual(ssn("555-12-3456"), "disagree")
  })

  it("e-mails: exact, same local part with a digit, a typo with the same digits, and another number is another address", () => {
    const email = (x: string, y: string, type: "personal" | "work" = "personal") =>
      compare({ ...person, emails: [{ data: x, type }] }, { ...person, emails: [{ data: y, type }] }).level("email")
    assert.strictEqual(email("Thomas.Brennan63@gmail.com", "thomas.brennan63@gmail.com"), "exact")
    assert.strictEqual(email("tb1984x@gmail.com", "tb1984x@yahoo.com"), "same_local_part")
    assert.strictEqual(email("thomas.brenan63@gmail.com", "thomas.brennan63@gmail.com"), "typo")
    assert.strictEqual(email("thomas.brennan63@gmail.com", "thomas.brennan83@gmail.com"), "disagree_personal")
    assert.strictEqual(email("thomas.brennan3@gmail.com", "thomas.brennan34@gmail.com"), "disagree_personal")
    assert.strictEqual(email("thomas.brennan@acme.example", "thomas.brennan@globex.example", "work"), "disagree")
  })

  it("phones, middle names, employment and residence", () => {
    const phones = compare(
      { ...person, phone_numbers: [{ data: "+1 (415) 555-0134", type: null }] },
      { ...person, phone_numbers: [{ data: "4155550134", type: null }] },
    )
    assert.strictEqual(phones.level("phone"), "exact")
    assert.strictEqual(
      compare({ ...person, middle_name: "James" }, { ...person, middle_name: "J" }).level("middle_name"),
      "initial",
    )
    assert.strictEqual(
      compare({ ...person, middle_name: "James" }, { ...person, middle_name: "Kai" }).level("middle_name"),
      "disagree",
    )
    const home = { line1: "17 Arabanoo Crescent", city: "Seven Hills", postal_code: "2147" }
    const residence = (y: typeof home) =>
      compare({ ...person, residence: home }, { ...person, residence: y }).level("residence")
    assert.strictEqual(residence({ ...home, line1: "17 Arabanoo Cres" }), "address")
    assert.strictEqual(residence({ ...home, line1: "43 Arabanoo Crescent" }), "street")
    assert.strictEqual(residence({ line1: "4 Other Road", city: "Seven Hills", postal_code: "2147" }), "locality")
    assert.strictEqual(residence({ line1: "4 Other Road", city: "Seven Hills", postal_code: "3000" }), "partial")
    assert.strictEqual(residence({ line1: "4 Other Road", city: "Perth", postal_code: "6000" }), "disagree")
  })
})

describe("Comparator vetoes", () => {
  it("two different well-formed SSNs, whatever else agrees", () => {
    assert.strictEqual(
      compare({ ...person, ssn: "212-48-3371" }, { ...person, ssn: "431-22-9087" }).veto,
      "different_ssn",
    )
    // an id that is no SSN (FEBRL's seven digits) is evidence, never a veto
    assert.strictEqual(compare({ ...person, ssn: "1234567" }, { ...person, ssn: "7654321" }).veto, "none")
  })

  it("a different first name, unless the surname and the exact birth date, an identifier or the home vouch", () => {
    assert.strictEqual(compare(person, { ...person, first_name: "Peter" }).veto, "none")
    assert.strictEqual(
      compare(person, { ...person, first_name: "Peter", dob: "1984-07-12" }).veto,
      "different_first_name",
    )
    const phone = [{ data: "4155550134", type: null }]
    assert.strictEqual(
      compare(
        { ...person, phone_numbers: phone },
        { ...person, first_name: "Peter", dob: "1984-07-12", phone_numbers: phone },
      ).veto,
      "none",
    )
  })

  it("two complete birth dates in conflict outweigh the names and addresses built from them", () => {
    const namesake = { ...person, dob: "1961-03-04" }
    assert.strictEqual(compare(person, namesake).veto, "different_birth_date")
    // near dates are a conflict too when dates are reliable; a typo or a day/month swap is not
    assert.strictEqual(compare(person, { ...person, dob: "1984-11-02" }).veto, "different_birth_date")
    assert.strictEqual(compare(person, { ...person, dob: "1984-07-12" }).veto, "none")
    const mail = (data: string) => [{ data, type: "personal" as const }]
    // the same address, when it is made of the name, says nothing more than the name
    assert.strictEqual(
      compare(
        { ...person, emails: mail("thomas.brennan63@gmail.com") },
        { ...namesake, emails: mail("thomas.brennan63@gmail.com") },
      ).veto,
      "different_birth_date",
    )
    assert.strictEqual(
      compare(
        { ...person, emails: mail("tbrennan63@gmail.com") },
        { ...namesake, emails: mail("tbrennan63@gmail.com") },
      ).veto,
      "different_birth_date",
    )
    // every shape an address is built from the name in: both names either way, each alone, an initial with the
    // other, first + middle initial + last (whatever separates them, and accents folded)
    const middle = { middle_name: "Joseph" }
    for (const local of [
      "thomas.brennan63",
      "brennan_thomas63",
      "thomas63",
      "brennan1984",
      "t.brennan63",
      "brennan.t63",
      "thomasb63",
      "thomas.j.brennan63",
    ])
      assert.strictEqual(
        compare(
          { ...person, ...middle, emails: mail(`${local}@gmail.com`) },
          { ...namesake, ...middle, emails: mail(`${local}@gmail.com`) },
        ).veto,
        "different_birth_date",
        local,
      )
    assert.strictEqual(
      compare(
        { ...person, first_name: "Zoë", emails: mail("zoe.brennan6@gmail.com") },
        { ...namesake, first_name: "Zoë", emails: mail("zoe.brennan6@gmail.com") },
      ).veto,
      "different_birth_date",
    )
    // letters that are not just the name make the address the person's own
    for (const local of ["thomas.brennanx63", "brennan.th63", "tbrennan.sailfish"])
      assert.strictEqual(
        compare(
          { ...person, ...middle, emails: mail(`${local}@gmail.com`) },
          { ...namesake, ...middle, emails: mail(`${local}@gmail.com`) },
        ).veto,
        "none",
        local,
      )
    assert.strictEqual(
      compare({ ...person, emails: mail("tb1984x@gmail.com") }, { ...namesake, emails: mail("tb1984x@yahoo.com") })
        .veto,
      "different_birth_date",
    )
    // an address of the person's own, a phone, or an SSN vouches
    assert.strictEqual(
      compare(
        { ...person, emails: mail("sailfish.k@gmail.com") },
        { ...namesake, emails: mail("sailfish.k@gmail.com") },
      ).veto,
      "none",
    )
    assert.strictEqual(compare({ ...person, ssn: "212-48-3371" }, { ...namesake, ssn: "212-48-3371" }).veto, "none")
    // noisy records: both names outweigh a conflicting date
    assert.strictEqual(compare(person, namesake, { reliableBirthDates: false }).veto, "none")
    assert.strictEqual(
      compare(person, { ...namesake, last_name: "Okafor" }, { reliableBirthDates: false }).veto,
      "different_birth_date",
    )
  })

  it("two personal addresses built from the name with numbers of their own are two namesakes' addresses", () => {
    const mail = (data: string) => [{ data, type: "personal" as const }]
    const undated = { first_name: "Dahl", last_name: "Lan" }
    const dated = { ...undated, dob: "1981-03-27" }
    assert.strictEqual(
      compare({ ...undated, emails: mail("dahl.lan38@gmail.com") }, { ...dated, emails: mail("dahl.lan39@gmail.com") })
        .veto,
      "different_personal_address",
    )
    // the exact birth date, or a phone of their own, still vouch; and addresses without a number say nothing
    assert.strictEqual(
      compare({ ...dated, emails: mail("dahl.lan38@gmail.com") }, { ...dated, emails: mail("dahl.lan39@gmail.com") })
        .veto,
      "none",
    )
    const phone = [{ data: "4155550134", type: null }]
    assert.strictEqual(
      compare(
        { ...undated, emails: mail("dahl.lan38@gmail.com"), phone_numbers: phone },
        { ...dated, emails: mail("dahl.lan39@gmail.com"), phone_numbers: phone },
      ).veto,
      "none",
    )
    assert.strictEqual(
      compare({ ...undated, emails: mail("dahl.lan@gmail.com") }, { ...dated, emails: mail("dahl.lan@yahoo.com") })
        .veto,
      "none",
    )
    // records of noisy registers are not held to it
    assert.strictEqual(
      compare(
        { ...undated, emails: mail("dahl.lan38@gmail.com") },
        { ...dated, emails: mail("dahl.lan39@gmail.com") },
        { reliableBirthDates: false },
      ).veto,
      "none",
    )
  })

  it("uncorroborated: names or dates that do not all agree, and something else comparable that does not agree either", () => {
    const work = (domain: string) => [{ data: `tb@${domain}`, type: "work" as const }]
    const married = { ...person, last_name: "Okafor" }
    assert.strictEqual(
      compare({ ...person, emails: work("acme.example") }, { ...married, emails: work("globex.example") }).veto,
      "uncorroborated",
    )
    assert.strictEqual(compare({ ...person, middle_name: "James" }, { ...married, middle_name: "J" }).veto, "none")
    // nothing else comparable: nothing to corroborate with
    assert.strictEqual(compare(person, married).veto, "none")
  })

  it("the veto names follow the Veto numbers", () => {
    for (const [name, veto] of Object.entries(Veto)) assert.strictEqual(vetoNames[veto], name)
  })
})
