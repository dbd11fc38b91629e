/**
 * Finch's 2024 OpenAPI documents (copied into test/fixtures) turned into ajv validators: OpenAPI 3.0's `nullable`
 * becomes a JSON-Schema `null` type, refs resolve inside the document, vendor keywords are ignored.
 */
import { readFileSync } from "node:fs"
import { Ajv, type ValidateFunction } from "ajv"
import addFormatsModule from "ajv-formats"
import { parse } from "yaml"

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }

const annotationOnly = new Set([
  "example",
  "examples",
  "x-examples",
  "discriminator",
  "xml",
  "externalDocs",
  "deprecated",
])

/** Local refs stay in their document; the documents also point at each other as `../<name>/openapi.yaml#…`. */
const resolveRef = (ref: string, documentId: string) => {
  if (ref.startsWith("#/")) return `${documentId}${ref}`
  const other = /^\.\.\/(employer|management)\/openapi\.yaml(#.*)$/.exec(ref)
  return other === null ? ref : `${other[1]}.json${other[2]}`
}

/** OpenAPI 3.0 schema → JSON Schema (draft-07 as ajv reads it). */
const toJsonSchema = (node: Json, documentId: string): Json => {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, documentId))
  if (node === null || typeof node !== "object") return node
  const out: { [key: string]: Json } = {}
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-") || annotationOnly.has(key) || key === "nullable") continue
    if (key === "$ref" && typeof value === "string") out[key] = resolveRef(value, documentId)
    else if (key === "properties" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema, documentId)]),
      )
    } else out[key] = toJsonSchema(value, documentId)
  }
  if (node["nullable"] !== true) return out
  if ("$ref" in out || "allOf" in out || "anyOf" in out || "oneOf" in out) return { anyOf: [out, { type: "null" }] }
  if (Array.isArray(out["enum"]) && !out["enum"].includes(null)) out["enum"] = [...out["enum"], null]
  if (typeof out["type"] === "string") out["type"] = [out["type"], "null"]
  else if (Array.isArray(out["type"]) && !out["type"].includes("null")) out["type"] = [...out["type"], "null"]
  return out
}

const fixtures = new URL("../fixtures/finch-openapi-2024/", import.meta.url)

export type Document = "employer" | "management"

export class FinchSchemas {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }))
  private readonly documents = new Map<Document, { [key: string]: Json }>()

  constructor() {
    for (const name of ["employer", "management"] as const) {
      const raw = parse(readFileSync(new URL(`${name}.yaml`, fixtures), "utf8")) as { [key: string]: Json }
      const converted = toJsonSchema(raw, `${name}.json`) as { [key: string]: Json }
      this.documents.set(name, converted)
      // Only the components are a schema; the paths are looked up by hand.
      this.ajv.addSchema({ $id: `${name}.json`, components: converted["components"] ?? {} })
    }
  }

  /** The raw (converted) document, for looking up and, rarely, correcting a schema. */
  document(name: Document) {
    const document = this.documents.get(name)
    if (document === undefined) throw new Error(`no document ${name}`)
    return document
  }

  /** A validator for the response schema of one operation. */
  response(
    name: Document,
    path: string,
    method: string,
    status: string,
    patch?: (schema: any) => void,
  ): ValidateFunction {
    const schema = structuredClone(
      (this.document(name) as any).paths?.[path]?.[method]?.responses?.[status]?.content?.["application/json"]?.schema,
    )
    if (schema === undefined) throw new Error(`no ${status} schema for ${method.toUpperCase()} ${path} in ${name}.yaml`)
    patch?.(schema)
    return this.ajv.compile(schema)
  }

  /** A validator for a component schema. */
  component(name: Document, component: string): ValidateFunction {
    const validate = this.ajv.getSchema(`${name}.json#/components/schemas/${component}`)
    if (validate === undefined) throw new Error(`no component ${component} in ${name}.yaml`)
    return validate
  }
}

/** ajv's errors as one readable line, for assertion messages. */
export const explain = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""}`).join("; ")
