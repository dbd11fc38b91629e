/**
 * Every port of core in memory, wired together, plus the scriptable Finch (`FinchMemory`): what use-case tests run on.
 */
import * as Layer from "effect/Layer"
import * as ConnectionRepository from "../src/ConnectionRepository.ts"
import * as CustomerRepository from "../src/CustomerRepository.ts"
import * as EmployeeStore from "../src/EmployeeStore.ts"
import * as FinchGateway from "../src/FinchGateway.ts"
import * as TokenVault from "../src/TokenVault.ts"

/** The stores in memory: customers, connections (sealed by the fake vault) and employees. */
export const StoresTest = EmployeeStore.layerMemory.pipe(
  Layer.provideMerge(ConnectionRepository.layerMemory),
  Layer.provideMerge(Layer.merge(CustomerRepository.layerMemory, TokenVault.layerMemory)),
)

/** The stores plus the in-memory Finch and its control; build it per test for a clean slate. */
export const CoreTest = Layer.merge(StoresTest, FinchGateway.layerMemory)
