import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PersonStore from "../../src/PersonStore.ts"
import { StoresTest } from "../../testing/CoreTest.ts"
import { personStoreContract } from "../../testing/PersonStoreContract.ts"

describe("PersonStore.layerMemory", () => {
  it.effect("keeps runs, aliases, splits and decisions per customer", () =>
    personStoreContract("acme").pipe(Effect.provide(PersonStore.layerMemory.pipe(Layer.provide(StoresTest)))),
  )
})
