/**
 * The API served over HTTP by `@hono/node-server` for the life of the layer: `HOST` (default 127.0.0.1) and `PORT`
 * (default 3000; 0 picks a free port); `CONNECTIONS_PAGE_URL` and `PUBLIC_URL` as in `AppOptions`. Prints `api: http://<host>:<port>` once listening.
 */
import type { AddressInfo } from "node:net"
import { serve } from "@hono/node-server"
import { Config, Console, Context, Effect, Layer, Option } from "effect"
import { createApp } from "./App.ts"
import type { ApiServices } from "./Handler.ts"

/** Where the API listens, once it does. */
export class ApiAddress extends Context.Tag("@finch-connections/api/ApiAddress")<
  ApiAddress,
  { readonly url: string }
>() {}

/** Serves `createApp` on the layer's runtime until the layer is released; provides where it listens. */
export const layer = Layer.scoped(
  ApiAddress,
  Effect.gen(function* () {
    const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    const port = yield* Config.integer("PORT").pipe(
      Config.withDefault(3000),
      Config.validate({ message: "PORT must be 0 (any free port) to 65535", validation: (p) => p >= 0 && p <= 65535 }),
    )
    const page = yield* Config.string("CONNECTIONS_PAGE_URL").pipe(Config.withDefault("/pages/connections"))
    const publicUrl = yield* Config.option(Config.string("PUBLIC_URL"))
    const app = createApp(yield* Effect.runtime<ApiServices>(), {
      connectionsPageUrl: page,
      ...(Option.isSome(publicUrl) && publicUrl.value !== "" ? { publicUrl: publicUrl.value } : {}),
    })
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof serve>>((resume) => {
        const listening = serve({ fetch: app.fetch, hostname: host, port }, () => resume(Effect.succeed(listening)))
      }),
      (listening) => Effect.async<void>((resume) => void listening.close(() => resume(Effect.void))),
    )
    const address = server.address() as AddressInfo
    const url = `http://${host}:${address.port}`
    yield* Console.log(`api: ${url}`)
    return ApiAddress.of({ url })
  }),
)
