/**
 * The provider catalogue against the sandbox as Finch: asked once and kept, and empty (the page shows ids) while
 * Finch fails — then asked again.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FinchClient from "@finch-connections/finch-client/FinchClient"
import { type Sandbox, startSandbox } from "@finch-connections/finch-sandbox/Sandbox"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as ProviderCatalogModule from "../src/pages/ProviderCatalog.ts"
import { ProviderCatalog } from "../src/pages/ProviderCatalog.ts"

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 1 })
})
afterAll(() => sandbox?.close())

const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sandbox.baseUrl}/_sandbox${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return text === "" ? undefined : JSON.parse(text)
}

const providerCalls = async (): Promise<number> => (await admin("GET", "/requests")).counts["GET /providers"] ?? 0

it("is empty while Finch fails, then fetched once and kept", async () => {
  const runtime = ManagedRuntime.make(
    ProviderCatalogModule.layer.pipe(
      Layer.provide(
        FinchClient.layer({
          baseUrl: sandbox.baseUrl,
          clientId: sandbox.clientId,
          clientSecret: Redacted.make(sandbox.clientSecret),
          rateLimits: "off",
          maxRetries: 0,
        }),
      ),
      Layer.provide(FetchHttpClient.layer),
    ),
  )
  try {
    const all = () => runtime.runPromise(Effect.flatMap(ProviderCatalog, (catalog) => catalog.all))
    await admin("POST", "/faults", { path: "/providers", status: 500, count: 1 })
    expect((await all()).size).toBe(0)

    const fetched = await all()
    expect(fetched.get("gusto")?.name).toBe("Gusto")
    expect(fetched.get("bamboo_hr")?.name).toBe("BambooHR")
    const calls = await providerCalls()
    expect(calls).toBe(2)

    await admin("POST", "/faults", { path: "/providers", status: 500, count: 5 })
    expect((await all()).get("gusto")?.name).toBe("Gusto")
    expect(await providerCalls()).toBe(calls)
  } finally {
    await admin("DELETE", "/faults")
    await runtime.dispose()
  }
})
