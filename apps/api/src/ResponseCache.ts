/**
 * The rendered bodies of the connection list and get answers, kept per (customer, route) so a repeated read is a map
 * lookup. Never stale beyond a notification's latency:
 *
 * - core's `CustomerChanges` (PostgreSQL `LISTEN`, `PgCustomerChanges`) names each customer whose data changed, from
 *   any process; that customer's bodies go. While it is `Blind` (the listening session down or reconnecting) nothing
 *   is kept and nothing is served from here; everything kept before goes.
 * - The API's own writes drop the customer's bodies (every one's, for writes not under `/v1/customers/{id}`) as they
 *   answer (`App.ts`), so a client reads its own writes before the notification arrives.
 * - A read takes a `Ticket` before it starts; its body is kept only if no change of that customer (and no `Blind`)
 *   came between, so a read overtaken by a change never lands in the cache.
 *
 * Bodies are only filled from reads done under the customer's row-level security context, and looked up by the
 * customer id the route was called with: one customer's body can never answer for another. Every answer carries an
 * `ETag` (a hash of the body); a matching `If-None-Match` gets 304.
 *
 * `API_RESPONSE_CACHE=false` turns it off (no listening session; every read goes to the database).
 */
import { hash } from "node:crypto"
import { CustomerChange, CustomerChanges } from "@finch-connections/core/CustomerChanges"
import type { CustomerId } from "@finch-connections/core/Ids"
import * as PgCustomerChanges from "@finch-connections/store-postgres/PgCustomerChanges"
import { Config, Context, Effect, Either, Layer, Stream } from "effect"
import type { Context as HonoContext } from "hono"
import { type ApiEnv, type ApiRuntime, type ApiServices, runForAnswer } from "./Handler.ts"
import * as HttpErrors from "./HttpErrors.ts"

/** A rendered body (UTF-8, encoded once) and its entity tag. */
export interface CachedBody {
  readonly body: Uint8Array<ArrayBuffer>
  readonly etag: string
}

interface Bucket {
  /** Bumped by every change of the customer. */
  generation: number
  readonly bodies: Map<string, CachedBody>
  bytes: number
}

/** What a read holds while it runs: where its body may go, and the state it must still find. */
export interface Ticket {
  readonly customerId: string
  readonly bucket: Bucket
  readonly generation: number
  readonly epoch: number
}

/** How much the cache may hold; past it the customers filled longest ago go first. */
export interface ResponseCacheOptions {
  /** Body bytes kept in all; 64 MiB unless given. */
  readonly maxBytes?: number
  /** Customers kept; 10,000 unless given. */
  readonly maxCustomers?: number
}

/** The cache. Its methods are plain functions: the hit path is a lookup, not a program. */
export class ResponseCache extends Context.Tag("@finch-connections/api/ResponseCache")<
  ResponseCache,
  {
    /** The body kept for the customer's route, if any. */
    readonly lookup: (customerId: string, route: string) => CachedBody | undefined
    /** Taken before a read: the read's body is kept only if nothing changed for the customer in between. */
    readonly ticket: (customerId: string) => Ticket
    /** The body with its ETag, kept for the route when the ticket is still good and changes are watched. */
    readonly fill: (ticket: Ticket, route: string, body: string) => CachedBody
    /** Drops the customer's bodies (the API's own writes; a notification). */
    readonly invalidate: (customerId: string) => void
    /** Drops every body. */
    readonly invalidateAll: () => void
    /** Follows a change the store announced. */
    readonly follow: (change: CustomerChange) => void
  }
>() {}

/** The body's entity tag: a SHA-1 of it, quoted. */
export const etagOf = (body: string): string => `"${hash("sha1", body, "base64url")}"`

