/**
 * The public linkage sets with known truth (data/linkage, see its README), mapped to reconciliation input with one
 * connection per record of a cluster: a cluster's records are the same person seen by different connections.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { SourceRecord } from "../src/reconciliation/SourceRecord.ts"

/** Records with the truth: `truth[k]` is the true person of `records[k]`. */
export interface LabelledSet {
  readonly name: string
  readonly records: ReadonlyArray<SourceRecord>
  readonly truth: ReadonlyArray<string>
}

const dataDir = path.resolve(import.meta.dirname, "../data/linkage")

const parseCsv = (file: string): Array<Record<string, string>> => {
  const [header = "", ...lines] = fs.readFileSync(path.join(dataDir, file), "utf8").split(/\r?\n/)
  const columns = header.split(",").map((c) => c.trim())
  return lines
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const cells = line.split(",")
      return Object.fromEntries(columns.map((column, i) => [column, (cells[i] ?? "").trim()]))
    })
}

const orNull = (value: string | undefined) => (value === undefined || value === "" ? null : value)

const febrlDate = (value: string) =>
  /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}` : null

/**
 * FEBRL: given_name → first_name, surname → last_name, date_of_birth → dob, soc_sec_id → ssn, and the address as
 * Finch's `residence`: street_number + address_1 → line1, address_2 → line2, suburb → city, state, postcode →
 * postal_code (`withAddress: false` leaves it out).
 */
export const febrl = (
  file: "febrl1.csv" | "febrl2.csv",
  options: { readonly withSsn: boolean; readonly withAddress?: boolean },
): LabelledSet => {
  const withAddress = options.withAddress !== false
  const rows = parseCsv(file)
  const seen = new Map<string, number>()
  const records: Array<SourceRecord> = []
  const truth: Array<string> = []
  for (const row of rows) {
    const id = row.rec_id ?? ""
    const person = id.split("-")[1] ?? id
    const nth = seen.get(person) ?? 0
    seen.set(person, nth + 1)
    records.push({
      record_id: id,
      connection_id: `connection-${nth}`,
      individual: {
        first_name: orNull(row.given_name),
        last_name: orNull(row.surname),
        dob: febrlDate(row.date_of_birth ?? ""),
        ssn: options.withSsn ? orNull(row.soc_sec_id) : null,
        residence: withAddress
          ? {
              line1: orNull(`${row.street_number ?? ""} ${row.address_1 ?? ""}`.trim()),
              line2: orNull(row.address_2),
              city: orNull(row.suburb),
              state: orNull(row.state),
              postal_code: orNull(row.postcode),
            }
          : null,
      },
    })
    truth.push(person)
  }
  const name = `${file.replace(".csv", "")} ${options.withSsn ? "with SSN" : "without SSN"}`
  return { name: withAddress ? name : `${name}, no address`, records, truth }
}

/** Splink's fake_1000: first_name, surname, dob, email (and city as the residence city). */
export const fake1000 = (options: { readonly withCity: boolean } = { withCity: true }): LabelledSet => {
  const rows = parseCsv("fake_1000.csv")
  const seen = new Map<string, number>()
  const records: Array<SourceRecord> = []
  const truth: Array<string> = []
  for (const row of rows) {
    const person = row.cluster ?? ""
    const nth = seen.get(person) ?? 0
    seen.set(person, nth + 1)
    const email = orNull(row.email)
    records.push({
      record_id: `fake-${row.unique_id}`,
      connection_id: `connection-${nth}`,
      individual: {
        first_name: orNull(row.first_name),
        last_name: orNull(row.surname),
        dob: orNull(row.dob),
        emails: email === null ? null : [{ data: email, type: null }],
        residence: options.withCity ? { city: orNull(row.city) } : null,
      },
    })
    truth.push(person)
  }
  return { name: `fake_1000${options.withCity ? "" : " (no city)"}`, records, truth }
}
