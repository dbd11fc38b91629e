/**
 * The Finch API over HTTP: core's `FinchGateway` port plus `GET /providers`. One `HttpClient` pipeline for every
 * call — base URL, `Finch-API-Version`, the call's own auth scheme, a per-endpoint rate limiter, a per-attempt
 * timeout, bounded retries with backoff honouring `Retry-After` — and every failure mapped once to core's
 * `FinchError` family. Tokens and the client secret stay `Redacted` until they become a header or body.
 *
 * @example
 * const FinchLive = FinchClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
 */

import * as HttpHeaders from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { BatchItem, Company, DirectoryIndividual } from "@finch-connections/core/FinchData"
import * as FinchData from "@finch-connections/core/FinchData"
import { FinchDecodeError, type FinchError } from "@finch-connections/core/FinchError"
import {
  type ConnectSession,
  type ConnectSessionRequest,
  type EmployerReadOptions,
  FinchGateway,
  type ReauthenticationSessionRequest,
  type TokenExchange,
} from "@finch-connections/core/FinchGateway"
import { AccountId, CompanyId, EntityId, FinchConnectionId, ProviderId } from "@finch-connections/core/Ids"
import { type Introspection, IntrospectionFromResponse } from "@finch-connections/core/Introspection"
import { plainDecoder } from "@finch-connections/core/PlainDecode"
import { Product } from "@finch-connections/core/Product"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { batchesOf, maxBatchSize, toBatchItems } from "./Batching.ts"
import * as FinchFailure from "./FinchFailure.ts"
import { maxDirectoryPageSize, nextOffset } from "./Pagination.ts"
import * as RateLimiter from "./RateLimiter.ts"
import {
  BatchResponse,
  ConnectSessionResponse,
  DisconnectResponse,
  type Provider,
  ProvidersResponse,
  TokenResponse,
} from "./Responses.ts"
import { defaultRetryPolicy, type RetryPolicy, withRetries } from "./Retry.ts"

/** Finch's production (and sandbox) API. */
export const defaultBaseUrl = "https://api.tryfinch.com"

/** The only API version Finch documents; sent on every call. */
export const apiVersion = "2020-09-17"

/** How the client talks to Finch. Everything but the credentials has a default. */
export interface Options {
  /** Default `https://api.tryfinch.com`. */
  readonly baseUrl?: string | undefined
  /** Needed for `POST /auth/token` and Connect sessions only. */
  readonly clientId?: string | undefined
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** Per attempt, from sending the request to the end of the body. Default 60 s (the SDK's). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retries after the first attempt. Default 2 (the SDK's). */
  readonly maxRetries?: number | undefined
  /** Backoff curve and the longest Finch-requested wait to sleep through; see `Retry.RetryPolicy`. */
  readonly retryPolicy?:
    | {
        readonly initialDelay?: Duration.DurationInput | undefined
        readonly maxDelay?: Duration.DurationInput | undefined
        readonly maxRetryAfter?: Duration.DurationInput | undefined
      }
    | undefined
  /** `"finch"` (default): Finch's published per-endpoint limits; `"off"`; or limits of your own. */
  readonly rateLimits?: "finch" | "off" | RateLimiter.RateLimits | undefined
  /**
   * A limiter of your own, used instead of `rateLimits`: e.g. a budget shared by every process using the same Finch
   * application (Finch's limits are per application, not per process).
   */
  readonly rateLimiter?: RateLimiter.RateLimiter | undefined
  /** Directory page size, at most Finch's 10,000 (the default). */
  readonly directoryPageSize?: number | undefined
  /** Ids per batch request, at most Finch's 10,000 (the default). */
  readonly batchSize?: number | undefined
}

/** Everything the client does: core's port, plus the provider catalogue. */
export interface FinchClientService extends Context.Tag.Service<FinchGateway> {
  /** Every provider Finch integrates with (`GET /providers`); the token is sent when given. */
  readonly providers: (token?: Redacted.Redacted<string>) => Effect.Effect<ReadonlyArray<Provider>, FinchError>
}

/** The Finch HTTP client. `layer`/`layerConfig` provide it together with core's `FinchGateway`. */
export class FinchClient extends Context.Tag("@finch-connections/finch-client/FinchClient")<
  FinchClient,
  FinchClientService
>() {}

type Auth =
  | { readonly _tag: "Bearer"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "Basic" }
  | { readonly _tag: "None" }

/** `METHOD /path`: says what to send, names the call in errors and spans, and keys the rate limiter. */
type Operation = `${"GET" | "POST"} /${string}`

