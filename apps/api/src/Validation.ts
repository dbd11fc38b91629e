/**
 * Request validation with Effect Schema through Standard Schema (hono-openapi's `validator`), so the same Schemas
 * decode the request and describe it in the OpenAPI document. A failure is a 400 `invalid_request` naming the field.
 */
import { Either, ParseResult, Schema } from "effect"
import type { MiddlewareHandler } from "hono"
import { validator } from "hono-openapi"
import * as HttpErrors from "./HttpErrors.ts"

const where = { json: "body", param: "path", query: "query" } as const

/** `a.b[0]` from a Standard Schema issue path. */
const fieldOf = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string =>
  (path ?? [])
    .map((segment) => (typeof segment === "object" ? segment.key : segment))
    .reduce<string>(
      (field, key) =>
        typeof key === "number" ? `${field}[${key}]` : field === "" ? String(key) : `${field}.${String(key)}`,
      "",
    )

/**
 * `Schema.standardSchemaV1`, decoding synchronously in place (the original runs a fiber per call; our request
 * Schemas are all synchronous). The class is still the Schema, which is how the OpenAPI document reads it.
 */
const standardSchema = <A, I>(
  schema: Schema.Schema<A, I, never>,
  options: { readonly onExcessProperty: "error" | "ignore"; readonly memo: boolean },
) => {
  const { memo, ...parseOptions } = options
  const base = Schema.standardSchemaV1(schema, { errors: "all", ...parseOptions })
  const decode = ParseResult.decodeUnknownEither(schema, { errors: "all", ...parseOptions })
  const check = (value: unknown) =>
    Either.match(decode(value), {
      onLeft: (issue) => ({
        issues: ParseResult.ArrayFormatter.formatIssueSync(issue).map((item) => ({
          path: item.path,
          message: item.message,
        })),
      }),
      onRight: (decoded) => ({ value: decoded }),
    })
  // Path parameters repeat (a client polling its customer's list): their outcome is kept, by their values.
  const known = new Map<string, ReturnType<typeof check>>()
  const keyOf = (value: unknown) => {
    if (!memo || typeof value !== "object" || value === null) return undefined
    let key = ""
    for (const [name, field] of Object.entries(value)) key += `${name}\u0000${String(field)}\u0000`
    return key
  }
  return class StandardSchema extends base {
    static override "~standard" = {
      ...base["~standard"],
      validate: (value: unknown) => {
        const key = keyOf(value)
        if (key === undefined) return check(value)
        let outcome = known.get(key)
        if (outcome === undefined) {
          if (known.size >= 1000) known.clear()
          outcome = check(value)
          known.set(key, outcome)
        }
        return outcome
      },
    }
  }
}

/**
 * Validates the request's `target` against `schema`, answering 400 `invalid_request` when it does not fit. A body
 * field the schema does not know is an error too.
 */
export const validate = <Target extends keyof typeof where, A, I>(target: Target, schema: Schema.Schema<A, I, never>) =>
  // A body field we do not know is refused (a misspelt optional field would otherwise be silently ignored); query
  // strings may carry extra parameters (caches, trackers).
  validator(
    target,
    standardSchema(schema, { onExcessProperty: target === "json" ? "error" : "ignore", memo: target === "param" }),
    (result, c) => {
      if (!result.success) {
        const issues = (
          result.error as ReadonlyArray<{ readonly path?: ReadonlyArray<any>; readonly message: string }>
        ).map(
          (issue): HttpErrors.InputIssue => ({
            field: fieldOf(issue.path),
            in: where[target],
            message: issue.message.slice(0, 300),
          }),
        )
        return HttpErrors.respond(c, HttpErrors.invalidRequest(issues))
      }
    },
  )

const hasControl = (text: string) => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}
/** Text that is safe to store and show: no control characters (PostgreSQL refuses NUL in text). */
export const SafeText = Schema.String.pipe(
  Schema.filter((text) => !hasControl(text), {
    message: () => "must not contain control characters",
  }),
)

/** For routes that take no body (DELETE): a body is refused rather than ignored, so a mistaken call does nothing. */
export const noBody: MiddlewareHandler = async (c, next) => {
  if ((await c.req.text()) !== "") {
    return HttpErrors.respond(
      c,
      HttpErrors.invalidRequest([{ field: "", in: "body", message: "this route takes no body" }]),
    )
  }
  return next()
}
