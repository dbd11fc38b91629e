/**
 * Everything the API's handlers use, over a `PgDatabase` and a `FinchGateway` given from outside (the main job's
 * database and Finch client, or a test's fresh database and sandbox). Configuration: `API_KEYS`,
 * `CONNECT_STATE_SECRET` and `PAGE_SESSION_SECRET` (optional), `FINCH_WEBHOOK_SECRET` (optional: without it every webhook is unverifiable),
 * `TOKEN_ENCRYPTION_KEYS` (see store-postgres), `API_RESPONSE_CACHE` (default `true`; see `ResponseCache.ts`).
 */
import * as Webhooks from "@finch-connections/finch-client/Webhooks"
import * as AesTokenVault from "@finch-connections/store-postgres/AesTokenVault"
import * as ConnectStateLog from "@finch-connections/store-postgres/ConnectStateLog"
import * as PersonDirectory from "@finch-connections/store-postgres/PersonDirectory"
import * as PersonStore from "@finch-connections/store-postgres/PersonStore"
import * as PgConnectionListing from "@finch-connections/store-postgres/PgConnectionListing"
import * as PgConnectionRepository from "@finch-connections/store-postgres/PgConnectionRepository"
import * as PgCustomerRepository from "@finch-connections/store-postgres/PgCustomerRepository"
import * as PgEmployeeStore from "@finch-connections/store-postgres/PgEmployeeStore"
import * as PgSyncQueue from "@finch-connections/store-postgres/PgSyncQueue"
import * as WebhookEventLog from "@finch-connections/store-postgres/WebhookEventLog"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import * as ConnectState from "./ConnectState.ts"
import * as PageSessions from "./pages/PageSessions.ts"
import * as ProviderCatalog from "./pages/ProviderCatalog.ts"
import * as ResponseCache from "./ResponseCache.ts"

/** Finch's webhook verifier from `FINCH_WEBHOOK_SECRET`; without the secret no delivery verifies. */
export const WebhooksLive = Layer.unwrapEffect(
  Effect.map(Config.option(Config.redacted("FINCH_WEBHOOK_SECRET")), (secret) =>
    Option.match(
      Option.filter(secret, (value) => Redacted.value(value) !== ""),
      {
        onSome: (value) => Webhooks.layer({ secret: value }),
        onNone: () =>
          Layer.succeed(Webhooks.Webhooks, {
            verify: () =>
              Effect.fail(
                new Webhooks.WebhookVerificationError({
                  reason: "NoMatchingSignature",
                  detail: "FINCH_WEBHOOK_SECRET is not configured",
                  eventId: null,
                }),
              ),
            unwrap: () =>
              Effect.fail(
                new Webhooks.WebhookVerificationError({
                  reason: "NoMatchingSignature",
                  detail: "FINCH_WEBHOOK_SECRET is not configured",
                  eventId: null,
                }),
              ),
          }),
      },
    ),
  ),
)

/** The store's repositories and readers on the given pool; tokens sealed with `TOKEN_ENCRYPTION_KEYS`. */
const StoreLive = Layer.mergeAll(
  PgConnectionRepository.layer,
  PgConnectionListing.layer,
  PgEmployeeStore.layer,
  PersonStore.layer,
  PersonDirectory.layer,
  WebhookEventLog.layer,
  ConnectStateLog.layer,
  PgSyncQueue.layer,
).pipe(Layer.provideMerge(PgCustomerRepository.layer), Layer.provide(AesTokenVault.layerConfig))

/**
 * Every service of `ApiServices` but the pool, Finch, the API keys and `SyncRequests`, which come from outside (the
 * provider catalogue reads Finch's `FinchClient`).
 */
export const ApiLive = Layer.mergeAll(
  StoreLive,
  ConnectState.layerConfig,
  PageSessions.layerConfig,
  ProviderCatalog.layer,
  WebhooksLive,
  ResponseCache.layerConfig,
)
