/**
 * core's `CustomerRepository` on PostgreSQL.
 */
import { Customer, CustomerAlreadyExists, CustomerNotFound } from "@finch-connections/core/Customer"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import type { CustomerId } from "@finch-connections/core/Ids"
import { Effect, Layer, Option, Schema } from "effect"
import type { Kysely } from "kysely"
import { withCustomer } from "./CustomerTransaction.ts"
import type { CustomerRow, Database } from "./Database.ts"
import { isUniqueViolation, query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

const decodeCustomer = Schema.decodeUnknown(Customer)

/** A row as core's `Customer`; a row the schema rejects is a defect. */
export const toCustomer = (row: CustomerRow) =>
  decodeCustomer({ id: row.id, name: row.name, createdAt: row.created_at }).pipe(Effect.orDie)

/** Builds the repository over `db`. */
export const make = (options: { readonly db: Kysely<Database> }): CustomerRepository["Type"] => {
  const { db } = options
  return CustomerRepository.of({
    create: Effect.fn("CustomerRepository.create")(function* (customer: Customer) {
      yield* Effect.annotateCurrentSpan({ customerId: customer.id })
      const row = yield* withCustomer(db, customer.id, (trx) =>
        query(() =>
          trx
            .insertInto("customers")
            .values({ id: customer.id, name: customer.name, created_at: customer.createdAt })
            .returningAll()
            .executeTakeFirstOrThrow(),
        ),
      ).pipe(
        Effect.catchTag("DatabaseError", (error) =>
          isUniqueViolation(error, "customers_pkey")
            ? Effect.fail(new CustomerAlreadyExists({ customerId: customer.id }))
            : Effect.die(error),
        ),
      )
      return yield* toCustomer(row)
    }),
    get: Effect.fn("CustomerRepository.get")(function* (customerId: CustomerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      const row = yield* withCustomer(db, customerId, (trx) =>
        query(() => trx.selectFrom("customers").selectAll().where("id", "=", customerId).executeTakeFirst()),
      ).pipe(Effect.orDie)
      return yield* Option.match(Option.fromNullable(row), {
        onNone: () => Effect.fail(new CustomerNotFound({ customerId })),
        onSome: toCustomer,
      })
    }),
  })
}

/** The repository over the store's pool. */
export const layer = Layer.effect(
  CustomerRepository,
  Effect.map(PgDatabase.PgDatabase, (db) => make({ db })),
)

/** The repository over the pool configured from the environment (see `PgDatabase.layerConfig`). */
export const layerConfig = layer.pipe(Layer.provide(PgDatabase.layerConfig))
