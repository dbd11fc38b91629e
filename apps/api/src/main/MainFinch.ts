/**
 * Which Finch the main job talks to: the real one when `FINCH_CLIENT_ID` and `FINCH_CLIENT_SECRET` are set, else the
 * finch-sandbox started in this process on a free loopback port (zero configuration), its signed webhooks sent to
 * this API. The answer is a set of `FINCH_*` variables for this process's config and for the worker's environment.
 */
import { randomBytes } from "node:crypto"
import { startSandbox } from "@finch-connections/finch-sandbox/Sandbox"
import { Config, Effect, Option } from "effect"

/** The Finch in use. */
export interface MainFinch {
  /** `FINCH_*` variables the Finch client and the webhook verifier read. */
  readonly env: Readonly<Record<string, string>>
  /** The sandbox's base URL when it is the sandbox. */
  readonly sandboxUrl: Option.Option<string>
}

/** Real Finch from the environment, or the sandbox for the life of the scope. */
export const start = Effect.gen(function* () {
  // Blank counts as unset.
  const present = (name: string) =>
    Effect.map(
      Config.option(Config.string(name)),
      Option.exists((value: string) => value.trim() !== ""),
    )
  if ((yield* present("FINCH_CLIENT_ID")) && (yield* present("FINCH_CLIENT_SECRET"))) {
    return { env: {}, sandboxUrl: Option.none() } satisfies MainFinch
  }
  const webhookSecret = randomBytes(32).toString("base64")
  const sandbox = yield* Effect.acquireRelease(
    Effect.promise(() => startSandbox({ port: 0 })),
    (running) => Effect.promise(() => running.close()),
  )
  return {
    env: {
      FINCH_BASE_URL: sandbox.baseUrl,
      FINCH_CLIENT_ID: sandbox.clientId,
      FINCH_CLIENT_SECRET: sandbox.clientSecret,
      FINCH_WEBHOOK_SECRET: webhookSecret,
    },
    sandboxUrl: Option.some(sandbox.baseUrl),
  } satisfies MainFinch
})

/** Points the sandbox's signed webhooks at the API once it listens (`PUT /_sandbox/webhook`). */
export const deliverWebhooksTo = (finch: MainFinch, apiUrl: string) =>
  Option.match(finch.sandboxUrl, {
    onNone: () => Effect.void,
    onSome: (sandboxUrl) =>
      Effect.promise(() =>
        fetch(`${sandboxUrl}/_sandbox/webhook`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ url: `${apiUrl}/v1/webhooks/finch`, secret: finch.env["FINCH_WEBHOOK_SECRET"] }),
        }),
      ).pipe(Effect.asVoid),
  })
