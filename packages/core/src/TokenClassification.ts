/**
 * What a new token means for a customer's connections. `classifyToken` (pure) decides; the ConnectionRepository
 * applies the decision atomically.
 */
import * as Data from "effect/Data"
import type { Connection } from "./Connection.ts"
import type { AccountId, CompanyId, ProviderId } from "./Ids.ts"

/** The four outcomes of classifying a token. */
export type TokenClassification = Data.TaggedEnum<{
  /** A provider+company this customer has not connected yet (multi-provider, multi-entity). */
  NewConnection: { readonly providerId: ProviderId; readonly companyId: CompanyId; readonly accountId: AccountId }
  /** Same provider+company, a login not seen before (multi-account): the account joins the connection. */
  NewAccount: { readonly connection: Connection; readonly accountId: AccountId }
  /** The same account (or the same Finch connection) reconnecting, e.g. after reauth: the old token is retired. */
  TokenReplaced: { readonly connection: Connection; readonly accountId: AccountId }
  /** That provider+company belongs to another customer: refused, revealing nothing about them. */
  OwnedByAnotherCustomer: { readonly providerId: ProviderId }
}>

/** Constructors and matchers for `TokenClassification`. */
export const TokenClassification = Data.taggedEnum<TokenClassification>()
