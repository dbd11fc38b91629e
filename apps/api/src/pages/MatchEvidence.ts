/**
 * Why a record was merged into a person, in a payroll admin's words: the `field:level` keys the reconciliation engine
 * records as `matched_by` (core's `reconciliation/Levels.ts`, `agreedFieldsOf` and `matchedBy`) named in words, and
 * the link's score set against the score a merge needs (`Persons.matchThreshold`).
 */
import { matchThreshold } from "@finch-connections/core/Persons"
import type { ComparedField, LevelName } from "@finch-connections/core/reconciliation/Levels"

/** The `matched_by` key of a merge a person decided (`Reconciliation.matchedBy`). */
export const manualKey = "manual:same_person"

/** The `matched_by` key of first and last name agreeing crosswise (`Levels.agreedFieldsOf`). */
const swappedNamesKey = "names:swapped"

/** The levels `matched_by` can hold for a field: all but `missing` and the disagreements. */
type AgreeingLevel<F extends ComparedField> = Exclude<LevelName<F>, "missing" | `disagree${string}`>

const fieldWords: { readonly [F in ComparedField]: string } = {
  first_name: "first name",
  last_name: "last name",
  dob: "date of birth",
  ssn: "SSN",
  email: "email",
  phone: "phone number",
  middle_name: "middle name",
  employee_number: "employee number",
  start_date: "start date",
  residence: "home address",
}

/** How each level agreed, in words; "" for the same value (the field's name says enough). */
const levelWords: { readonly [F in ComparedField]: { readonly [L in AgreeingLevel<F>]: string } } = {
  first_name: {
    exact: "",
    nickname: "nickname",
    typo: "small typo",
    initial: "initial",
    similar: "similar spelling",
  },
  last_name: { exact: "", part: "one part of a double surname", typo: "small typo", similar: "similar spelling" },
  dob: { exact: "", day_month_swap: "day and month swapped", typo: "one keystroke off", near: "close, not equal" },
  ssn: { exact: "", typo: "one keystroke off" },
  email: { exact: "", same_local_part: "same name before the @, another domain", typo: "small typo" },
  phone: { exact: "" },
  middle_name: { exact: "", initial: "initial" },
  employee_number: { exact: "" },
  start_date: { exact: "" },
  residence: {
    address: "",
    street: "same street",
    locality: "same postal code and city",
    partial: "same postal code or city",
  },
}

const isComparedField = (field: string): field is ComparedField => Object.hasOwn(fieldWords, field)

/** `snake_case` as words, for a key these tables do not know yet. */
const words = (key: string) => key.replaceAll("_", " ").trim()

/** One `matched_by` key in words: `dob:exact` → "date of birth", `first_name:nickname` → "first name (nickname)". */
export const agreementWords = (key: string): string => {
  if (key === swappedNamesKey) return "first and last name (swapped between the two records)"
  if (key === manualKey) return "a person decided these are the same person"
  const separator = key.indexOf(":")
  const field = separator < 0 ? key : key.slice(0, separator)
  const level = separator < 0 ? "" : key.slice(separator + 1)
  if (!isComparedField(field)) return level === "" ? words(field) : `${words(field)} (${words(level)})`
  const known = (levelWords[field] as Readonly<Record<string, string>>)[level]
  const how = known ?? words(level)
  return how === "" ? fieldWords[field] : `${fieldWords[field]} (${how})`
}

/** The link's score against the score a merge needs, labelled for a person who does not know the engine. */
export const scoreWords = (score: number): string =>
  `match score ${score.toFixed(1)} (records are merged from ${matchThreshold} up)`
