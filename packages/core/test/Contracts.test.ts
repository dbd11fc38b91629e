import * as Layer from "effect/Layer"
import * as CustomerRepository from "../src/CustomerRepository.ts"
import * as FinchGateway from "../src/FinchGateway.ts"
import * as SyncQueue from "../src/SyncQueue.ts"
import * as TokenVault from "../src/TokenVault.ts"
import { connectionRepositoryContract } from "../testing/ConnectionRepositoryContract.ts"
import { StoresTest } from "../testing/CoreTest.ts"
import { customerRepositoryContract } from "../testing/CustomerRepositoryContract.ts"
import { employeeStoreContract } from "../testing/EmployeeStoreContract.ts"
import { finchGatewayContract, layerMemoryHarness } from "../testing/FinchGatewayContract.ts"
import { syncQueueContract } from "../testing/SyncQueueContract.ts"
import { tokenVaultContract } from "../testing/TokenVaultContract.ts"

// The in-memory adapters must honour the same contracts as the PostgreSQL ones (and the in-memory Finch the same as
// finch-client against the sandbox).
customerRepositoryContract("memory", CustomerRepository.layerMemory)
tokenVaultContract("memory", TokenVault.layerMemory)
connectionRepositoryContract("memory", StoresTest)
employeeStoreContract("memory", StoresTest)
finchGatewayContract("memory", layerMemoryHarness.pipe(Layer.provideMerge(FinchGateway.layerMemory)))
syncQueueContract("memory", SyncQueue.layerMemory.pipe(Layer.provideMerge(StoresTest)))
