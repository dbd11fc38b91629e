/**
 * The store's own failure, and the one place that reads PostgreSQL's SQLSTATE codes. Repositories turn the expected
 * reasons (a unique key taken, a parent missing) into core's domain errors; anything else is a defect.
 */
import { Data, Effect } from "effect"

/** Why a statement failed, in the terms the repositories act on. */
export type DatabaseErrorReason =
  | "UniqueViolation"
  | "ForeignKeyViolation"
  | "CheckViolation"
  | "SerializationFailure"
  | "InsufficientPrivilege"
  | "Unavailable"
  | "Unknown"

/** A failed statement: the reason, the constraint involved when there is one, and the driver's error. */
export class DatabaseError extends Data.TaggedError("DatabaseError")<{
  readonly reason: DatabaseErrorReason
  readonly constraint: string | undefined
  readonly cause: unknown
}> {
  override get message() {
    return this.constraint === undefined ? this.reason : `${this.reason} on ${this.constraint}`
  }
}

const reasonOf = (code: string | undefined): DatabaseErrorReason => {
  if (code === undefined) return "Unknown"
  if (code === "23505") return "UniqueViolation"
  if (code === "23503") return "ForeignKeyViolation"
  if (code === "23514") return "CheckViolation"
  if (code === "40001" || code === "40P01") return "SerializationFailure"
  if (code === "42501") return "InsufficientPrivilege"
  // 08: connection exceptions; 53: insufficient resources; 57P01-03: the server is shutting down or starting.
  if (code.startsWith("08") || code.startsWith("53") || /^57P0[123]$/.test(code)) return "Unavailable"
  return "Unknown"
}

const field = (error: unknown, name: string): string | undefined => {
  if (typeof error !== "object" || error === null || !(name in error)) return undefined
  const value = (error as Record<string, unknown>)[name]
  return typeof value === "string" ? value : undefined
}

/** Maps whatever pg threw to a `DatabaseError`; a refused connection counts as unavailable. */
export const fromPgError = (cause: unknown): DatabaseError => {
  const code = field(cause, "code")
  const reason =
    code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT" ? "Unavailable" : reasonOf(code)
  return new DatabaseError({ reason, constraint: field(cause, "constraint"), cause })
}

/** Runs one promise-returning database call, failures mapped by `fromPgError`. */
export const query = <A>(run: () => Promise<A>): Effect.Effect<A, DatabaseError> =>
  Effect.tryPromise({ try: run, catch: fromPgError })

/** Whether `error` is the named unique constraint being violated. */
export const isUniqueViolation = (error: DatabaseError, ...constraints: ReadonlyArray<string>): boolean =>
  error.reason === "UniqueViolation" && error.constraint !== undefined && constraints.includes(error.constraint)
