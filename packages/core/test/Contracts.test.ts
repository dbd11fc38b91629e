import * as CustomerRepository from "../src/CustomerRepository.ts"
import * as TokenVault from "../src/TokenVault.ts"
import { connectionRepositoryContract } from "../testing/ConnectionRepositoryContract.ts"
import { StoresTest } from "../testing/CoreTest.ts"
import { customerRepositoryContract } from "../testing/CustomerRepositoryContract.ts"
import { employeeStoreContract } from "../testing/EmployeeStoreContract.ts"
import { tokenVaultContract } from "../testing/TokenVaultContract.ts"

// The in-memory adapters must honour the same contracts as the PostgreSQL ones.
customerRepositoryContract("memory", CustomerRepository.layerMemory)
tokenVaultContract("memory", TokenVault.layerMemory)
connectionRepositoryContract("memory", StoresTest)
employeeStoreContract("memory", StoresTest)
