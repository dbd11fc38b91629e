/**
 * Every identifier in the domain is a brand: a `CustomerId` can never be passed where a `ProviderId` is expected.
 * Ours (`CustomerId`, `ConnectionId`, `TokenId`, `PersonId`) and Finch's (`FinchConnectionId`, `ProviderId`,
 * `CompanyId`, `AccountId`, `EntityId`, `IndividualId`).
 */
import * as Schema from "effect/Schema"

const NonBlank = Schema.Trim.pipe(Schema.nonEmptyString(), Schema.maxLength(255))
const Uuid = Schema.UUID

/** The application's own id for one of its customers (an employer); chosen by the app, 1–255 characters. */
export const CustomerId = NonBlank.pipe(Schema.brand("CustomerId"))
export type CustomerId = typeof CustomerId.Type

/** Our id for a connection (provider + company under one customer). */
export const ConnectionId = Uuid.pipe(Schema.brand("ConnectionId"))
export type ConnectionId = typeof ConnectionId.Type

/** Our id for one stored access token. */
export const TokenId = Uuid.pipe(Schema.brand("TokenId"))
export type TokenId = typeof TokenId.Type

/** Our id for a reconciled person (one human across connections). */
export const PersonId = NonBlank.pipe(Schema.brand("PersonId"))
export type PersonId = typeof PersonId.Type

/** Finch's `connection_id` (newer API): one connection at Finch. */
export const FinchConnectionId = NonBlank.pipe(Schema.brand("FinchConnectionId"))
export type FinchConnectionId = typeof FinchConnectionId.Type

/** Finch's `provider_id`, e.g. `gusto`. */
export const ProviderId = NonBlank.pipe(Schema.brand("ProviderId"))
export type ProviderId = typeof ProviderId.Type

/** Finch's `company_id`: one employer entity. */
export const CompanyId = NonBlank.pipe(Schema.brand("CompanyId"))
export type CompanyId = typeof CompanyId.Type

/** Finch's `account_id`: one login (or permission set) on a provider+company. */
export const AccountId = NonBlank.pipe(Schema.brand("AccountId"))
export type AccountId = typeof AccountId.Type

/** Finch's entity id within a multi-entity connection. */
export const EntityId = NonBlank.pipe(Schema.brand("EntityId"))
export type EntityId = typeof EntityId.Type

/** Finch's `individual_id`: stable per connection, never across providers. */
export const IndividualId = NonBlank.pipe(Schema.brand("IndividualId"))
export type IndividualId = typeof IndividualId.Type
