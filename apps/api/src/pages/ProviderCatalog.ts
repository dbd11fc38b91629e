/**
 * Providers' display names and logos for the pages, from Finch's `GET /providers`: fetched on first use and kept in
 * memory for the life of the process (the catalogue changes rarely). When Finch does not answer, the page shows
 * provider ids and the next view asks again.
 */
import { FinchClient } from "@finch-connections/finch-client/FinchClient"
import { Context, Effect, Layer, Option, SynchronizedRef } from "effect"

/** How a provider is shown. */
export interface ProviderInfo {
  readonly name: string
  readonly logo: string | null
}

/** The provider catalogue, cached. */
export class ProviderCatalog extends Context.Tag("@finch-connections/api/ProviderCatalog")<
  ProviderCatalog,
  {
    /** Every known provider by id; empty when Finch could not be asked (the page then shows ids). */
    readonly all: Effect.Effect<ReadonlyMap<string, ProviderInfo>>
  }
>() {}

/** A logo is shown only from an https URL (never `javascript:` or `data:` from a catalogue). */
const httpsOnly = (url: string | null | undefined) =>
  url !== null && url !== undefined && URL.canParse(url) && new URL(url).protocol === "https:" ? url : null

/** The catalogue over the Finch client. */
export const layer = Layer.effect(
  ProviderCatalog,
  Effect.gen(function* () {
    const finch = yield* FinchClient
    const cache = yield* SynchronizedRef.make(Option.none<ReadonlyMap<string, ProviderInfo>>())
    const fetchAll = finch.providers().pipe(
      Effect.timeout("5 seconds"),
      Effect.map(
        (providers): ReadonlyMap<string, ProviderInfo> =>
          new Map(
            providers.map((provider) => [
              provider.id,
              { name: provider.display_name ?? provider.id, logo: httpsOnly(provider.logo ?? provider.icon) },
            ]),
          ),
      ),
      Effect.option,
    )
    return ProviderCatalog.of({
      all: SynchronizedRef.modifyEffect(cache, (cached) =>
        Option.match(cached, {
          onSome: (map) => Effect.succeed([map, cached] as const),
          onNone: () =>
            Effect.map(fetchAll, (fetched) => [Option.getOrElse(fetched, () => new Map()), fetched] as const),
        }),
      ).pipe(Effect.withSpan("ProviderCatalog.all")),
    })
  }),
)
