import { assert, layer } from "@effect/vitest"
import { AccountChange } from "@finch-connections/core/Connection"
import { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import type { CustomerId } from "@finch-connections/core/Ids"
import { Introspection } from "@finch-connections/core/Introspection"
import * as Fixtures from "@finch-connections/core/testing/Fixtures"
import { Array as Arr, Effect, Either, Option, Redacted } from "effect"
import * as AesTokenVault from "../src/AesTokenVault.ts"
import { type Database, makeKysely } from "../src/Database.ts"
import * as PgConnectionRepository from "../src/PgConnectionRepository.ts"
import * as TestDatabase from "../src/testing/TestDatabase.ts"
import { keysOf, PgConnectionRepositoryTest } from "./fixtures.ts"

const keys = keysOf(AesTokenVault.generateKeyEntry("k1"))
const ConnectionRepositoryTest = PgConnectionRepositoryTest({ keys, max: 16 })

const newCustomer = Effect.flatMap(CustomerRepository, (customers) => customers.create(Fixtures.customer())).pipe(
  Effect.map((customer) => customer.id),
)

const record = (
  customerId: CustomerId,
  fields: Fixtures.IntrospectionFields | Introspection,
  token = Fixtures.accessToken(),
) =>
  Effect.flatMap(ConnectionRepository, (repository) =>
    repository.recordToken({
      customerId,
      introspection: fields instanceof Introspection ? fields : Fixtures.introspection(fields),
      accessToken: token,
    }),
  )

/** Every stored token of a connection, read as the owner (row-level security does not apply). */
const tokensOf = (connectionId: string) =>
  Effect.flatMap(TestDatabase.ownerKysely, (owner) =>
    Effect.promise(() =>
      owner
        .selectFrom("access_tokens")
        .selectAll()
        .where("connection_id", "=", connectionId)
        .orderBy("created_at")
        .execute(),
    ),
  )

layer(ConnectionRepositoryTest, { timeout: 120_000, excludeTestServices: true })(
  "PgConnectionRepository under concurrency",
  (it) => {
    it.effect(
      "50 concurrent tokens for one provider+company: one connection, every account once, one active token each",
      () =>
        Effect.gen(function* () {
          const repository = yield* ConnectionRepository
          const customerId = yield* newCustomer
          const company = Fixtures.unique("company")
          // 10 logins, each connecting 5 times at once.
          const calls = Arr.range(0, 49).map((i) => ({ account: `login-${i % 10}`, token: Fixtures.accessToken() }))
          const results = yield* Effect.forEach(
            calls,
            ({ account, token }) => record(customerId, { provider: "gusto", company, account }, token),
            { concurrency: "unbounded" },
          )
          assert.strictEqual(new Set(results.map((result) => result.connection.id)).size, 1)
          assert.strictEqual(results.filter((result) => result.classification === "NewConnection").length, 1)
          assert.strictEqual(results.filter((result) => result.classification === "NewAccount").length, 9)
          assert.strictEqual(results.filter((result) => result.classification === "TokenReplaced").length, 40)
          const [connection, ...others] = yield* repository.list(customerId)
          assert.lengthOf(others, 0)
          assert.deepStrictEqual(
            connection!.accounts.map((account) => account.accountId).sort(),
            Arr.range(0, 9).map((i) => `login-${i}`),
          )
          const tokens = yield* tokensOf(connection!.id)
          assert.lengthOf(tokens, 50, "no token is lost")
          for (const account of connection!.accounts) {
            const active = tokens.filter((token) => token.account_id === account.accountId && token.status === "active")
            assert.deepStrictEqual(
              active.map((token) => token.id),
              [account.tokenId],
            )
            // The account's token opens to the plaintext of whichever call stored it last.
            const opened = yield* repository.openToken({
              customerId,
              connectionId: connection!.id,
              need: { products: [], accountId: account.accountId },
            })
            const stored = results.findIndex((result) => result.account.tokenId === account.tokenId)
            assert.strictEqual(Redacted.value(opened.token), Redacted.value(calls[stored]!.token))
          }
          assert.isTrue(
            tokens.filter((token) => token.status === "replaced").every((token) => token.replaced_by !== null),
          )
        }).pipe(Effect.scoped),
    )

    it.effect("several customers racing for one provider+company: one owns it, every other is refused", () =>
      Effect.gen(function* () {
        for (const _round of Arr.range(1, 5)) {
          const customers = yield* Effect.all(Arr.replicate(newCustomer, 4))
          const company = Fixtures.unique("company")
          const outcomes = yield* Effect.forEach(
            customers,
            (customerId) => Effect.either(record(customerId, { provider: "gusto", company, account: customerId })),
            { concurrency: "unbounded" },
          )
          const owners = outcomes.filter(Either.isRight)
          assert.lengthOf(owners, 1)
          for (const refused of outcomes.filter(Either.isLeft)) {
            assert.strictEqual(refused.left._tag, "OwnedByAnotherCustomer")
          }
          for (const [index, customerId] of customers.entries()) {
            const listed = yield* Effect.flatMap(ConnectionRepository, (repository) => repository.list(customerId))
            assert.lengthOf(listed, Either.isRight(outcomes[index]!) ? 1 : 0)
          }
        }
      }),
    )

    it.effect("concurrent reauthentication tokens: one active token at the end, the others retired, none lost", () =>
      Effect.gen(function* () {
        const repository = yield* ConnectionRepository
        const customerId = yield* newCustomer
        const finchConnection = Fixtures.unique("conn")
        const first = yield* record(customerId, {
          provider: "gusto",
          company: Fixtures.unique("company"),
          account: "login-1",
          finchConnection,
        })
        yield* repository.applyChange(
          customerId,
          first.connection.id,
          AccountChange.ReauthRequired({ accountId: first.account.accountId }),
          "finch_401",
        )
        const reauthTokens = Arr.range(1, 20).map(() => Fixtures.accessToken())
        const results = yield* Effect.forEach(
          reauthTokens,
          (token) => record(customerId, { provider: "gusto", finchConnection }, token),
          { concurrency: "unbounded" },
        )
        assert.isTrue(results.every((result) => result.classification === "TokenReplaced"))
        const connection = yield* repository.get(customerId, first.connection.id)
        assert.strictEqual(connection.status, "active")
        assert.lengthOf(connection.accounts, 1)
        const tokens = yield* tokensOf(first.connection.id)
        assert.lengthOf(tokens, 21, "the first token and all 20 replacements are kept")
        const active = tokens.filter((token) => token.status === "active")
        assert.deepStrictEqual(
          active.map((token) => token.id),
          [connection.accounts[0]!.tokenId],
        )
        const retired = tokens.filter((token) => token.status === "replaced")
        assert.lengthOf(retired, 20)
        assert.isTrue(retired.every((token) => token.retired_at !== null && token.ciphertext !== null))
        // The replacements form one chain from the first token to the active one.
        const next = new Map(retired.map((token) => [token.id, token.replaced_by]))
        let cursor: string | null | undefined = first.account.tokenId
        let steps = 0
        while (cursor !== undefined && cursor !== null && next.has(cursor)) {
          cursor = next.get(cursor)
          steps++
        }
        assert.strictEqual(steps, 20)
        assert.strictEqual(cursor, active[0]!.id)
      }).pipe(Effect.scoped),
    )
  },
)

layer(ConnectionRepositoryTest, { excludeTestServices: true })("PgConnectionRepository at rest", (it) => {
  it.effect("stores tokens encrypted, bound to their row, and shreds them on disconnect keeping the rows", () =>
    Effect.gen(function* () {
      const repository = yield* ConnectionRepository
      const owner = yield* TestDatabase.ownerKysely
      const customerId = yield* newCustomer
      const company = Fixtures.unique("company")
      const tokenA = Fixtures.accessToken()
      const a = yield* record(customerId, { provider: "gusto", company, account: "a" }, tokenA)
      const b = yield* record(customerId, { provider: "gusto", company, account: "b" })
      const rows = yield* tokensOf(a.connection.id)
      const { products } = yield* Effect.promise(() =>
        owner.selectFrom("connections").select("products").where("id", "=", a.connection.id).executeTakeFirstOrThrow(),
      )
      assert.deepStrictEqual(products, [...a.connection.products].sort())
      for (const row of rows) {
        assert.isFalse(Buffer.from(row.ciphertext!).toString("latin1").includes(Redacted.value(tokenA)))
        assert.strictEqual(row.key_id, "k1")
      }
      // Copy a's ciphertext onto b's row: it must not open as b's token.
      const rowA = rows.find((row) => row.id === a.account.tokenId)!
      yield* Effect.promise(() =>
        owner
          .updateTable("access_tokens")
          .set({ nonce: rowA.nonce, ciphertext: rowA.ciphertext })
          .where("id", "=", b.account.tokenId)
          .execute(),
      )
      const moved = yield* Effect.flip(
        repository.openToken({
          customerId,
          connectionId: a.connection.id,
          need: { products: [], accountId: b.account.accountId },
        }),
      )
      assert.strictEqual(moved._tag, "TokenUnreadable")

      yield* repository.applyChange(
        customerId,
        a.connection.id,
        AccountChange.Disconnected({ accountIds: Option.none() }),
        "user",
      )
      const shredded = yield* tokensOf(a.connection.id)
      assert.lengthOf(shredded, 2)
      for (const row of shredded) {
        assert.deepStrictEqual([row.status, row.key_id, row.nonce, row.ciphertext], ["destroyed", null, null, null])
        assert.isNotNull(row.retired_at)
      }
      const events = yield* Effect.promise(() =>
        owner
          .selectFrom("audit_events")
          .select(["kind", "source"])
          .where("connection_id", "=", a.connection.id)
          .orderBy("id")
          .execute(),
      )
      assert.deepStrictEqual(events, [
        { kind: "connection_created", source: "user" },
        { kind: "account_added", source: "user" },
        { kind: "disconnected", source: "user" },
      ])
    }).pipe(Effect.scoped),
  )

  it.effect("as the worker role: marks reauthentication and opens tokens, but cannot record or destroy tokens", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const workerDb = yield* Effect.acquireRelease(
        Effect.sync(() => makeKysely<Database>(Redacted.value(database.url), { role: "finch_worker", max: 2 })),
        (db) => Effect.promise(() => db.destroy()),
      )
      const worker = PgConnectionRepository.make({ db: workerDb, vault: AesTokenVault.make({ keys }) })
      const customerId = yield* newCustomer
      const token = Fixtures.accessToken()
      const { connection } = yield* record(customerId, Fixtures.oldModelToken("gusto"), token)
      const opened = yield* worker.openToken({
        customerId,
        connectionId: connection.id,
        need: { products: [] },
      })
      assert.strictEqual(Redacted.value(opened.token), Redacted.value(token))
      const accountId = connection.accounts[0]!.accountId
      const marked = yield* worker.applyChange(
        customerId,
        connection.id,
        AccountChange.ReauthRequired({ accountId }),
        "finch_401",
      )
      assert.strictEqual(marked.status, "reauth_required")
      assert.deepStrictEqual(
        (yield* (yield* ConnectionRepository).get(customerId, connection.id)).accounts.map((a) => a.status),
        ["reauth_required"],
      )
      const recording = yield* Effect.exit(
        worker.recordToken({
          customerId,
          introspection: Fixtures.oldModelToken(),
          accessToken: Fixtures.accessToken(),
        }),
      )
      assert.match(String(recording), /InsufficientPrivilege/)
      const disconnecting = yield* Effect.exit(
        worker.applyChange(
          customerId,
          connection.id,
          AccountChange.Disconnected({ accountIds: Option.none() }),
          "system",
        ),
      )
      assert.match(String(disconnecting), /InsufficientPrivilege/)
      assert.strictEqual(
        (yield* (yield* ConnectionRepository).get(customerId, connection.id)).status,
        "reauth_required",
      )
    }).pipe(Effect.scoped),
  )
})
