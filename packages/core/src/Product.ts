/**
 * Finch products (permission scopes) a token can be granted.
 */
import * as Schema from "effect/Schema"

/** The product names Finch knows; unknown names from Finch are kept as plain strings (additive changes). */
export const knownProducts = [
  "benefits",
  "company",
  "deduction",
  "directory",
  "documents",
  "employment",
  "individual",
  "payment",
  "pay_statement",
  "plans",
  "plans_dependents",
  "plans_enrollments",
  "recordkeeping",
  "ssn",
] as const

/** A product scope as Finch names it. */
export const Product = Schema.NonEmptyTrimmedString.pipe(Schema.brand("Product"))
export type Product = typeof Product.Type

/** The products an employee sync reads. */
export const employeeSyncProducts: ReadonlyArray<Product> = ["directory", "individual", "employment"].map((p) =>
  Product.make(p),
)

/** Whether `granted` covers every product in `needed`. */
export const covers = (granted: ReadonlyArray<Product>, needed: ReadonlyArray<Product>): boolean =>
  needed.every((product) => granted.includes(product))