/** A cache that starts blind: it keeps nothing until it is told changes are watched (`follow(Watching)`). */
export const make = (options: ResponseCacheOptions = {}): ResponseCache["Type"] => {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  const maxCustomers = options.maxCustomers ?? 10_000
  const buckets = new Map<string, Bucket>()
  let bytes = 0
  let epoch = 0
  let watching = false

  const drop = (customerId: string, bucket: Bucket) => {
    buckets.delete(customerId)
    bytes -= bucket.bytes
  }
  const invalidate = (customerId: string) => {
    const bucket = buckets.get(customerId)
    if (bucket === undefined) return
    bucket.generation++
    bytes -= bucket.bytes
    bucket.bytes = 0
    bucket.bodies.clear()
  }
  const invalidateAll = () => {
    epoch++
    buckets.clear()
    bytes = 0
  }
  const evict = () => {
    for (const [customerId, bucket] of buckets) {
      if (bytes <= maxBytes && buckets.size <= maxCustomers) return
      drop(customerId, bucket)
    }
  }

  return ResponseCache.of({
    lookup: (customerId, route) => (watching ? buckets.get(customerId)?.bodies.get(route) : undefined),
    ticket: (customerId) => {
      let bucket = buckets.get(customerId)
      if (bucket === undefined) {
        bucket = { generation: 0, bodies: new Map(), bytes: 0 }
        buckets.set(customerId, bucket)
        if (buckets.size > maxCustomers) evict()
      }
      return { customerId, bucket, generation: bucket.generation, epoch }
    },
    fill: (ticket, route, body) => {
      const cached = { body: Buffer.from(body), etag: etagOf(body) }
      const { bucket } = ticket
      if (
        watching &&
        ticket.epoch === epoch &&
        bucket.generation === ticket.generation &&
        buckets.get(ticket.customerId) === bucket &&
        cached.body.byteLength <= maxBytes
      ) {
        const grown = cached.body.byteLength - (bucket.bodies.get(route)?.body.byteLength ?? 0)
        bucket.bytes += grown
        bytes += grown
        bucket.bodies.set(route, cached)
        if (bytes > maxBytes) evict()
      }
      return cached
    },
    invalidate,
    invalidateAll,
    follow: (change) =>
      CustomerChange.$match(change, {
        Watching: () => {
          invalidateAll()
          watching = true
        },
        Changed: ({ customerId }) => invalidate(customerId),
        EveryoneChanged: invalidateAll,
        Blind: () => {
          watching = false
          invalidateAll()
        },
      }),
  })
}

/** The cache following `CustomerChanges` for the life of the layer. */
export const layer = (options: ResponseCacheOptions = {}): Layer.Layer<ResponseCache, never, CustomerChanges> =>
  Layer.scoped(
    ResponseCache,
    Effect.gen(function* () {
      const cache = make(options)
      const { changes } = yield* CustomerChanges
      yield* Effect.forkScoped(Stream.runForEach(changes, (change) => Effect.sync(() => cache.follow(change))))
      return cache
    }),
  )

/** No cache: every read goes to the database (still with its ETag). */
export const layerDisabled: Layer.Layer<ResponseCache> = Layer.sync(ResponseCache, () => make())

/**
 * `API_RESPONSE_CACHE` (default `true`): the cache, following the store's `LISTEN` session on the API's pool's
 * server; `false`: none, and no listening session.
 */
export const layerConfig = Layer.unwrapEffect(
  Effect.map(Config.boolean("API_RESPONSE_CACHE").pipe(Config.withDefault(true)), (on) =>
    on ? layer().pipe(Layer.provide(PgCustomerChanges.layer)) : layerDisabled,
  ),
)

/** Whether `If-None-Match` names `etag` (or is `*`). */
const matches = (ifNoneMatch: string | undefined, etag: string) =>
  ifNoneMatch?.split(",").some((tag) => {
    const trimmed = tag.trim()
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`
  }) === true

const answer = (c: HonoContext<ApiEnv, any, any>, cached: CachedBody) =>
  matches(c.req.header("if-none-match"), cached.etag)
    ? c.body(null, 304, { etag: cached.etag })
    : c.body(cached.body, 200, { "content-type": "application/json", etag: cached.etag })

/**
 * Answers a customer's cacheable JSON route: the kept body, or `read()` (run on the runtime; its failures answered as
 * every handler's are) rendered by `render` and kept. `read` is only built on a miss.
 */
export const cachedJson = async <A, E>(
  runtime: ApiRuntime,
  c: HonoContext<ApiEnv, any, any>,
  key: { readonly customerId: CustomerId; readonly route: string },
  read: () => Effect.Effect<A, E, ApiServices>,
  render: (value: A) => unknown,
): Promise<Response> => {
  const cache = Context.get(runtime.context, ResponseCache)
  const hit = cache.lookup(key.customerId, key.route)
  if (hit !== undefined) return answer(c, hit)
  const ticket = cache.ticket(key.customerId)
  return Either.match(await runForAnswer(runtime, c, read()), {
    onLeft: (failure) => HttpErrors.respond(c, failure),
    onRight: (value) => answer(c, cache.fill(ticket, key.route, JSON.stringify(render(value)))),
  })
}
