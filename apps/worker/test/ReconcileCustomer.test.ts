/**
 * The `reconcile_customer` job's run over core's in-memory stores: what it logs (as the worker's JSON lines) when it
 * reconciles, and when it skips a customer whose records and decisions have not changed since its last run.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import * as PersonStore from "@finch-connections/core/PersonStore"
import { StoresTest } from "@finch-connections/core/testing/CoreTest"
import { employee } from "@finch-connections/core/testing/EmployeeStoreContract"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Effect, Layer, Logger } from "effect"
import { makeMemoryPool, reconcileCustomer } from "../src/sync/ReconcileCustomer.ts"

/** Runs `effect` with the worker's JSON logger writing into `lines`. */
const loggingInto = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.map(Logger.jsonLogger, (line) => void lines.push(line)),
  )

describe("reconcile_customer", () => {
  it.effect("logs a run's counts, then skips (and says so) while the customer's inputs stay the same", () => {
    const lines: Array<string> = []
    return Effect.gen(function* () {
      const customerId = (yield* (yield* CustomerRepository).create(Fixtures.customer())).id
      const { connection } = yield* (yield* ConnectionRepository).recordToken({
        customerId,
        introspection: Fixtures.oldModelToken("gusto"),
        accessToken: Fixtures.accessToken(),
      })
      const employees = yield* EmployeeStore
      const records = [
        employee(connection.id, "g-1", { first: "Ada", last: "Lovelace", dob: "1815-12-10" }),
        employee(connection.id, "g-2", { first: "Charles", last: "Babbage", dob: "1791-12-26" }),
      ]
      yield* employees.replaceSnapshot(customerId, connection.id, records)
      const pool = makeMemoryPool(100)

      yield* reconcileCustomer(customerId, pool)
      yield* reconcileCustomer(customerId, pool)
      yield* employees.replaceSnapshot(customerId, connection.id, records.slice(0, 1))
      yield* reconcileCustomer(customerId, pool)

      const logged = lines.map((line) => JSON.parse(line))
      assert.deepStrictEqual(
        logged.map((entry) => entry.message),
        ["reconciled", "reconciliation skipped: inputs unchanged", "reconciled"],
      )
      for (const entry of logged) {
        assert.strictEqual(entry.annotations.job, "reconcile_customer")
        assert.strictEqual(entry.annotations.customerId, customerId)
      }
      assert.strictEqual(logged[0].annotations.records, 2)
      assert.strictEqual(logged[2].annotations.records, 1)
    }).pipe(
      Effect.provide(Layer.merge(PersonStore.layerMemory.pipe(Layer.provideMerge(StoresTest)), loggingInto(lines))),
    )
  })
})
