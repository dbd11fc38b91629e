import * as Layer from "effect/Layer"
import * as ConnectionRepository from "../src/ConnectionRepository.ts"
import * as CustomerRepository from "../src/CustomerRepository.ts"
import * as EmployeeStore from "../src/EmployeeStore.ts"
import * as TokenVault from "../src/TokenVault.ts"
import { connectionRepositoryContract } from "../testing/ConnectionRepositoryContract.ts"
import { customerRepositoryContract } from "../testing/CustomerRepositoryContract.ts"
import { employeeStoreContract } from "../testing/EmployeeStoreContract.ts"
import { tokenVaultContract } from "../testing/TokenVaultContract.ts"

// The in-memory adapters must honour the same contracts as the PostgreSQL ones.
const stores = EmployeeStore.layerMemory.pipe(
  Layer.provideMerge(ConnectionRepository.layerMemory),
  Layer.provideMerge(Layer.merge(CustomerRepository.layerMemory, TokenVault.layerMemory)),
)

customerRepositoryContract("memory", CustomerRepository.layerMemory)
tokenVaultContract("memory", TokenVault.layerMemory)
connectionRepositoryContract("memory", stores)
employeeStoreContract("memory", stores)
