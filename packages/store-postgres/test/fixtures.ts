import { randomBytes, randomUUID } from "node:crypto"
import type { EmployeeRecord } from "@finch-connections/core/EmployeeStore"
import { ConnectionId, IndividualId } from "@finch-connections/core/Ids"
import { type Array as Arr, Effect, Either, Layer, Option, Redacted } from "effect"
import type { Kysely } from "kysely"
import { inject } from "vitest"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import type { Database } from "../src/Database.ts"
import { adminQuery } from "../src/internal/adminQuery.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

/** The keys of a `TOKEN_ENCRYPTION_KEYS` value (`k2:…,k1:…`); a malformed value fails the test. */
export const keysOf = (spec: string) => Either.getOrThrow(AesTokenVault.parseKeys(spec))

/** The PostgreSQL connection and customer repositories on a fresh database, tokens sealed under `keys`. */
export const PgConnectionRepositoryTest = (options: {
  readonly keys: Arr.NonEmptyReadonlyArray<AesTokenVault.TokenKey>
  readonly max?: number
}) =>
  PgConnectionRepository.layer.pipe(
    Layer.provideMerge(PgCustomerRepository.layer),
    Layer.provideMerge(AesTokenVault.layer({ keys: options.keys })),
    Layer.provideMerge(TestDatabase.layerPgDatabase(options.max === undefined ? {} : { max: options.max })),
  )

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

/**
 * A login made for one test (roles are cluster-wide: a unique name, dropped with the scope), with `attributes`
 * (e.g. `NOSUPERUSER NOBYPASSRLS`) and memberships; `urlOf` points at a database of the test server as it.
 */
export const temporaryLogin = (options: { readonly attributes: string; readonly memberOf?: ReadonlyArray<string> }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const { serverUrl } = inject("testDatabase")
      const name = `fc_test_login_${randomBytes(6).toString("hex")}`
      const password = randomBytes(12).toString("hex")
      await adminQuery(serverUrl, `CREATE ROLE ${name} LOGIN ${options.attributes} PASSWORD '${password}'`)
      for (const role of options.memberOf ?? []) await adminQuery(serverUrl, `GRANT ${role} TO ${name}`)
      const urlOf = (database: Redacted.Redacted<string>): Redacted.Redacted<string> => {
        const url = new URL(Redacted.value(database))
        url.username = name
        url.password = password
        return Redacted.make(url.toString())
      }
      return { name, urlOf }
    }),
    ({ name }) =>
      Effect.promise(async () => {
        const { serverUrl } = inject("testDatabase")
        await adminQuery(serverUrl, `DROP ROLE IF EXISTS ${name}`)
      }),
  )
