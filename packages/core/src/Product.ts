/**
 * Finch products (permission scopes) a token can be granted.
 */
import * as Schema from "effect/Schema"

/** A product scope as Finch names it; names Finch adds later are kept as they come (additive changes). */
export const Product = Schema.NonEmptyTrimmedString.pipe(Schema.brand("Product"))
export type Product = typeof Product.Type

/** The products an employee sync reads. */
export const employeeSyncProducts: ReadonlyArray<Product> = ["directory", "individual", "employment"].map((p) =>
  Product.make(p),
)

/** Whether `granted` covers every product in `needed`. */
export const covers = (granted: ReadonlyArray<Product>, needed: ReadonlyArray<Product>): boolean =>
  needed.every((product) => granted.includes(product))
