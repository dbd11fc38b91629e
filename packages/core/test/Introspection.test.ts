import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { decodeIntrospection } from "../src/Introspection.ts"

// The SPEC-2024 example (old model): account_id, company_id, payroll_provider_id, per-method statuses.
const oldModel = {
  account_id: "d8ef1814-0000-4000-8000-000000000001",
  client_id: "25ea8bd8-0000-4000-8000-000000000002",
  client_type: "production",
  company_id: "87eb4bc3-0000-4000-8000-000000000003",
  connection_type: "provider",
  products: ["company", "directory"],
  username: "johndoe@tryfinch.com",
  payroll_provider_id: "gusto",
  manual: false,
  authentication_methods: [
    { type: "assisted", connection_status: { status: "pending", message: "..." } },
    { type: "credential", connection_status: { status: "connected", message: "..." } },
  ],
}

// The SDK 10.8.1 shape (new model): connection_id, provider_id, connection_status, entities, customer_id.
const newModel = {
  id: "tok-1",
  client_id: "client-1",
  client_type: "sandbox",
  connection_id: "conn-1",
  connection_status: { status: "connected", last_successful_sync: null, message: "ok" },
  connection_type: "finch",
  products: ["directory", "individual"],
  provider_id: "rippling",
  customer_id: "acme",
  customer_name: "Acme",
  customer_email: null,
  entities: [
    { id: "e-1", name: "Acme LLC", source_id: null, status: "connected" },
    { id: "e-2", name: null, source_id: "x", status: "connected" },
  ],
  a_field_finch_adds_later: { anything: true },
}

describe("decodeIntrospection", () => {
  it.effect("decodes the old model, taking the provider from payroll_provider_id", () =>
    Effect.gen(function* () {
      const introspection = yield* decodeIntrospection(oldModel)
      assert.strictEqual(introspection.providerId, "gusto")
      assert.deepStrictEqual(Option.getOrNull(introspection.companyId), oldModel.company_id)
      assert.deepStrictEqual(Option.getOrNull(introspection.accountId), oldModel.account_id)
      assert.isTrue(Option.isNone(introspection.finchConnectionId))
      assert.deepStrictEqual([...introspection.products], ["company", "directory"])
      assert.deepStrictEqual(Option.getOrNull(introspection.username), "johndoe@tryfinch.com")
      // No top-level status: the connected method's status stands for the token.
      assert.deepStrictEqual(Option.getOrNull(introspection.status), "connected")
      assert.isFalse(introspection.needsReauthentication)
    }),
  )

  it.effect("decodes the new model, ignoring unknown fields, keeping entities and Finch's customer_id", () =>
    Effect.gen(function* () {
      const introspection = yield* decodeIntrospection(newModel)
      assert.strictEqual(introspection.providerId, "rippling")
      assert.isTrue(Option.isNone(introspection.companyId))
      assert.isTrue(Option.isNone(introspection.accountId))
      assert.deepStrictEqual(Option.getOrNull(introspection.finchConnectionId), "conn-1")
      assert.deepStrictEqual(Option.getOrNull(introspection.finchCustomerId), "acme")
      assert.deepStrictEqual(Option.getOrNull(introspection.status), "connected")
      assert.deepStrictEqual(
        introspection.entities.map((e) => [e.id, Option.getOrNull(e.name)]),
        [
          ["e-1", "Acme LLC"],
          ["e-2", null],
        ],
      )
    }),
  )

  it.effect("provider_id wins over the deprecated payroll_provider_id", () =>
    Effect.gen(function* () {
      const introspection = yield* decodeIntrospection({ ...oldModel, provider_id: "adp_run" })
      assert.strictEqual(introspection.providerId, "adp_run")
    }),
  )

  it.effect("blank ids count as absent", () =>
    Effect.gen(function* () {
      const introspection = yield* decodeIntrospection({
        ...newModel,
        company_id: "  ",
        account_id: "",
        connection_id: " ",
        customer_id: "",
      })
      assert.isTrue(Option.isNone(introspection.companyId))
      assert.isTrue(Option.isNone(introspection.accountId))
      assert.isTrue(Option.isNone(introspection.finchConnectionId))
      assert.isTrue(Option.isNone(introspection.finchCustomerId))
    }),
  )

  it.effect(
    "a blank provider_id falls back to payroll_provider_id; ids are trimmed; blank entity ids are dropped",
    () =>
      Effect.gen(function* () {
        const introspection = yield* decodeIntrospection({
          ...newModel,
          provider_id: " ",
          payroll_provider_id: " gusto ",
          company_id: " c1 ",
          entities: [
            { id: " e-1 ", name: null, source_id: null, status: "connected" },
            { id: "  ", name: "nameless", source_id: null, status: "connected" },
          ],
        })
        assert.strictEqual(introspection.providerId, "gusto")
        assert.deepStrictEqual(Option.getOrNull(introspection.companyId), "c1")
        assert.deepStrictEqual(
          introspection.entities.map((e) => e.id),
          ["e-1"],
        )
      }),
  )

  it.effect("a malformed id is a ParseError (a typed failure, never a thrown exception)", () =>
    Effect.gen(function* () {
      const tooLong = "x".repeat(256)
      for (const malformed of [
        { ...newModel, company_id: tooLong },
        { ...newModel, provider_id: tooLong },
        { ...newModel, connection_id: tooLong },
        { ...newModel, entities: [{ id: tooLong, name: null, source_id: null, status: "connected" }] },
      ]) {
        const error = yield* Effect.flip(Effect.suspend(() => decodeIntrospection(malformed)))
        assert.strictEqual(error._tag, "ParseError")
      }
    }),
  )

  it.effect("a response without any provider id is a parse error that says so", () =>
    Effect.gen(function* () {
      const { payroll_provider_id: _, ...withoutProvider } = oldModel
      const error = yield* Effect.flip(decodeIntrospection(withoutProvider))
      assert.include(error.message, "neither provider_id nor payroll_provider_id")
    }),
  )

  it.effect("reauthentication is seen at the top level, per authentication method, or per entity", () =>
    Effect.gen(function* () {
      const topLevel = yield* decodeIntrospection({ ...newModel, connection_status: { status: "reauth" } })
      const legacy = yield* decodeIntrospection({ ...newModel, connection_status: { status: "error_reauth" } })
      const perMethod = yield* decodeIntrospection({
        ...oldModel,
        authentication_methods: [
          { type: "credential", connection_status: { status: "connected" } },
          { type: "oauth", connection_status: { status: "reauth" } },
        ],
      })
      const perEntity = yield* decodeIntrospection({
        ...newModel,
        entities: [{ id: "e-1", name: null, source_id: null, status: "reauth" }],
      })
      assert.deepStrictEqual(
        [topLevel, legacy, perMethod, perEntity].map((i) => i.needsReauthentication),
        [true, true, true, true],
      )
    }),
  )
})
