/**
 * Decoding of large batches of plain JSON records (Finch's individuals and employments, and our own rows of them)
 * without Schema's general interpreter per record. A schema made only of structs, arrays, unions of a primitive with
 * `null`/`undefined`, literals, strings, numbers, booleans and `unknown` (no transformation, no refinement) decodes
 * to a copy of its input with the excess properties left out; `plainDecoder` compiles such a schema once into a
 * function that does exactly that in one pass. Anything it is not sure of (an input it would reject, or a schema it
 * does not support) goes to `Schema.decodeUnknownEither`, so the result and the error are always Schema's own.
 */
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** What a compiled step returns when it is not sure: Schema decides then. */
const unsure: unique symbol = Symbol("unsure")
type Step = (input: unknown) => unknown

const isPlainObject = (input: unknown): input is Record<string, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

/** Whether `ast` is an object-like node (a union may hold at most one, so it never has to choose between them). */
const isStructural = (ast: AST.AST): boolean => AST.isTypeLiteral(ast) || AST.isTupleType(ast)

/** The compiled step of `ast`, or `undefined` when the schema uses anything this module does not support. */
const compile = (ast: AST.AST): Step | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (input) => (typeof input === "string" ? input : unsure)
    case "NumberKeyword":
      return (input) => (typeof input === "number" ? input : unsure)
    case "BooleanKeyword":
      return (input) => (typeof input === "boolean" ? input : unsure)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (input) => input
    case "UndefinedKeyword":
      return (input) => (input === undefined ? input : unsure)
    case "Literal": {
      const literal = ast.literal
      return (input) => (input === literal ? input : unsure)
    }
    case "Union": {
      if (ast.types.filter(isStructural).length > 1) return undefined
      const steps: Array<Step> = []
      for (const member of ast.types) {
        const step = compile(member)
        if (step === undefined) return undefined
        steps.push(step)
      }
      return (input) => {
        for (const step of steps) {
          const output = step(input)
          if (output !== unsure) return output
        }
        return unsure
      }
    }
    case "TupleType": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return undefined
      const item = compile(ast.rest[0]!.type)
      if (item === undefined) return undefined
      return (input) => {
        if (!Array.isArray(input)) return unsure
        const output = new Array(input.length)
        for (let i = 0; i < input.length; i++) {
          const value = item(input[i])
          if (value === unsure) return unsure
          output[i] = value
        }
        return output
      }
    }
    case "TypeLiteral": {
      if (ast.indexSignatures.length > 0) return undefined
      const fields: Array<{ readonly name: string; readonly optional: boolean; readonly step: Step }> = []
      for (const property of ast.propertySignatures) {
        if (typeof property.name !== "string") return undefined
        const step = compile(property.type)
        if (step === undefined) return undefined
        fields.push({ name: property.name, optional: property.isOptional, step })
      }
      return (input) => {
        if (!isPlainObject(input)) return unsure
        const output: Record<string, unknown> = {}
        for (const field of fields) {
          const value = input[field.name]
          if (value === undefined) {
            // absent (or undefined): an optional field is left out, anything else is Schema's to judge
            if (field.optional && !Object.hasOwn(input, field.name)) continue
            return unsure
          }
          const decoded = field.step(value)
          if (decoded === unsure) return unsure
          output[field.name] = decoded
        }
        return output
      }
    }
    default:
      return undefined
  }
}

/**
 * `Schema.decodeUnknownEither(schema)`, the same results and errors, compiled for plain records when the schema
 * allows (see the module's comment).
 */
export const plainDecoder = <A, I>(
  schema: Schema.Schema<A, I, never>,
): ((input: unknown) => Either.Either<A, ParseResult.ParseError>) => {
  const decode = Schema.decodeUnknownEither(schema)
  const step = compile(schema.ast)
  if (step === undefined) return decode
  return (input) => {
    const output = step(input)
    return output === unsure ? decode(input) : Either.right(output as A)
  }
}

/**
 * `brand.make` for many values: the check compiled once (`Schema.is`), `brand.make` itself (and its error) for a
 * value that fails it. A brand's own `make` builds its validator on every call (~10 µs for an id).
 */
export const plainMake = <A, I>(brand: Schema.Schema<A, I, never> & { readonly make: (value: I) => A }) => {
  const is = Schema.is(brand)
  return (value: I): A => (is(value) ? value : brand.make(value))
}
