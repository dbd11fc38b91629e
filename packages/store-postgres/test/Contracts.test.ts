import { SyncQueue } from "@finch-connections/core/SyncQueue"
import { connectionRepositoryContract } from "@finch-connections/core/testing/ConnectionRepositoryContract"
import { customerRepositoryContract } from "@finch-connections/core/testing/CustomerRepositoryContract"
import { employeeStoreContract } from "@finch-connections/core/testing/EmployeeStoreContract"
import { reconcileCustomerScenarios } from "@finch-connections/core/testing/ReconcileCustomerScenarios"
import { syncQueueContract } from "@finch-connections/core/testing/SyncQueueContract"
import { tokenVaultContract } from "@finch-connections/core/testing/TokenVaultContract"
import { Effect, Either, Layer } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import * as PgPersonStore from "../src/PersonStore.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as PgCustomerRepository from "../src/PgCustomerRepository.ts"
import * as PgDatabase from "../src/PgDatabase.ts"
import * as PgEmployeeStore from "../src/PgEmployeeStore.ts"
import * as PgSyncQueue from "../src/PgSyncQueue.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"

// core's contract suites, against real PostgreSQL: each suite gets a fresh database and sessions as finch_app.
const keys = Either.getOrThrow(
  AesTokenVault.parseKeys(`${AesTokenVault.generateKeyEntry("k2")},${AesTokenVault.generateKeyEntry("k1")}`),
)
const vault = AesTokenVault.layer({ keys })

const stores = PgEmployeeStore.layer.pipe(
  Layer.provideMerge(PgConnectionRepository.layer),
  Layer.provideMerge(PgCustomerRepository.layer),
  Layer.provideMerge(vault),
  Layer.provideMerge(TestDatabase.layerPgDatabase({ max: 12 })),
)

customerRepositoryContract("PostgreSQL", PgCustomerRepository.layer.pipe(Layer.provide(TestDatabase.layerPgDatabase())))
tokenVaultContract("AES-256-GCM", vault)
connectionRepositoryContract("PostgreSQL", stores)
employeeStoreContract("PostgreSQL", stores)
// the reconciliation use case over the same stores, persons included
reconcileCustomerScenarios("PostgreSQL", PgPersonStore.layer.pipe(Layer.provideMerge(stores)))
// the queue as the worker uses it (sessions as finch_worker, the only role that may update runs), beside the stores
syncQueueContract(
  "PostgreSQL",
  Layer.scoped(
    SyncQueue,
    Effect.flatMap(TestDatabase.TestDatabase, (database) =>
      Effect.map(PgDatabase.make({ url: database.url, role: "finch_worker", max: 4 }), (db) =>
        PgSyncQueue.make({ db }),
      ),
    ),
  ).pipe(Layer.provideMerge(stores)),
)
