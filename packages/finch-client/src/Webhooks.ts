/**
 * Verifies that a webhook really comes from Finch (reference §7, the SDK's scheme): `Finch-Signature` holds
 * space-separated `v1,<base64 HMAC-SHA256>` entries over `` `${Finch-Event-Id}.${Finch-Timestamp}.${rawBody}` ``,
 * keyed with the base64-decoded webhook secret; one matching entry suffices (two exist while a secret rotates), and
 * the timestamp must be within 5 minutes of now either way.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** The webhook secret is not base64 (it must decode and re-encode to itself). */
export class InvalidWebhookSecret extends Schema.TaggedError<InvalidWebhookSecret>()("InvalidWebhookSecret", {}) {
  override get message() {
    return "the Finch webhook secret is not valid base64"
  }
}

/** A webhook failed verification; `reason` says which check, never the secret or the expected signature. */
export class WebhookVerificationError extends Schema.TaggedError<WebhookVerificationError>()(
  "WebhookVerificationError",
  {
    reason: Schema.Literal(
      "MissingHeader",
      "InvalidTimestamp",
      "TimestampTooOld",
      "TimestampTooNew",
      "NoMatchingSignature",
      "InvalidJson",
    ),
    detail: Schema.String,
    /** `Finch-Event-Id`, when it was present. */
    eventId: Schema.NullOr(Schema.String),
  },
) {
  override get message() {
    return `Finch webhook rejected (${this.reason}): ${this.detail}`
  }
}

/** Headers as frameworks hand them over: a Fetch `Headers`, or a record (any case; Node may give arrays). */
export type IncomingHeaders = globalThis.Headers | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** What a webhook delivery consists of. The body is the raw text as received, not a re-serialised object. */
export interface Delivery {
  readonly headers: IncomingHeaders
  readonly body: string
}

/** How far a timestamp may be from now, either way. */
export const toleranceSeconds = 5 * 60

const headerOf = (headers: IncomingHeaders, name: string): string | undefined => {
  if (headers instanceof globalThis.Headers) return headers.get(name) ?? undefined
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return typeof value === "string" ? value : value?.[0]
  }
  return undefined
}

/** Decodes the secret to its key bytes, refusing a string that is not canonical base64 (as the SDK does). */
export const decodeSecret = (secret: Redacted.Redacted<string>): Either.Either<Buffer, InvalidWebhookSecret> => {
  const text = Redacted.value(secret)
  const key = Buffer.from(text, "base64")
  return text.length > 0 && key.toString("base64") === text
    ? Either.right(key)
    : Either.left(new InvalidWebhookSecret())
}

/** The `v1,<base64>` signature of a delivery's content; what Finch sends and what tests sign with. */
export const sign = (
  key: Buffer,
  content: { readonly eventId: string; readonly timestamp: string; readonly body: string },
): string =>
  `v1,${createHmac("sha256", key).update(`${content.eventId}.${content.timestamp}.${content.body}`, "utf8").digest("base64")}`

const fail = (reason: WebhookVerificationError["reason"], detail: string, eventId: string | null) =>
  Effect.fail(new WebhookVerificationError({ reason, detail, eventId }))

/** Checks a delivery against a decoded key at the current time (from `Clock`). */
export const verifyWithKey = (key: Buffer, delivery: Delivery): Effect.Effect<void, WebhookVerificationError> =>
  Effect.gen(function* () {
    const eventId = headerOf(delivery.headers, "finch-event-id")
    const timestamp = headerOf(delivery.headers, "finch-timestamp")
    const signatures = headerOf(delivery.headers, "finch-signature")
    if (eventId === undefined) return yield* fail("MissingHeader", "Finch-Event-Id is missing", null)
    if (timestamp === undefined) return yield* fail("MissingHeader", "Finch-Timestamp is missing", eventId)
    if (signatures === undefined) return yield* fail("MissingHeader", "Finch-Signature is missing", eventId)
    if (!/^\d+$/.test(timestamp)) {
      return yield* fail("InvalidTimestamp", "Finch-Timestamp is not whole unix seconds", eventId)
    }
    const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const sentSeconds = Number(timestamp)
    if (nowSeconds - sentSeconds > toleranceSeconds) {
      return yield* fail("TimestampTooOld", `sent more than ${toleranceSeconds} s ago`, eventId)
    }
    if (sentSeconds > nowSeconds + toleranceSeconds) {
      return yield* fail("TimestampTooNew", `sent more than ${toleranceSeconds} s in the future`, eventId)
    }
    const expected = Buffer.from(sign(key, { eventId, timestamp, body: delivery.body }).slice("v1,".length), "base64")
    const matches = signatures
      .split(" ")
      .map((entry) => entry.split(","))
      .some(([version, signature]) => {
        if (version !== "v1" || signature === undefined) return false
        const given = Buffer.from(signature, "base64")
        return given.length === expected.length && timingSafeEqual(given, expected)
      })
    if (!matches) return yield* fail("NoMatchingSignature", "no v1 signature matches this delivery", eventId)
  })

/** Verifies webhooks with the configured secret. */
export class Webhooks extends Context.Tag("@finch-connections/finch-client/Webhooks")<
  Webhooks,
  {
    /** Succeeds when the delivery is signed by Finch within the tolerance. */
    readonly verify: (delivery: Delivery) => Effect.Effect<void, WebhookVerificationError>
    /** Verifies, then parses the body as JSON. */
    readonly unwrap: (delivery: Delivery) => Effect.Effect<unknown, WebhookVerificationError>
  }
>() {}

/** Builds the verifier; fails when the secret is not valid base64. */
export const make = (options: {
  readonly secret: Redacted.Redacted<string>
}): Effect.Effect<Context.Tag.Service<Webhooks>, InvalidWebhookSecret> =>
  Effect.map(decodeSecret(options.secret), (key) => {
    const verify = (delivery: Delivery) => verifyWithKey(key, delivery).pipe(Effect.withSpan("Webhooks.verify"))
    const unwrap = (delivery: Delivery) =>
      Effect.zipRight(
        verify(delivery),
        Effect.try({
          try: (): unknown => JSON.parse(delivery.body),
          catch: () =>
            new WebhookVerificationError({
              reason: "InvalidJson",
              detail: "the signed body is not JSON",
              eventId: headerOf(delivery.headers, "finch-event-id") ?? null,
            }),
        }),
      )
    return { verify, unwrap }
  })

/** Provides `Webhooks` with the given secret. */
export const layer = (options: { readonly secret: Redacted.Redacted<string> }) => Layer.effect(Webhooks, make(options))

/** Provides `Webhooks` with the secret read from `FINCH_WEBHOOK_SECRET` (or the given config). */
export const layerConfig = (
  options: Config.Config.Wrap<{ readonly secret: Redacted.Redacted<string> }> = {
    secret: Config.redacted("FINCH_WEBHOOK_SECRET"),
  },
): Layer.Layer<Webhooks, ConfigError.ConfigError | InvalidWebhookSecret> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(options), layer))
