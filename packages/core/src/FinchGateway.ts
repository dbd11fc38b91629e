/**
 * The port to Finch: everything the domain asks of Finch. `finch-client` implements it over HTTP; tests use the
 * sandbox or the in-memory layer. Tokens travel as `Redacted` and never appear in errors or logs.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"
import type { BatchItem, Company, DirectoryIndividual, Employment, Individual } from "./FinchData.ts"
import type { FinchError } from "./FinchError.ts"
import type { AccountId, CompanyId, CustomerId, EntityId, FinchConnectionId, ProviderId } from "./Ids.ts"
import type { Introspection } from "./Introspection.ts"
import { type FinchMemoryControl, makeFinchMemory } from "./internal/finchGatewayMemory.ts"
import type { Product } from "./Product.ts"

export type { FinchMemoryControl, MemoryEmployee, MemorySession } from "./internal/finchGatewayMemory.ts"

/** The answer of `POST /auth/token`. */
export interface TokenExchange {
  readonly accessToken: Redacted.Redacted<string>
  readonly finchConnectionId: Option.Option<FinchConnectionId>
  readonly providerId: ProviderId
  readonly companyId: Option.Option<CompanyId>
  readonly accountId: Option.Option<AccountId>
  readonly products: ReadonlyArray<Product>
  readonly entityIds: ReadonlyArray<EntityId>
  /** The `customer_id` the Connect session stamped, when there was one. */
  readonly customerId: Option.Option<string>
}

/** A Finch Connect session: where to send the employer. */
export interface ConnectSession {
  readonly sessionId: string
  readonly connectUrl: string
}

/** What `POST /connect/sessions` needs. */
export interface ConnectSessionRequest {
  readonly customerId: CustomerId
  readonly customerName: string
  readonly products: ReadonlyArray<Product>
  readonly redirectUri: Option.Option<string>
  readonly providerId: Option.Option<ProviderId>
  readonly minutesToExpire: Option.Option<number>
}

/** What `POST /connect/sessions/reauthenticate` needs. */
export interface ReauthenticationSessionRequest {
  readonly finchConnectionId: FinchConnectionId
  readonly products: Option.Option<ReadonlyArray<Product>>
  readonly redirectUri: Option.Option<string>
  readonly minutesToExpire: Option.Option<number>
}

/** Per-call scoping for `/employer/*` reads of multi-entity connections. */
export interface EmployerReadOptions {
  readonly entityId?: EntityId
}

/** The Finch API as the domain uses it. */
export class FinchGateway extends Context.Tag("@finch-connections/core/FinchGateway")<
  FinchGateway,
  {
    /** Exchanges a Connect authorization `code` for an access token (`POST /auth/token`). */
    readonly exchangeCode: (input: {
      readonly code: string
      readonly redirectUri: Option.Option<string>
    }) => Effect.Effect<TokenExchange, FinchError>
    /** Says which provider, company, account and connection a token belongs to (`GET /introspect`). */
    readonly introspect: (token: Redacted.Redacted<string>) => Effect.Effect<Introspection, FinchError>
    /** Opens a Connect session for a customer (`POST /connect/sessions`). */
    readonly createConnectSession: (request: ConnectSessionRequest) => Effect.Effect<ConnectSession, FinchError>
    /** Opens a reauthentication session that keeps the connection (`POST /connect/sessions/reauthenticate`). */
    readonly createReauthenticationSession: (
      request: ReauthenticationSessionRequest,
    ) => Effect.Effect<ConnectSession, FinchError>
    /** Revokes every token of the token's connection at Finch (`POST /disconnect`). */
    readonly disconnect: (token: Redacted.Redacted<string>) => Effect.Effect<void, FinchError>
    /** Disconnects some entities of a multi-entity connection, leaving the others (`POST /disconnect-entity`). */
    readonly disconnectEntity: (
      token: Redacted.Redacted<string>,
      entityIds: ReadonlyArray<EntityId>,
    ) => Effect.Effect<void, FinchError>
    /** The employer's company record (`GET /employer/company`). */
    readonly company: (
      token: Redacted.Redacted<string>,
      options?: EmployerReadOptions,
    ) => Effect.Effect<Company, FinchError>
    /** Every directory entry, paged through with the largest page Finch allows (`GET /employer/directory`). */
    readonly directory: (
      token: Redacted.Redacted<string>,
      options?: EmployerReadOptions,
    ) => Stream.Stream<DirectoryIndividual, FinchError>
    /** Individuals by id, batched to Finch's maximum; each item succeeds or fails on its own (`POST /employer/individual`). */
    readonly individuals: (
      token: Redacted.Redacted<string>,
      individualIds: ReadonlyArray<string>,
      options?: EmployerReadOptions & { readonly includeSsn?: boolean },
    ) => Effect.Effect<ReadonlyArray<BatchItem<Individual>>, FinchError>
    /** Employments by id, batched like `individuals` (`POST /employer/employment`). */
    readonly employments: (
      token: Redacted.Redacted<string>,
      individualIds: ReadonlyArray<string>,
      options?: EmployerReadOptions,
    ) => Effect.Effect<ReadonlyArray<BatchItem<Employment>>, FinchError>
  }
>() {}

/** How tests script the in-memory Finch of `layerMemory` (grant codes, set statuses, inject failures, inspect calls). */
export class FinchMemory extends Context.Tag("@finch-connections/core/FinchGateway/FinchMemory")<
  FinchMemory,
  FinchMemoryControl
>() {}

/**
 * A scriptable in-memory Finch for use-case tests, with its `FinchMemory` control. Single-use codes, `/disconnect`
 * revoking the whole Finch connection, 401s for revoked tokens and `reauthenticate_user` for a `reauth` status.
 */
export const layerMemory: Layer.Layer<FinchGateway | FinchMemory> = Layer.effectContext(
  Effect.sync(() => {
    const { control, gateway } = makeFinchMemory()
    return Context.make(FinchGateway, gateway).pipe(Context.add(FinchMemory, control))
  }),
)
