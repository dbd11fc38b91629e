/**
 * The lines `PgEmployeeStore` streams into its staging table with `COPY`: each record's JSON as text (PostgreSQL
 * parses only the records that changed) and the digest that tells which did.
 */
import { hash } from "node:crypto"
import type { EmployeeRecord } from "@finch-connections/core/EmployeeStore"
import { Option } from "effect"

/** The staging table's columns, in the order of a line. */
export const stagedColumns = "individual_id, entity_id, individual, employment, content_digest"

/**
 * SHA-256 (hex) of a record's entity id, individual and employment as JSON texts. JSON text holds no raw line break,
 * so joined by one, two different records never give the same input; an absent entity or employment is `null`
 * (neither is ever a JSON `null` when present).
 */
export const contentDigest = (entityId: string | null, individual: string, employment: string | null): string =>
  hash("sha256", `${JSON.stringify(entityId)}\n${individual}\n${employment ?? "null"}`, "hex")

const copyEscaped = /[\\\t\n\r]/

/** One field of `COPY`'s text format (most need no escape: JSON text has no raw tab or line break). */
const copyField = (value: string | null): string =>
  value === null
    ? "\\N"
    : !copyEscaped.test(value)
      ? value
      : value.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r")

/** One record as a line of `COPY`'s text format, in the order of `stagedColumns`. */
export const stagedLine = (record: EmployeeRecord): string => {
  const entityId = Option.getOrNull(record.entityId)
  const individual = JSON.stringify(record.individual)
  const employment = Option.isSome(record.employment) ? JSON.stringify(record.employment.value) : null
  const digest = contentDigest(entityId, individual, employment)
  return `${copyField(record.individualId)}\t${copyField(entityId)}\t${copyField(individual)}\t${copyField(employment)}\t${digest}\n`
}
