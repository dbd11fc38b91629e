/**
 * core's `ConnectionRepository` on PostgreSQL. Decisions are core's (`identifyToken`, `decideTokenRecording`, the
 * lifecycle transitions, `selectAccount`); this module loads what they need and stores what they decide, atomically.
 *
 * Recording a token takes a transaction-scoped advisory lock per provider+company (and per Finch connection id), so
 * concurrent tokens of one connection serialize. Row-level security hides other customers' connections; whether one of
 * them holds the token's provider+company (or Finch connection) comes from a narrow security-definer function, and
 * core's classification turns it into `OwnedByAnotherCustomer`. The unique keys stay the last word: a violation of
 * either is reported the same way.
 */
import { createHash, randomUUID } from "node:crypto"
import {
  Account,
  accountsEnded,
  applyAccountChange,
  Connection,
  ConnectionNotFound,
  OwnedByAnotherCustomer,
  selectAccount,
} from "@finch-connections/core/Connection"
import {
  type ConnectionEventSource,
  ConnectionRepository,
  eventOfChange,
  type FinchConnectionHolder,
  type TokenRecorded,
} from "@finch-connections/core/ConnectionRepository"
import { CustomerNotFound } from "@finch-connections/core/Customer"
import { AccountId, ConnectionId, CustomerId, TokenId } from "@finch-connections/core/Ids"
import { decideTokenRecording, identifyToken, type TokenIdentity } from "@finch-connections/core/TokenClassification"
import { type TokenBinding, TokenUnreadable, TokenVault } from "@finch-connections/core/TokenVault"
import { Clock, Effect, Either, Layer, Option, Schema } from "effect"
import { type Kysely, sql } from "kysely"
import * as AesTokenVault from "./AesTokenVault.ts"
import { type CustomerTransaction, inTransaction, withCustomer } from "./CustomerTransaction.ts"
import type {
  AuditEventKind,
  ConnectionAccountRow,
  ConnectionRow,
  Database,
  NewConnectionAccountRow,
  StoredEntity,
} from "./Database.ts"
import { type DatabaseError, isUniqueViolation, query } from "./DatabaseError.ts"
import * as PgDatabase from "./PgDatabase.ts"

const decodeConnection = Schema.decodeUnknown(Connection)

