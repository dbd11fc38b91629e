/**
 * The `state` of the redirect flow: our own proof that a Finch Connect redirect belongs to a session we opened. It
 * names the customer and the redirect URI (and, for a reauthentication, the login it is for), expires, carries a
 * random id that makes it single use (spent in `ConnectStateLog`), and is signed with HMAC-SHA256 under `CONNECT_STATE_SECRET` — or under a key made at start
 * when none is configured, so states do not survive a restart.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto"
import { AccountId, ConnectionId, CustomerId } from "@finch-connections/core/Ids"
import { Clock, Config, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"

/** A state that is malformed, not signed by us, or expired; which one is deliberately not said to the caller. */
export class InvalidConnectState extends Schema.TaggedError<InvalidConnectState>()("InvalidConnectState", {
  reason: Schema.Literal("malformed", "forged", "expired", "reused"),
}) {
  override get message() {
    return "the state is invalid, expired or already used"
  }
}

/** The login a reauthentication's state is for: its new token must replace that account's. */
export interface ReauthenticationTarget {
  readonly connectionId: ConnectionId
  readonly accountId: AccountId
}

/** What a verified state says. */
export interface ConnectState {
  readonly stateId: string
  readonly customerId: CustomerId
  readonly redirectUri: string
  readonly expiresAt: Date
  readonly reauthenticating: Option.Option<ReauthenticationTarget>
}

const Payload = Schema.parseJson(
  Schema.Struct({
    id: Schema.String,
    customer_id: CustomerId,
    redirect_uri: Schema.String,
    exp: Schema.Number,
    reauth: Schema.optional(Schema.Struct({ connection_id: ConnectionId, account_id: AccountId })),
  }),
)
const encodePayload = Schema.encodeSync(Payload)
const decodePayload = Schema.decodeUnknownEither(Payload)

/** Signs and verifies states. */
export class ConnectStates extends Context.Tag("@finch-connections/api/ConnectStates")<
  ConnectStates,
  {
    /** A fresh signed state for a customer's redirect flow (a reauthentication names its login). */
    readonly sign: (
      customerId: CustomerId,
      redirectUri: string,
      reauthenticating?: ReauthenticationTarget,
    ) => Effect.Effect<string>
    /** The state's content when it is ours and unexpired (single use is the caller's to enforce). */
    readonly verify: (state: string) => Effect.Effect<ConnectState, InvalidConnectState>
  }
>() {}

/** Default lifetime: Finch Connect sessions last up to 30 days, but a person finishes Connect in minutes. */
export const defaultTtlSeconds = 60 * 60

/** Builds the signer over `secret`. */
export const make = (options: {
  readonly secret: Redacted.Redacted<string>
  readonly ttlSeconds?: number
}): ConnectStates["Type"] => {
  const ttl = options.ttlSeconds ?? defaultTtlSeconds
  const mac = (payload: string) => createHmac("sha256", Redacted.value(options.secret)).update(payload, "utf8").digest()
  return ConnectStates.of({
    sign: (customerId, redirectUri, reauthenticating) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const payload = Buffer.from(
          encodePayload({
            id: randomUUID(),
            customer_id: customerId,
            redirect_uri: redirectUri,
            exp: now + ttl * 1000,
            ...(reauthenticating === undefined
              ? {}
              : {
                  reauth: { connection_id: reauthenticating.connectionId, account_id: reauthenticating.accountId },
                }),
          }),
          "utf8",
        ).toString("base64url")
        return `${payload}.${mac(payload).toString("base64url")}`
      }),
    verify: (state) =>
      Effect.gen(function* () {
        const [payload, signature, ...rest] = state.split(".")
        if (payload === undefined || signature === undefined || rest.length > 0) {
          return yield* new InvalidConnectState({ reason: "malformed" })
        }
        const given = Buffer.from(signature, "base64url")
        const expected = mac(payload)
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return yield* new InvalidConnectState({ reason: "forged" })
        }
        const decoded = decodePayload(Buffer.from(payload, "base64url").toString("utf8"))
        if (Either.isLeft(decoded)) return yield* new InvalidConnectState({ reason: "malformed" })
        if (decoded.right.exp <= (yield* Clock.currentTimeMillis)) {
          return yield* new InvalidConnectState({ reason: "expired" })
        }
        return {
          stateId: decoded.right.id,
          customerId: decoded.right.customer_id,
          redirectUri: decoded.right.redirect_uri,
          expiresAt: new Date(decoded.right.exp),
          reauthenticating: Option.map(Option.fromNullable(decoded.right.reauth), (reauth) => ({
            connectionId: reauth.connection_id,
            accountId: reauth.account_id,
          })),
        }
      }),
  })
}

/** Finch's Connect URL carrying a fresh signed state, for a redirect flow that ends at `redirectUri`. */
export const withSignedState = (
  connectUrl: string,
  input: {
    readonly customerId: CustomerId
    readonly redirectUri: string
    readonly reauthenticating?: ReauthenticationTarget
  },
) =>
  Effect.map(
    Effect.flatMap(ConnectStates, (states) => states.sign(input.customerId, input.redirectUri, input.reauthenticating)),
    (state) => {
      const url = new URL(connectUrl)
      url.searchParams.set("state", state)
      return url.toString()
    },
  )

/** The signer as a layer. */
export const layer = (options: { readonly secret: Redacted.Redacted<string>; readonly ttlSeconds?: number }) =>
  Layer.succeed(ConnectStates, make(options))

/** The signer keyed by `CONNECT_STATE_SECRET`, or by a random key made now when it is not set. */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const secret = yield* Config.option(Config.redacted("CONNECT_STATE_SECRET"))
    return layer({
      secret: Option.getOrElse(
        Option.filter(secret, (value) => Redacted.value(value) !== ""),
        () => Redacted.make(randomBytes(32).toString("base64")),
      ),
    })
  }),
)