interface Call<A> {
  readonly operation: Operation
  readonly auth: Auth
  readonly body?: unknown
  readonly query?: ReadonlyArray<readonly [string, string]>
  /** Fails with a `ParseError`, or with a plain reason when the shape is right but the content is not. */
  readonly decode: (json: unknown) => Effect.Effect<A, ParseResult.ParseError | string>
  /**
   * For calls that change state: a failure of a *retried* attempt that shows an earlier attempt took effect
   * (its answer was lost), and the result to return then.
   */
  readonly settledByEarlierAttempt?: { readonly when: (error: FinchError) => boolean; readonly value: A }
}

const entityQuery = (options: EmployerReadOptions | undefined): ReadonlyArray<readonly [string, string]> =>
  options?.entityId === undefined ? [] : [["entity_ids[]", options.entityId]]

const decodeIds = <S extends Schema.Schema<any, string>>(schema: S, raw: ReadonlyArray<string> | null | undefined) =>
  (raw ?? []).flatMap((value) => Option.toArray(Schema.decodeOption(schema)(value))) as Array<Schema.Schema.Type<S>>

const decodeId = <S extends Schema.Schema<any, string>>(schema: S, raw: string | null | undefined) =>
  (raw === null || raw === undefined ? Option.none() : Schema.decodeOption(schema)(raw)) as Option.Option<
    Schema.Schema.Type<S>
  >

const toTokenExchange = (raw: TokenResponse): Effect.Effect<TokenExchange, ParseResult.ParseError> =>
  Effect.map(Schema.decodeUnknown(ProviderId)(raw.provider_id), (providerId) => ({
    accessToken: raw.access_token,
    finchConnectionId: decodeId(FinchConnectionId, raw.connection_id),
    providerId,
    companyId: decodeId(CompanyId, raw.company_id),
    accountId: decodeId(AccountId, raw.account_id),
    products: decodeIds(Product, raw.products),
    entityIds: decodeIds(EntityId, raw.entity_ids),
    customerId: Option.fromNullable(raw.customer_id),
  }))

/** `{ [key]: value }` when the option holds a value, else `{}`: an optional field of a JSON body, left out when absent. */
const bodyField = <K extends string, A>(key: K, option: Option.Option<A>): { readonly [P in K]?: A } =>
  Option.match(option, { onNone: () => ({}), onSome: (value) => ({ [key]: value }) as { readonly [P in K]?: A } })

/** The two large responses, decoded with core's `plainDecoder` (Schema's results, compiled once). */
const decodeDirectoryPage = plainDecoder(FinchData.DirectoryPage)
const decodeBatchResponse = plainDecoder(BatchResponse)

const clamp = (value: number, max: number) => Math.max(1, Math.min(Math.floor(value), max))

