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
  type Account,
  Connection,
  ConnectionNotFound,
  markDisconnected,
  markReauthRequired,
  OwnedByAnotherCustomer,
  selectAccount,
} from "@finch-connections/core/Connection"
import {
  type ConnectionEventSource,
  ConnectionRepository,
  type TokenRecorded,
} from "@finch-connections/core/ConnectionRepository"
import { CustomerNotFound } from "@finch-connections/core/Customer"
import { ConnectionId, CustomerId, TokenId } from "@finch-connections/core/Ids"
import { decideTokenRecording, identifyToken, type TokenIdentity } from "@finch-connections/core/TokenClassification"
import { type TokenBinding, TokenUnreadable, TokenVault } from "@finch-connections/core/TokenVault"
import { Clock, Effect, Either, Layer, Option, Schema } from "effect"
import { type Kysely, sql } from "kysely"
import * as AesTokenVault from "./AesTokenVault.ts"
import { type CustomerTransaction, withCustomer } from "./CustomerTransaction.ts"
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
    finchConnectionId: Option.fromNullable(row.finch_connection_id),
    status: row.status,
    accounts: accounts
      .filter((account) => account.connection_id === row.id)
      .map((account) => ({
        accountId: account.account_id,
        tokenId: account.token_id,
        products: account.products,
        status: account.status,
        connectedAt: account.connected_at,
        updatedAt: account.updated_at,
      })),
    entities: row.entities.map((entity) => ({
      id: entity.id,
      name: Option.fromNullable(entity.name),
      status: Option.fromNullable(entity.status),
    })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    reauthRequiredAt: Option.fromNullable(row.reauth_required_at),
    disconnectedAt: Option.fromNullable(row.disconnected_at),
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

const accountRows = (connection: Connection): ReadonlyArray<NewConnectionAccountRow> =>
  connection.accounts.map((account) => ({
    customer_id: connection.customerId,
    connection_id: connection.id,
    account_id: account.accountId,
    token_id: account.tokenId,
    products: [...account.products],
    status: account.status,
    connected_at: account.connectedAt,
    updated_at: account.updatedAt,
  }))

const connectionState = (connection: Connection) => ({
  finch_connection_id: Option.getOrNull(connection.finchConnectionId),
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
    finchConnectionId: identity.finchConnectionId,
    status: "active",
    accounts: [],
    entities: [],
    createdAt: new Date(0),
    updatedAt: new Date(0),
    reauthRequiredAt: Option.none(),
    disconnectedAt: Option.none(),
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
            token_id: eb.ref("excluded.token_id"),
            products: eb.ref("excluded.products"),
            status: eb.ref("excluded.status"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute(),
    )

  const saveConnection = (trx: CustomerTransaction, connection: Connection) =>
    query(() =>
      trx.updateTable("connections").set(connectionState(connection)).where("id", "=", connection.id).execute(),
    ).pipe(Effect.zipRight(saveAccounts(trx, connection)))

  /**
   * Stores a lifecycle transition: only the status columns of the connection and of the accounts it changed, which
   * is all the worker role may update.
   */
  const saveTransition = (trx: CustomerTransaction, before: Connection, after: Connection) =>
    Effect.gen(function* () {
      yield* query(() =>
        trx
          .updateTable("connections")
          .set({
            status: after.status,
            updated_at: after.updatedAt,
            reauth_required_at: Option.getOrNull(after.reauthRequiredAt),
            ...(Option.getOrNull(after.disconnectedAt) === Option.getOrNull(before.disconnectedAt)
              ? {}
              : { disconnected_at: Option.getOrNull(after.disconnectedAt) }),
          })
          .where("id", "=", after.id)
          .execute(),
      )
      for (const account of after.accounts) {
        const previous = before.accounts.find((candidate) => candidate.accountId === account.accountId)
        if (previous?.status === account.status && previous.updatedAt.getTime() === account.updatedAt.getTime()) {
          continue
        }
        yield* query(() =>
          trx
            .updateTable("connection_accounts")
            .set({ status: account.status, updated_at: account.updatedAt })
            .where("connection_id", "=", after.id)
            .where("account_id", "=", account.accountId)
            .execute(),
        )
      }
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
              ...Option.toArray(Option.map(identity.finchConnectionId, (id) => eb("finch_connection_id", "=", id))),
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
    isUniqueViolation(error, "connections_provider_company_key", "connections_finch_connection_id_key")
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

    markReauthRequired: Effect.fn("ConnectionRepository.markReauthRequired")(
      function* (customerId, connectionId, source) {
        yield* Effect.annotateCurrentSpan({ customerId, connectionId, source })
        return yield* withCustomer(db, customerId, (trx) =>
          Effect.gen(function* () {
            const connection = yield* findOne(trx, customerId, connectionId, true)
            const next = yield* markReauthRequired(connection, yield* now)
            if (next === connection) return connection
            yield* saveTransition(trx, connection, next)
            yield* audit(trx, next, "reauth_required", source, {})
            return next
          }),
        ).pipe(Effect.catchTag("DatabaseError", Effect.die))
      },
    ),

    markDisconnected: Effect.fn("ConnectionRepository.markDisconnected")(function* (customerId, connectionId, source) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId, source })
      return yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          const connection = yield* findOne(trx, customerId, connectionId, true)
          const next = yield* markDisconnected(connection, yield* now)
          yield* saveTransition(trx, connection, next)
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
                retired_at: eb.fn.coalesce("retired_at", eb.val(next.updatedAt)),
              }))
              .where("connection_id", "=", connectionId)
              .where("status", "<>", "destroyed")
              .executeTakeFirst(),
          )
          yield* audit(trx, next, "disconnected", source, { tokensDestroyed: Number(destroyed.numUpdatedRows) })
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
          const account: Account = yield* Either.match(selectAccount(connection, input.products, input.account), {
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

    openRetiredTokens: Effect.fn("ConnectionRepository.openRetiredTokens")(function* (customerId, connectionId) {
      yield* Effect.annotateCurrentSpan({ customerId, connectionId })
      const rows = yield* withCustomer(db, customerId, (trx) =>
        Effect.gen(function* () {
          yield* findOne(trx, customerId, connectionId)
          return yield* query(() =>
            trx
              .selectFrom("access_tokens")
              .select(["id", "key_id", "nonce", "ciphertext"])
              .where("connection_id", "=", connectionId)
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
    }),
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
