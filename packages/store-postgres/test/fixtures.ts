import { randomUUID } from "node:crypto"
import type { EmployeeRecord } from "@finch-connections/core/EmployeeStore"
import { ConnectionId, IndividualId } from "@finch-connections/core/Ids"
import { Effect, Option } from "effect"
import type { Kysely } from "kysely"
import type { Database } from "../src/Database.ts"

/** Inserts a customer (when new) and a bare connection as the owner; returns the connection id. */
export const insertConnection = (
  owner: Kysely<Database>,
  customerId: string,
  companyId: string = `company-${randomUUID()}`,
) =>
  Effect.promise(async () => {
    const id = ConnectionId.make(randomUUID())
    const now = new Date()
    await owner
      .insertInto("customers")
      .values({ id: customerId, name: customerId })
      .onConflict((conflict) => conflict.column("id").doNothing())
      .execute()
    await owner
      .insertInto("connections")
      .values({
        id,
        customer_id: customerId,
        provider_id: "gusto",
        company_id: companyId,
        finch_connection_id: null,
        status: "active",
        created_at: now,
        updated_at: now,
      })
      .execute()
    return id
  })

/** An employee record as a sync would produce it. */
export const employee = (
  connectionId: ConnectionId,
  n: number,
  overrides: { readonly firstName?: string; readonly title?: string } = {},
): EmployeeRecord => ({
  connectionId,
  individualId: IndividualId.make(`ind-${String(n).padStart(6, "0")}`),
  entityId: Option.none(),
  individual: {
    id: `ind-${String(n).padStart(6, "0")}`,
    first_name: overrides.firstName ?? `First${n}`,
    last_name: `Last${n}`,
    dob: "1990-01-15",
    emails: [{ data: `Person.${n}@Example.COM`, type: "work" }],
  },
  employment: Option.some({ id: `ind-${String(n).padStart(6, "0")}`, title: overrides.title ?? "Engineer" }),
})