/** Builds the client over the `HttpClient` in context. */
export const make = (options: Options = {}): Effect.Effect<FinchClientService, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "")
    const timeoutMs = Duration.toMillis(Duration.decode(options.timeout ?? Duration.seconds(60)))
    const durationOr = (input: Duration.DurationInput | undefined, fallback: Duration.Duration) =>
      input === undefined ? fallback : Duration.decode(input)
    const retryPolicy: RetryPolicy = {
      maxRetries:
        options.maxRetries === undefined ? defaultRetryPolicy.maxRetries : Math.max(0, Math.floor(options.maxRetries)),
      initialDelay: durationOr(options.retryPolicy?.initialDelay, defaultRetryPolicy.initialDelay),
      maxDelay: durationOr(options.retryPolicy?.maxDelay, defaultRetryPolicy.maxDelay),
      maxRetryAfter: durationOr(options.retryPolicy?.maxRetryAfter, defaultRetryPolicy.maxRetryAfter),
    }
    const limits = options.rateLimits ?? "finch"
    const limiter =
      options.rateLimiter ??
      (limits === "off"
        ? RateLimiter.unlimited
        : yield* RateLimiter.make(limits === "finch" ? RateLimiter.finchLimits : limits))
    const pageSize = clamp(options.directoryPageSize ?? maxDirectoryPageSize, maxDirectoryPageSize)
    const batchSize = clamp(options.batchSize ?? maxBatchSize, maxBatchSize)

    const httpClient = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(baseUrl),
          HttpClientRequest.setHeader("Finch-API-Version", apiVersion),
          HttpClientRequest.acceptJson,
        ),
      ),
    )

    // Missing client credentials are a deployment mistake, not something a caller can handle: a defect.
    const clientCredentials = Effect.suspend(() =>
      options.clientId === undefined || options.clientSecret === undefined
        ? Effect.dieMessage("FINCH_CLIENT_ID and FINCH_CLIENT_SECRET must be configured for this Finch call")
        : Effect.succeed({ id: options.clientId, secret: options.clientSecret }),
    )

    const authorize = (
      request: HttpClientRequest.HttpClientRequest,
      auth: Auth,
    ): Effect.Effect<HttpClientRequest.HttpClientRequest> => {
      switch (auth._tag) {
        case "Bearer":
          return Effect.succeed(HttpClientRequest.bearerToken(request, auth.token))
        case "Basic":
          return Effect.map(clientCredentials, ({ id, secret }) => HttpClientRequest.basicAuth(request, id, secret))
        case "None":
          return Effect.succeed(request)
      }
    }

    /** One call: limiter, timeout, retries, failure mapping, then decoding (a decode failure is never retried). */
    const execute = <A>(call: Call<A>): Effect.Effect<A, FinchError> =>
      Effect.gen(function* () {
        const path = call.operation.slice(call.operation.indexOf(" ") + 1)
        const base = (
          call.operation.startsWith("GET ") ? HttpClientRequest.get(path) : HttpClientRequest.post(path)
        ).pipe(HttpClientRequest.setUrlParams(call.query ?? []))
        const withBody = call.body === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, call.body)
        const request = yield* authorize(withBody, call.auth)
        // Finch never quotes them back, but a proxy's error page might: they are scrubbed from error details.
        const secrets = [
          ...(call.auth._tag === "Bearer" ? [Redacted.value(call.auth.token)] : []),
          ...(options.clientSecret === undefined ? [] : [Redacted.value(options.clientSecret)]),
        ]

        // Each attempt is a request Finch counts: it takes a slot, settled once the answer (or the failure) is in.
        const attempt = RateLimiter.withSlot(
          limiter,
          call.operation,
          httpClient.execute(request).pipe(
            Effect.flatMap((response) =>
              Effect.map(response.text, (text) => ({
                status: response.status,
                header: (name: string) => response.headers[name],
                text,
              })),
            ),
            Effect.mapError((error) => FinchFailure.transport(call.operation, error)),
            Effect.timeoutFail({
              duration: Duration.millis(timeoutMs),
              onTimeout: () => FinchFailure.timeout(call.operation, timeoutMs),
            }),
            Effect.flatMap((response) =>
              response.status >= 200 && response.status < 300 && response.status !== 202
                ? Effect.succeed(response)
                : Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
                    Effect.fail(FinchFailure.fromResponse(call.operation, response, { nowMs, timeoutMs, secrets })),
                  ),
            ),
          ),
        )
        const settled = call.settledByEarlierAttempt
        const outcome = yield* withRetries(retryPolicy, (retry) =>
          retry === 0 || settled === undefined
            ? Effect.map(attempt, Either.right)
            : attempt.pipe(
                Effect.map(Either.right),
                Effect.catchIf(
                  (failure) => settled.when(failure.error),
                  () => Effect.succeed(Either.left(settled.value)),
                ),
              ),
        )
        if (Either.isLeft(outcome)) return outcome.left
        const response = outcome.right
        const requestId = response.header("finch-request-id") ?? null
        return yield* call
          .decode(FinchFailure.parseJson(response.text))
          .pipe(
            Effect.mapError((error) =>
              typeof error === "string"
                ? new FinchDecodeError({ operation: call.operation, requestId, detail: error })
                : FinchFailure.decode(call.operation, requestId, error),
            ),
          )
      }).pipe(
        // `authorization` is redacted by default; keep it so even where a caller changed the default.
        Effect.locallyWith(HttpHeaders.currentRedactedNames, (names) =>
          names.includes("authorization") ? names : [...names, "authorization"],
        ),
      )

    const bearer = (token: Redacted.Redacted<string>): Auth => ({ _tag: "Bearer", token })

    const exchangeCode = Effect.fn("FinchClient.exchangeCode")(function* (input: {
      readonly code: string
      readonly redirectUri: Option.Option<string>
    }) {
      const credentials = yield* clientCredentials
      return yield* execute({
        operation: "POST /auth/token",
        // Finch takes the client credentials in the body here, and no Authorization header at all.
        auth: { _tag: "None" },
        body: {
          client_id: credentials.id,
          client_secret: Redacted.value(credentials.secret),
          code: input.code,
          ...bodyField("redirect_uri", input.redirectUri),
        },
        decode: (json) => Effect.flatMap(Schema.decodeUnknown(TokenResponse)(json), toTokenExchange),
      })
    })

    const introspect = Effect.fn("FinchClient.introspect")(function* (token: Redacted.Redacted<string>) {
      return yield* execute<Introspection>({
        operation: "GET /introspect",
        auth: bearer(token),
        decode: Schema.decodeUnknown(IntrospectionFromResponse),
      })
    })

    const decodeSession = (json: unknown): Effect.Effect<ConnectSession, ParseResult.ParseError> =>
      Effect.map(Schema.decodeUnknown(ConnectSessionResponse)(json), (raw) => ({
        sessionId: raw.session_id,
        connectUrl: raw.connect_url,
      }))

    const createConnectSession = Effect.fn("FinchClient.createConnectSession")(function* (
      request: ConnectSessionRequest,
    ) {
      yield* Effect.annotateCurrentSpan("finch.customer_id", request.customerId)
      return yield* execute({
        operation: "POST /connect/sessions",
        auth: { _tag: "Basic" },
        body: {
          customer_id: request.customerId,
          customer_name: request.customerName,
          products: request.products,
          ...bodyField("redirect_uri", request.redirectUri),
          ...bodyField("minutes_to_expire", request.minutesToExpire),
          ...bodyField(
            "integration",
            Option.map(request.providerId, (provider) => ({ provider })),
          ),
        },
        decode: decodeSession,
      })
    })

    const createReauthenticationSession = Effect.fn("FinchClient.createReauthenticationSession")(function* (
      request: ReauthenticationSessionRequest,
    ) {
      yield* Effect.annotateCurrentSpan("finch.connection_id", request.finchConnectionId)
      return yield* execute({
        operation: "POST /connect/sessions/reauthenticate",
        auth: { _tag: "Basic" },
        body: {
          connection_id: request.finchConnectionId,
          ...bodyField("products", request.products),
          ...bodyField("redirect_uri", request.redirectUri),
          ...bodyField("minutes_to_expire", request.minutesToExpire),
        },
        decode: decodeSession,
      })
    })

    const disconnect = Effect.fn("FinchClient.disconnect")(function* (token: Redacted.Redacted<string>) {
      yield* execute({
        operation: "POST /disconnect",
        auth: bearer(token),
        decode: (json) => Effect.asVoid(Schema.decodeUnknown(DisconnectResponse)(json)),
        // A retry answered "invalid token" means the lost earlier attempt already revoked it: disconnected.
        settledByEarlierAttempt: {
          when: (error) => error._tag === "FinchUnauthorized" && error.errorName === "invalid_token_error",
          value: undefined,
        },
      })
    })

    const disconnectEntity = Effect.fn("FinchClient.disconnectEntity")(function* (
      token: Redacted.Redacted<string>,
      entityIds: ReadonlyArray<EntityId>,
    ) {
      yield* execute({
        operation: "POST /disconnect-entity",
        auth: bearer(token),
        body: { entity_ids: entityIds },
        decode: (json) => Effect.asVoid(Schema.decodeUnknown(DisconnectResponse)(json)),
      })
    })

    const company = Effect.fn("FinchClient.company")(function* (
      token: Redacted.Redacted<string>,
      options?: EmployerReadOptions,
    ) {
      return yield* execute<Company>({
        operation: "GET /employer/company",
        auth: bearer(token),
        query: entityQuery(options),
        decode: Schema.decodeUnknown(FinchData.Company),
      })
    })

    const directoryPage = (token: Redacted.Redacted<string>, offset: number, options?: EmployerReadOptions) =>
      execute({
        operation: "GET /employer/directory",
        auth: bearer(token),
        query: [["limit", String(pageSize)], ["offset", String(offset)], ...entityQuery(options)],
        // A page whose offset is not the one asked for is refused: following it could loop or skip people.
        decode: (json) =>
          Effect.flatMap(decodeDirectoryPage(json), (page) =>
            Either.match(nextOffset(offset, page), {
              onLeft: Effect.fail,
              onRight: (next) => Effect.succeed([Chunk.unsafeFromArray(page.individuals), next] as const),
            }),
          ),
      }).pipe(Effect.withSpan("FinchClient.directoryPage", { attributes: { offset, limit: pageSize } }))

    const directory = (
      token: Redacted.Redacted<string>,
      options?: EmployerReadOptions,
    ): Stream.Stream<DirectoryIndividual, FinchError> =>
      Stream.paginateChunkEffect(0, (offset) => directoryPage(token, offset, options)).pipe(
        Stream.withSpan("FinchClient.directory"),
      )

    const batch = <A, I>(
      operation: "POST /employer/individual" | "POST /employer/employment",
      schema: Schema.Schema<A, I>,
      token: Redacted.Redacted<string>,
      individualIds: ReadonlyArray<string>,
      extra: { readonly query: ReadonlyArray<readonly [string, string]>; readonly options?: unknown },
    ): Effect.Effect<ReadonlyArray<BatchItem<A>>, FinchError> =>
      Effect.forEach(batchesOf(individualIds, batchSize), (ids) =>
        execute({
          operation,
          auth: bearer(token),
          query: extra.query,
          body: {
            requests: ids.map((id) => ({ individual_id: id })),
            ...(extra.options === undefined ? {} : { options: extra.options }),
          },
          decode: (json) => Effect.map(decodeBatchResponse(json), (r) => toBatchItems(schema, r.responses)),
        }),
      ).pipe(Effect.map((pages) => pages.flat()))

    const individuals = Effect.fn("FinchClient.individuals")(function* (
      token: Redacted.Redacted<string>,
      individualIds: ReadonlyArray<string>,
      options?: EmployerReadOptions & { readonly includeSsn?: boolean },
    ) {
      yield* Effect.annotateCurrentSpan("finch.individual_count", individualIds.length)
      return yield* batch("POST /employer/individual", FinchData.Individual, token, individualIds, {
        query: entityQuery(options),
        options: options?.includeSsn === true ? { include: ["ssn"] } : undefined,
      })
    })

    const employments = Effect.fn("FinchClient.employments")(function* (
      token: Redacted.Redacted<string>,
      individualIds: ReadonlyArray<string>,
      options?: EmployerReadOptions,
    ) {
      yield* Effect.annotateCurrentSpan("finch.individual_count", individualIds.length)
      return yield* batch("POST /employer/employment", FinchData.Employment, token, individualIds, {
        query: entityQuery(options),
      })
    })

    const providers = Effect.fn("FinchClient.providers")(function* (token?: Redacted.Redacted<string>) {
      return yield* execute({
        operation: "GET /providers",
        auth: token === undefined ? { _tag: "None" } : bearer(token),
        decode: Schema.decodeUnknown(ProvidersResponse),
      })
    })

    return {
      exchangeCode,
      introspect,
      createConnectSession,
      createReauthenticationSession,
      disconnect,
      disconnectEntity,
      company,
      directory,
      individuals,
      employments,
      providers,
    } satisfies FinchClientService
  })