/** Rows as core's `Connection`; rows the schema rejects are a defect. */
export const toConnection = (row: ConnectionRow, accounts: ReadonlyArray<ConnectionAccountRow>) =>
  decodeConnection({
    id: row.id,
    customerId: row.customer_id,
    providerId: row.provider_id,
    companyId: row.company_id,
    accounts: accounts
      .filter((account) => account.connection_id === row.id)
      .map((account) => ({
        accountId: account.account_id,
        finchConnectionId: Option.fromNullable(account.finch_connection_id),
        tokenId: account.token_id,
        products: account.products,
        entityIds: account.entity_ids,
        authenticationMethod: Option.fromNullable(account.authentication_method),
        username: Option.fromNullable(account.username),
        status: account.status,
        connectedAt: account.connected_at,
        updatedAt: account.updated_at,
        reauthRequiredAt: Option.fromNullable(account.reauth_required_at),
        introspectedAt: Option.fromNullable(account.introspected_at),
      })),
    entities: row.entities.map((entity) => ({
      id: entity.id,
      name: Option.fromNullable(entity.name),
      status: Option.fromNullable(entity.status),
    })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }).pipe(Effect.orDie)

const entitiesJson = (connection: Connection): string =>
  JSON.stringify(
    connection.entities.map(
      (entity): StoredEntity => ({
        id: entity.id,
        name: Option.getOrNull(entity.name),
        status: Option.getOrNull(entity.status),
      }),
    ),
  )

/** The columns of an account that change over its life (all but its keys and when it was connected). */
const accountState = (account: Account) => ({
  finch_connection_id: Option.getOrNull(account.finchConnectionId),
  token_id: account.tokenId,
  products: [...account.products],
  entity_ids: [...account.entityIds],
  authentication_method: Option.getOrNull(account.authenticationMethod),
  username: Option.getOrNull(account.username),
  status: account.status,
  updated_at: account.updatedAt,
  reauth_required_at: Option.getOrNull(account.reauthRequiredAt),
  introspected_at: Option.getOrNull(account.introspectedAt),
})

const accountRows = (connection: Connection): ReadonlyArray<NewConnectionAccountRow> =>
  connection.accounts.map((account) => ({
    customer_id: connection.customerId,
    connection_id: connection.id,
    account_id: account.accountId,
    connected_at: account.connectedAt,
    ...accountState(account),
  }))

const connectionState = (connection: Connection) => ({
  status: connection.status,
  entities: entitiesJson(connection),
  products: [...connection.products].sort(),
  updated_at: connection.updatedAt,
  reauth_required_at: Option.getOrNull(connection.reauthRequiredAt),
  disconnected_at: Option.getOrNull(connection.disconnectedAt),
})

/** A signed 64-bit key for `pg_advisory_xact_lock`, from the first 8 bytes of a SHA-256. */
const lockKey = (text: string): bigint => createHash("sha256").update(text).digest().readBigInt64BE(0)

/** The advisory locks a token of `identity` takes, in ascending order so two transactions never wait on each other. */
const lockKeys = (identity: TokenIdentity): ReadonlyArray<bigint> =>
  [
    lockKey(`provider-company\u0000${identity.providerId}\u0000${identity.companyId}`),
    ...Option.toArray(Option.map(identity.finchConnectionId, (id) => lockKey(`finch-connection\u0000${id}`))),
  ].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/**
 * Stands for a connection another customer holds, which row-level security keeps us from reading: it carries only
 * what the token itself says, under a customer id that is not ours, so core's classification refuses the token.
 */
const heldByAnotherCustomer = (customerId: CustomerId, identity: TokenIdentity): Connection =>
  new Connection({
    id: ConnectionId.make("00000000-0000-4000-8000-000000000000"),
    customerId: CustomerId.make(customerId === "another customer" ? "yet another customer" : "another customer"),
    providerId: identity.providerId,
    companyId: identity.companyId,
    // One live account on the token's Finch connection (if any) and its provider+company: held either way.
    accounts: [
      new Account({
        accountId: AccountId.make("held-by-another-customer"),
        finchConnectionId: identity.finchConnectionId,
        tokenId: TokenId.make("00000000-0000-4000-8000-000000000000"),
        products: [],
        entityIds: [],
        authenticationMethod: Option.none(),
        username: Option.none(),
        status: "connected",
        connectedAt: new Date(0),
        updatedAt: new Date(0),
        reauthRequiredAt: Option.none(),
        introspectedAt: Option.none(),
      }),
    ],
    entities: [],
    createdAt: new Date(0),
    updatedAt: new Date(0),
  })

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

/** Builds the repository over `db`, sealing tokens with `vault`. */
export const make = (options: {
  readonly db: Kysely<Database>
  readonly vault: TokenVault["Type"]
}): ConnectionRepository["Type"] => {
  const { db, vault } = options

  /** Connections (with their accounts) matching `where`, optionally locked for update. */
  const load = (
    trx: CustomerTransaction,
    where: (query: ReturnType<typeof selectConnections>) => ReturnType<typeof selectConnections> = (query) => query,
    lock = false,
  ) =>
    Effect.gen(function* () {
      const base = where(selectConnections(trx))
      const rows = yield* query(() => (lock ? base.forUpdate() : base).execute())
      if (rows.length === 0) return []
      const accounts = yield* query(() =>
        trx
          .selectFrom("connection_accounts")
          .selectAll()
          .where(
            "connection_id",
            "in",
            rows.map((row) => row.id),
          )
          .orderBy("connected_at")
          .orderBy("account_id")
          .execute(),
      )
      return yield* Effect.forEach(rows, (row) => toConnection(row, accounts))
    })

  const selectConnections = (trx: CustomerTransaction) =>
    trx.selectFrom("connections").selectAll().orderBy("created_at", "desc").orderBy("id", "desc")

  const findOne = (trx: CustomerTransaction, customerId: CustomerId, connectionId: ConnectionId, lock = false) =>
    load(trx, (query) => query.where("id", "=", connectionId), lock).pipe(
      Effect.flatMap((found) =>
        found[0] === undefined
          ? Effect.fail(new ConnectionNotFound({ customerId, connectionId }))
          : Effect.succeed(found[0]),
      ),
    )

  const audit = (
    trx: CustomerTransaction,
    connection: Connection,
    kind: AuditEventKind,
    source: ConnectionEventSource,
    details: Record<string, unknown>,
  ) =>
    query(() =>
      trx
        .insertInto("audit_events")
        .values({
          customer_id: connection.customerId,
          connection_id: connection.id,
          kind,
          source,
          details: JSON.stringify(details),
          occurred_at: connection.updatedAt,
        })
        .execute(),
    )

  const saveAccounts = (trx: CustomerTransaction, connection: Connection) =>
    query(() =>
      trx
        .insertInto("connection_accounts")
        .values([...accountRows(connection)])
        .onConflict((conflict) =>
          conflict.columns(["connection_id", "account_id"]).doUpdateSet((eb) => ({
            finch_connection_id: eb.ref("excluded.finch_connection_id"),
            token_id: eb.ref("excluded.token_id"),
            products: eb.ref("excluded.products"),
            entity_ids: eb.ref("excluded.entity_ids"),
            authentication_method: eb.ref("excluded.authentication_method"),
            username: eb.ref("excluded.username"),
            status: eb.ref("excluded.status"),
            updated_at: eb.ref("excluded.updated_at"),
            reauth_required_at: eb.ref("excluded.reauth_required_at"),
            introspected_at: eb.ref("excluded.introspected_at"),
          })),
        )
        .execute(),
    )

  const saveConnection = (trx: CustomerTransaction, connection: Connection) =>
    query(() =>
      trx.updateTable("connections").set(connectionState(connection)).where("id", "=", connection.id).execute(),
    ).pipe(Effect.zipRight(saveAccounts(trx, connection)))

  /**
   * Stores an account change: the connection's state and the accounts it changed, as updates only (all the worker
   * role may do), and the key material of every token of the accounts it ended.
   */
  const saveChange = (trx: CustomerTransaction, before: Connection, after: Connection) =>
    Effect.gen(function* () {
      yield* query(() =>
        trx.updateTable("connections").set(connectionState(after)).where("id", "=", after.id).execute(),
      )
      for (const account of after.accounts) {
        if (Option.contains(before.account(account.accountId), account)) continue
        // A change never gives an account another token: that is `recordToken`'s (and not the worker's to write).
        const { token_id: _unchanged, ...changed } = accountState(account)
        yield* query(() =>
          trx
            .updateTable("connection_accounts")
            .set(changed)
            .where("connection_id", "=", after.id)
            .where("account_id", "=", account.accountId)
            .execute(),
        )
      }
      const ended = accountsEnded(before, after).map((account) => account.accountId as string)
      if (ended.length === 0) return 0
      // The ciphertext leaves the table, the row stays for the audit trail; deleting its key (rotation) is what
      // destroys the copies in old row versions, WAL and backups.
      const destroyed = yield* query(() =>
        trx
          .updateTable("access_tokens")
          .set((eb) => ({
            status: "destroyed",
            key_id: null,
            nonce: null,
            ciphertext: null,
            retired_at: eb.fn.coalesce("retired_at", eb.val(after.updatedAt)),
          }))
          .where("connection_id", "=", after.id)
          .where("account_id", "in", ended)
          .where("status", "<>", "destroyed")
          .executeTakeFirst(),
      )
      return Number(destroyed.numUpdatedRows)
    })

  const recordInTransaction = (
    trx: CustomerTransaction,
    input: Parameters<ConnectionRepository["Type"]["recordToken"]>[0],
    identity: TokenIdentity,
  ) =>
    Effect.gen(function* () {
      const { customerId, introspection } = input
      const customer = yield* query(() =>
        trx.selectFrom("customers").select("id").where("id", "=", customerId).executeTakeFirst(),
      )
      if (customer === undefined) return yield* new CustomerNotFound({ customerId })
      for (const key of lockKeys(identity)) {
        yield* query(() => sql`select pg_advisory_xact_lock(${key})`.execute(trx))
      }
      // Only this customer's rows are visible; another customer's surfaces as the unique key below.
      const known = yield* load(
        trx,
        (query) =>
          query.where((eb) =>
            eb.or([
              eb.and([eb("provider_id", "=", identity.providerId), eb("company_id", "=", identity.companyId)]),
              ...Option.toArray(
                Option.map(identity.finchConnectionId, (id) =>
                  eb(
                    "id",
                    "in",
                    trx.selectFrom("connection_accounts").select("connection_id").where("finch_connection_id", "=", id),
                  ),
                ),
              ),
            ]),
          ),
        true,
      )
      const heldElsewhere = yield* query(() =>
        sql<{ held: boolean }>`select connection_held_by_another_customer(${identity.providerId},
          ${identity.companyId}, ${Option.getOrNull(identity.finchConnectionId)}) as held`.execute(trx),
      )
      const decision = yield* decideTokenRecording({
        customerId,
        introspection,
        introspected: input.introspected ?? true,
        reauthenticating: input.reauthenticating ?? Option.none(),
        known: heldElsewhere.rows[0]?.held ? [...known, heldByAnotherCustomer(customerId, identity)] : known,
        tokenId: TokenId.make(randomUUID()),
        connectionId: ConnectionId.make(randomUUID()),
        now: yield* now,
      })
      const { connection, account } = decision
      const binding: TokenBinding = { customerId, connectionId: connection.id, tokenId: account.tokenId }
      const sealed = yield* vault.seal(binding, input.accessToken)
      if (decision.classification === "NewConnection") {
        yield* query(() =>
          trx
            .insertInto("connections")
            .values({
              id: connection.id,
              customer_id: customerId,
              provider_id: connection.providerId,
              company_id: connection.companyId,
              created_at: connection.createdAt,
              ...connectionState(connection),
            })
            .execute(),
        )
      }
      // One active token per account (a unique index): the replaced one is retired before the new one goes in.
      const retired = Option.getOrNull(decision.retiredTokenId)
      if (retired !== null) {
        yield* query(() =>
          trx
            .updateTable("access_tokens")
            .set({ status: "replaced", retired_at: connection.updatedAt })
            .where("id", "=", retired)
            .where("status", "=", "active")
            .execute(),
        )
      }
      yield* query(() =>
        trx
          .insertInto("access_tokens")
          .values({
            id: account.tokenId,
            customer_id: customerId,
            connection_id: connection.id,
            account_id: account.accountId,
            key_id: sealed.keyId,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            status: "active",
            created_at: connection.updatedAt,
          })
          .execute(),
      )
      if (retired !== null) {
        yield* query(() =>
          trx.updateTable("access_tokens").set({ replaced_by: account.tokenId }).where("id", "=", retired).execute(),
        )
      }
      yield* decision.classification === "NewConnection"
        ? saveAccounts(trx, connection)
        : saveConnection(trx, connection)
      const event: AuditEventKind =
        decision.classification === "NewConnection"
          ? "connection_created"
          : decision.classification === "NewAccount"
            ? "account_added"
            : "token_replaced"
      yield* audit(trx, connection, event, "user", {
        accountId: account.accountId,
        tokenId: account.tokenId,
        ...(retired === null ? {} : { replacedTokenId: retired }),
      })
      return { classification: decision.classification, connection, account } satisfies TokenRecorded
    })

  /** A unique key refusing our new connection means another customer holds that provider+company. */
  const ownedElsewhere = (customerId: CustomerId, identity: TokenIdentity) => (error: DatabaseError) =>
    isUniqueViolation(error, "connections_live_provider_company_key")
      ? Effect.fail(new OwnedByAnotherCustomer({ customerId, providerId: identity.providerId }))
      : Effect.die(error)

  return ConnectionRepository.of({
    recordToken: Effect.fn("ConnectionRepository.recordToken")(function* (input) {
      yield* Effect.annotateCurrentSpan({ customerId: input.customerId })
      const identity = yield* identifyToken(input.customerId, input.introspection)
      return yield* withCustomer(db, input.customerId, (trx) => recordInTransaction(trx, input, identity)).pipe(
        Effect.catchTag("DatabaseError", ownedElsewhere(input.customerId, identity)),
      )
    }),

    list: Effect.fn("ConnectionRepository.list")(function* (customerId) {
      yield* Effect.annotateCurrentSpan({ customerId })
      return yield* withCustomer(db, customerId, (trx) => load(trx)).pipe(Effect.orDie)
    }),

    get: Effect.fn("ConnectionRepository.get")(function* (customerId, connectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      return yield* withCustomer(db, customerId, (trx) => findOne(trx, customerId, connectionId)).pipe(
        Effect.catchTag("DatabaseError", Effect.die),
      )
    }),

    locateFinchConnection: Effect.fn("ConnectionRepository.locateFinchConnection")(function* (finchConnectionId) {
      const rows = yield* inTransaction(db, (trx) =>
        query(() =>
          sql<{
            customer_id: string
            connection_id: string
            account_id: string
          }>`select * from finch_connection_holders(${finchConnectionId})`.execute(trx),
        ),
      ).pipe(Effect.orDie)
      return rows.rows.map(
        (row): FinchConnectionHolder => ({
          customerId: CustomerId.make(row.customer_id),
          connectionId: ConnectionId.make(row.connection_id),
          accountId: AccountId.make(row.account_id),
        }),
      )
    }),

    applyChange: Effect.fn("ConnectionRepository.applyChange")(function* (customerId, connectionId, change, source) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, change: change._tag, source })
      return yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          const connection = yield* findOne(trx, customerId, connectionId, true)
          const next = yield* applyAccountChange(connection, change, yield* now)
          if (next === connection) return connection
          const tokensDestroyed = yield* saveChange(trx, connection, next)
          const event = eventOfChange(change, connection, next)
          if (Option.isSome(event)) {
            yield* audit(trx, next, event.value.kind, source, {
              accountIds: event.value.accountIds,
              ...(change._tag === "EntitiesRemoved" ? { entityIds: change.entityIds } : {}),
              ...(tokensDestroyed > 0 ? { tokensDestroyed } : {}),
            })
          }
          return next
        }),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
    }),

    openToken: Effect.fn("ConnectionRepository.openToken")(function* (input) {
      const { customerId, connectionId } = input
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const { account, stored } = yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          const connection = yield* findOne(trx, customerId, connectionId)
          const account: Account = yield* Either.match(selectAccount(connection, input.need), {
            onLeft: Effect.fail,
            onRight: Effect.succeed,
          })
          const stored = yield* query(() =>
            trx
              .selectFrom("access_tokens")
              .select(["status", "key_id", "nonce", "ciphertext"])
              .where("id", "=", account.tokenId)
              .executeTakeFirst(),
          )
          return { account, stored }
        }),
      ).pipe(Effect.catchTag("DatabaseError", Effect.die))
      const binding: TokenBinding = { customerId, connectionId, tokenId: account.tokenId }
      if (
        stored === undefined ||
        stored.status !== "active" ||
        stored.key_id === null ||
        stored.nonce === null ||
        stored.ciphertext === null
      ) {
        return yield* new TokenUnreadable({ ...binding, reason: "the token was destroyed or retired" })
      }
      const token = yield* vault.open(binding, {
        keyId: stored.key_id,
        nonce: stored.nonce,
        ciphertext: stored.ciphertext,
      })
      return { account, token }
    }),

    openRetiredTokens: Effect.fn("ConnectionRepository.openRetiredTokens")(
      function* (customerId, connectionId, accountIds) {
        yield* Effect.annotateCurrentSpan({ customerId, connectionId })
        const rows = yield* withCustomer(db, customerId, (trx) =>
          Effect.gen(function* () {
            yield* findOne(trx, customerId, connectionId)
            if (accountIds.length === 0) return []
            return yield* query(() =>
              trx
                .selectFrom("access_tokens")
                .select(["id", "key_id", "nonce", "ciphertext"])
                .where("connection_id", "=", connectionId)
                .where("account_id", "in", [...accountIds])
                .where("status", "in", ["replaced", "revoked"])
                .orderBy("retired_at", "desc")
                .execute(),
            )
          }),
        ).pipe(Effect.catchTag("DatabaseError", Effect.die))
        const opened = yield* Effect.forEach(rows, (row) =>
          row.key_id === null || row.nonce === null || row.ciphertext === null
            ? Effect.succeed(Option.none())
            : Effect.option(
                vault.open(
                  { customerId, connectionId, tokenId: TokenId.make(row.id) },
                  { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext },
                ),
              ),
        )
        return opened.flatMap((token) => (Option.isSome(token) ? [token.value] : []))
      },
    ),
  })
}

/** The repository over the store's pool and the configured `TokenVault`. */
export const layer = Layer.effect(
  ConnectionRepository,
  Effect.gen(function* () {
    return make({ db: yield* PgDatabase.PgDatabase, vault: yield* TokenVault })
  }),
)

/** The repository over the pool and the vault configured from the environment. */
export const layerConfig = layer.pipe(Layer.provide(Layer.merge(PgDatabase.layerConfig, AesTokenVault.layerConfig)))
