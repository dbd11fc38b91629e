/**
 * Why a value does not fit a schema, in one line: the deepest field at fault, what it should hold and what it holds
 * (`individual.emails[0].data: expected string or null, got 5`). Effect's own formatters print the whole schema of
 * the record (kilobytes) for a single wrong field.
 */
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

/** The field at fault and what is wrong with it. */
export interface IssueSummary {
  /** A path like `individual.emails[0].data`; empty when the value as a whole is wrong. */
  readonly field: string
  /** e.g. `expected string or null, got 5`, `missing`, or a refinement's own message. */
  readonly reason: string
}

type Path = ReadonlyArray<PropertyKey>
/** A value of the wrong type, or failing a refinement without a message: its schema says what was expected. */
interface Expected {
  readonly _tag: "Expected"
  readonly path: Path
  readonly ast: AST.AST
  readonly actual: unknown
}
/** A problem that says itself: a missing field, or a refinement's own message. */
interface Said {
  readonly _tag: "Said"
  readonly path: Path
  readonly reason: string
}
/** One thing wrong at one place. */
type Leaf = Expected | Said

/** The longest a value is shown in a summary before it is cut. */
const shownLength = 40

/** Summarizes a decoding failure by its deepest leaf (a union's members all fail, the one that got furthest wins). */
export const summarizeIssue = (issue: ParseResult.ParseIssue): IssueSummary => {
  const leaves: Array<Leaf> = []
  collectLeaves(issue, [], leaves)
  const depth = Math.max(...leaves.map((leaf) => leaf.path.length))
  const path = leaves.find((leaf) => leaf.path.length === depth)?.path ?? []
  const here = leaves.filter((leaf) => samePath(leaf.path, path))
  const said = here.find((leaf) => leaf._tag === "Said")
  const expecting = here.filter((leaf) => leaf._tag === "Expected")
  if (said !== undefined || expecting.length === 0) return { field: pathText(path), reason: said?.reason ?? "invalid" }
  const expected = new Set(expecting.flatMap((leaf) => expectedOf(leaf.ast)))
  expected.delete("undefined") // JSON has no undefined: a schema that allows it allows the field to be absent
  return { field: pathText(path), reason: `expected ${[...expected].join(" or ")}, got ${shown(expecting[0]?.actual)}` }
}

const collectLeaves = (issue: ParseResult.ParseIssue, path: Path, leaves: Array<Leaf>): void => {
  switch (issue._tag) {
    case "Pointer":
      collectLeaves(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])], leaves)
      return
    case "Composite":
      for (const inner of Array.isArray(issue.issues) ? issue.issues : [issue.issues]) {
        collectLeaves(inner, path, leaves)
      }
      return
    case "Transformation":
      collectLeaves(issue.issue, path, leaves)
      return
    case "Refinement":
      if (issue.kind === "From") collectLeaves(issue.issue, path, leaves)
      else leaves.push(refinementLeaf(issue, path))
      return
    case "Type":
      leaves.push({ _tag: "Expected", path, ast: issue.ast, actual: issue.actual })
      return
    case "Missing":
      leaves.push({ _tag: "Said", path, reason: "missing" })
      return
    case "Unexpected":
      leaves.push({ _tag: "Said", path, reason: "not allowed" })
      return
    case "Forbidden":
      leaves.push({ _tag: "Said", path, reason: issue.message ?? "could not be checked" })
  }
}

/** A filter that returns its own message (`must not contain NUL`) says it; otherwise its description is expected. */
const refinementLeaf = (issue: ParseResult.Refinement, path: Path): Leaf =>
  issue.issue._tag === "Type" && issue.issue.message !== undefined
    ? { _tag: "Said", path, reason: issue.issue.message }
    : { _tag: "Expected", path, ast: issue.ast, actual: issue.actual }

/** What a schema accepts, in a few words: `string`, `null`, `an object`, `an array`. */
const expectedOf = (ast: AST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "Union":
      return ast.types.flatMap(expectedOf)
    case "TypeLiteral":
      return ["an object"]
    case "TupleType":
      return ["an array"]
    case "Refinement":
      return Option.match(AST.getDescriptionAnnotation(ast), { onNone: () => expectedOf(ast.from), onSome: (d) => [d] })
    case "Transformation":
      return expectedOf(ast.to)
    default:
      return [cut(String(ast))]
  }
}

/** A value as JSON, cut short; objects and arrays by kind only (they can be anything up to a whole record). */
const shown = (value: unknown): string => {
  if (Array.isArray(value)) return "an array"
  if (value !== null && typeof value === "object") return "an object"
  return cut(JSON.stringify(value) ?? String(value))
}

const cut = (text: string): string => (text.length > shownLength ? `${text.slice(0, shownLength)}…` : text)

const samePath = (a: Path, b: Path): boolean => a.length === b.length && a.every((key, k) => key === b[k])

/** `["individual", "emails", 0, "data"]` → `individual.emails[0].data`. */
const pathText = (path: Path): string =>
  path.map((key, k) => (typeof key === "number" ? `[${key}]` : `${k === 0 ? "" : "."}${String(key)}`)).join("")