/** Provides the client and, through it, core's `FinchGateway` port. Needs an `HttpClient` (e.g. `FetchHttpClient.layer`). */
export const layer = (options: Options = {}): Layer.Layer<FinchClient | FinchGateway, never, HttpClient.HttpClient> =>
  Layer.effectContext(
    Effect.map(make(options), (client) => Context.make(FinchClient, client).pipe(Context.add(FinchGateway, client))),
  )

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * The client's settings from the environment: `FINCH_BASE_URL` (default `https://api.tryfinch.com`),
 * `FINCH_CLIENT_ID`, `FINCH_CLIENT_SECRET` (redacted; both optional, needed only for token exchange and Connect
 * sessions), `FINCH_TIMEOUT_MS` (default 60000), `FINCH_MAX_RETRIES` (default 2), `FINCH_RATE_LIMITS`
 * (`finch` (default) or `off`).
 */
export const config: Config.Config<Options> = Config.all({
  baseUrl: Config.string("FINCH_BASE_URL").pipe(
    Config.withDefault(defaultBaseUrl),
    Config.validate({
      message: "FINCH_BASE_URL must be an http(s) URL",
      validation: (url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol),
    }),
  ),
  clientId: optional(Config.string("FINCH_CLIENT_ID")),
  clientSecret: optional(Config.redacted("FINCH_CLIENT_SECRET")),
  timeout: Config.integer("FINCH_TIMEOUT_MS").pipe(
    Config.withDefault(60_000),
    Config.validate({ message: "FINCH_TIMEOUT_MS must be positive", validation: (ms) => ms > 0 }),
    Config.map(Duration.millis),
  ),
  maxRetries: Config.integer("FINCH_MAX_RETRIES").pipe(
    Config.withDefault(2),
    Config.validate({ message: "FINCH_MAX_RETRIES must be 0 or more", validation: (n) => n >= 0 }),
  ),
  rateLimits: Config.literal("finch", "off")("FINCH_RATE_LIMITS").pipe(Config.withDefault("finch" as const)),
})

/** `layer`, with its options read through `Config` (by default `config`, i.e. the `FINCH_*` variables). */
export const layerConfig = (
  options: Config.Config.Wrap<Options> = config,
): Layer.Layer<FinchClient | FinchGateway, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(options), layer))
