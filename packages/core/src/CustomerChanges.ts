/**
 * The port that tells which customers' data changed, whoever changed it (another process, a worker, a person at a SQL
 * prompt), for readers that keep copies (the API's response cache). It also says when it may have missed changes, so
 * a copy is never trusted past what it can vouch for.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { CustomerId } from "./Ids.ts"

/**
 * What a subscriber hears:
 * - `Watching`: from now on every committed change is announced (until `Blind`);
 * - `Changed`: that customer's data changed;
 * - `EveryoneChanged`: any customer's data may have changed (e.g. a table was emptied);
 * - `Blind`: changes may go unannounced (the watch is down), until the next `Watching`.
 */
export type CustomerChange = Data.TaggedEnum<{
  Watching: Record<never, never>
  Changed: { readonly customerId: CustomerId }
  EveryoneChanged: Record<never, never>
  Blind: Record<never, never>
}>
/** Constructors and matchers for `CustomerChange`. */
export const CustomerChange = Data.taggedEnum<CustomerChange>()

/** Changes of customers' data, as they commit. */
export class CustomerChanges extends Context.Tag("@finch-connections/core/CustomerChanges")<
  CustomerChanges,
  {
    /** The changes from subscription on, starting with the watch's current state (`Watching` or `Blind`). */
    readonly changes: Stream.Stream<CustomerChange>
  }
>() {}

/** What tests do with the in-memory changes: announce one, as a store would. */
export class CustomerChangesMemory extends Context.Tag("@finch-connections/core/CustomerChanges/CustomerChangesMemory")<
  CustomerChangesMemory,
  { readonly announce: (change: CustomerChange) => Effect.Effect<void> }
>() {}

/** In-memory changes for tests: `Watching` from the start, then whatever `CustomerChangesMemory.announce` says. */
export const layerMemory: Layer.Layer<CustomerChanges | CustomerChangesMemory> = Layer.effectContext(
  Effect.gen(function* () {
    const hub = yield* PubSub.unbounded<CustomerChange>()
    const state = yield* Ref.make<CustomerChange>(CustomerChange.Watching())
    const changes = Stream.unwrapScoped(
      Effect.gen(function* () {
        const subscription = yield* PubSub.subscribe(hub)
        const current = yield* Ref.get(state)
        return Stream.concat(Stream.make(current), Stream.fromQueue(subscription))
      }),
    )
    const announce = (change: CustomerChange) =>
      Effect.zipRight(
        change._tag === "Watching" || change._tag === "Blind" ? Ref.set(state, change) : Effect.void,
        PubSub.publish(hub, change),
      )
    return Context.make(CustomerChanges, CustomerChanges.of({ changes })).pipe(
      Context.add(CustomerChangesMemory, { announce }),
    )
  }),
)
