import * as Layer from "effect/Layer"
import * as PersonStore from "../src/PersonStore.ts"
import { StoresTest } from "../testing/CoreTest.ts"
import { reconcileCustomerScenarios } from "../testing/ReconcileCustomerScenarios.ts"

reconcileCustomerScenarios("in memory", PersonStore.layerMemory.pipe(Layer.provideMerge(StoresTest)))
