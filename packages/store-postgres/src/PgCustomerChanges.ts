/**
 * core's `CustomerChanges` on PostgreSQL: one dedicated session `LISTEN`s on `customer_changed`, which the triggers
 * of migration 0031 notify with a customer's id when a change to what its connection listing shows commits.
 *
 * The session's state is part of what subscribers hear: `Blind` until `LISTEN` has answered, `Watching` from then on,
 * `Blind` again as soon as the session fails, ends or misses a heartbeat (a network that stops answering without
 * closing), after which it reconnects with backoff and says `Watching` once listening again. Nothing committed while
 * `Blind` is announced later: whoever keeps copies drops them all.
 */
import { CustomerChange as Change, type CustomerChange, CustomerChanges } from "@finch-connections/core/CustomerChanges"
import type { CustomerId } from "@finch-connections/core/Ids"
import { Duration, Effect, Layer, PubSub, Ref, type Scope, Stream } from "effect"
import pg from "pg"
import { poolOf } from "./Database.ts"
import * as PgDatabase from "./PgDatabase.ts"

/** The channel migration 0031's triggers notify. */
export const channel = "customer_changed"

/** How the listening session names itself in `pg_stat_activity`. */
export const applicationName = "finch-connections customer changes"

/** The dedicated session, and how long it may stay silent before it is presumed lost. */
export interface PgCustomerChangesOptions {
  /** Opens the listening session (not yet connected). */
  readonly client: () => pg.Client
  /** How often the session is asked to answer (`SELECT 1`); 10 seconds unless given. */
  readonly heartbeat?: Duration.DurationInput
  /** How long an answer may take before the session counts as lost; 5 seconds unless given. */
  readonly heartbeatTimeout?: Duration.DurationInput
}

/** The change a notification's payload stands for: a customer's id, or empty for every customer (`TRUNCATE`). */
const changeOf = (payload: string | undefined): CustomerChange =>
  payload === undefined || payload === ""
    ? Change.EveryoneChanged()
    : Change.Changed({ customerId: payload as CustomerId })

/** Watches for the life of the scope (reconnecting as needed); subscribers hear it through `changes`. */
export const make = (options: PgCustomerChangesOptions): Effect.Effect<CustomerChanges["Type"], never, Scope.Scope> =>
  Effect.gen(function* () {
    const hub = yield* PubSub.unbounded<CustomerChange>()
    const state = yield* Ref.make<CustomerChange>(Change.Blind())
    const announce = (change: CustomerChange) =>
      Effect.zipRight(
        change._tag === "Watching" || change._tag === "Blind" ? Ref.set(state, change) : Effect.void,
        PubSub.publish(hub, change),
      )
    const heartbeat = Duration.decode(options.heartbeat ?? "10 seconds")
    const heartbeatTimeout = Duration.decode(options.heartbeatTimeout ?? "5 seconds")

    /** One session: listens, announces, and fails when the session is lost. */
    const watchOnce = Effect.acquireUseRelease(
      Effect.sync(() => {
        const client = options.client()
        // An error with no listener would crash the process; `lost` below acts on it.
        client.on("error", () => {})
        return client
      }),
      (client) =>
        Effect.gen(function* () {
          const lost = Effect.async<never, Error>((resume) => {
            client.on("error", (error) => resume(Effect.fail(error)))
            client.on("end", () => resume(Effect.fail(new Error("the listening session ended"))))
          })
          client.on("notification", (message) => {
            if (message.channel === channel) Effect.runSync(PubSub.publish(hub, changeOf(message.payload)))
          })
          const ask = (text: string) =>
            Effect.tryPromise(() => client.query(text)).pipe(
              Effect.timeoutFail({
                duration: heartbeatTimeout,
                onTimeout: () => new Error("the listening session did not answer"),
              }),
            )
          const listening = Effect.gen(function* () {
            yield* Effect.tryPromise(() => client.connect()).pipe(
              Effect.timeoutFail({ duration: heartbeatTimeout, onTimeout: () => new Error("connecting timed out") }),
            )
            yield* ask(`LISTEN ${channel}`)
            yield* announce(Change.Watching())
            watchedSince = new Date()
            yield* Effect.logDebug("watching customer changes")
            return yield* ask("SELECT 1").pipe(Effect.delay(heartbeat), Effect.forever)
          })
          return yield* Effect.raceFirst(lost, listening)
        }),
      (client) =>
        Effect.zipRight(
          announce(Change.Blind()),
          Effect.promise(() => client.end().catch(() => undefined)),
        ),
    )

    // Backoff from 100 ms doubling to 5 s between attempts; a session that got to listen starts it over.
    const watch = (attempt: number): Effect.Effect<never> =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(watchOnce)
        const watched = watchedSince !== undefined
        watchedSince = undefined
        yield* Effect.logWarning("customer changes unwatched; reconnecting", String(error))
        const next = watched ? 0 : attempt + 1
        yield* Effect.sleep(Duration.millis(Math.min(5000, 100 * 2 ** next) * (0.5 + Math.random() / 2)))
        return yield* watch(next)
      })
    let watchedSince: Date | undefined
    yield* Effect.forkScoped(watch(0))

    const changes = Stream.unwrapScoped(
      Effect.gen(function* () {
        const subscription = yield* PubSub.subscribe(hub)
        return Stream.concat(Stream.make(yield* Ref.get(state)), Stream.fromQueue(subscription))
      }),
    )
    return CustomerChanges.of({ changes })
  })

/** Watches on a session like the store pool's (same server, login and role), apart from the pool. */
export const layer: Layer.Layer<CustomerChanges, never, PgDatabase.PgDatabase> = Layer.scoped(
  CustomerChanges,
  Effect.gen(function* () {
    const db = yield* PgDatabase.PgDatabase
    const pool = poolOf(db)
    if (pool === undefined) return yield* Effect.dieMessage("the store's pool is not one makeKysely made")
    return yield* make({
      client: () => new pg.Client({ ...pool.options, keepAlive: true, application_name: applicationName }),
    })
  }),
)
