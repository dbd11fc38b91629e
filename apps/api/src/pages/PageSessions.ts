/**
 * Who may see the pages: a short-lived signed link the application's backend asks for (`POST …/sessions`), traded
 * once opened for a signed, expiring session cookie naming one customer (single use is the caller's to enforce, with
 * the link's random id). Forms carry a CSRF token that is an HMAC of
 * the session's random id, so only pages rendered for that session can post. Everything is signed with HMAC-SHA256
 * under `PAGE_SESSION_SECRET` — or under a key made at start when none is configured (sessions end at a restart).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto"
import { CustomerId } from "@finch-connections/core/Ids"
import { Clock, Config, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"

/** A link or cookie that is malformed, not signed by us, of the wrong kind, or expired. */
export class InvalidPageSession extends Schema.TaggedError<InvalidPageSession>()("InvalidPageSession", {
  reason: Schema.Literal("missing", "malformed", "forged", "expired", "used"),
}) {
  override get message() {
    return "the page link or session is invalid, used or expired"
  }
}

/** A verified page session: one customer, until `expiresAt`. */
export interface PageSession {
  readonly sessionId: string
  readonly customerId: CustomerId
  readonly expiresAt: Date
}

/** What a verified link says. */
export interface PageLink {
  readonly linkId: string
  readonly customerId: CustomerId
  readonly expiresAt: Date
}

/** A signed token and when it stops working. */
export interface Signed {
  readonly token: string
  readonly expiresAt: Date
}

const Kind = Schema.Literal("link", "session")
type Kind = typeof Kind.Type

const Payload = Schema.parseJson(
  Schema.Struct({ kind: Kind, id: Schema.String, customer_id: CustomerId, exp: Schema.Number }),
)
const encodePayload = Schema.encodeSync(Payload)
const decodePayload = Schema.decodeUnknownEither(Payload)

/** Signs and verifies page links, session cookies and CSRF tokens. */
export class PageSessions extends Context.Tag("@finch-connections/api/PageSessions")<
  PageSessions,
  {
    /** A fresh link token for the customer (opened once by a browser, within minutes). */
    readonly link: (customerId: CustomerId) => Effect.Effect<Signed>
    /** The link's content when it is ours and unexpired. */
    readonly verifyLink: (link: string) => Effect.Effect<PageLink, InvalidPageSession>
    /** A fresh session cookie for the customer (whose verified link was just spent). */
    readonly start: (customerId: CustomerId) => Effect.Effect<Signed & { readonly session: PageSession }>
    /** The session a cookie names, when it is ours and unexpired. */
    readonly verify: (cookie: string | undefined) => Effect.Effect<PageSession, InvalidPageSession>
    /** The CSRF token of the session's forms. */
    readonly csrfToken: (session: PageSession) => string
    /** Whether `given` is the session's CSRF token (constant time). */
    readonly checkCsrf: (session: PageSession, given: string | undefined) => boolean
  }
>() {}

/** The URL of a link token on the API at `origin` (e.g. `http://127.0.0.1:3000`): what a browser opens. */
export const linkUrl = (origin: string, token: string): string => {
  const url = new URL("/pages/session", origin)
  url.searchParams.set("token", token)
  return url.toString()
}

/** A link is opened right after it is asked for. */
export const defaultLinkTtlSeconds = 10 * 60
/** A working day on the page. */
export const defaultSessionTtlSeconds = 8 * 60 * 60

/** Builds the signer over `secret`. */
export const make = (options: {
  readonly secret: Redacted.Redacted<string>
  readonly linkTtlSeconds?: number
  readonly sessionTtlSeconds?: number
}): PageSessions["Type"] => {
  const linkTtl = options.linkTtlSeconds ?? defaultLinkTtlSeconds
  const sessionTtl = options.sessionTtlSeconds ?? defaultSessionTtlSeconds
  const mac = (purpose: string, text: string) =>
    createHmac("sha256", Redacted.value(options.secret)).update(`${purpose}\n${text}`, "utf8").digest()

  const sign = (kind: Kind, customerId: CustomerId, ttlSeconds: number) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const exp = now + ttlSeconds * 1000
      const id = randomUUID()
      const payload = Buffer.from(encodePayload({ kind, id, customer_id: customerId, exp }), "utf8").toString(
        "base64url",
      )
      return {
        token: `${payload}.${mac(kind, payload).toString("base64url")}`,
        expiresAt: new Date(exp),
        session: { sessionId: id, customerId, expiresAt: new Date(exp) },
      }
    })

  const check = (kind: Kind, token: string | undefined) =>
    Effect.gen(function* () {
      if (token === undefined || token === "") return yield* new InvalidPageSession({ reason: "missing" })
      const [payload, signature, ...rest] = token.split(".")
      if (payload === undefined || signature === undefined || rest.length > 0) {
        return yield* new InvalidPageSession({ reason: "malformed" })
      }
      const given = Buffer.from(signature, "base64url")
      // The kind is part of what is signed: a session cookie is not a link, nor a link a cookie.
      const expected = mac(kind, payload)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return yield* new InvalidPageSession({ reason: "forged" })
      }
      const decoded = decodePayload(Buffer.from(payload, "base64url").toString("utf8"))
      if (Either.isLeft(decoded) || decoded.right.kind !== kind) {
        return yield* new InvalidPageSession({ reason: "malformed" })
      }
      if (decoded.right.exp <= (yield* Clock.currentTimeMillis)) {
        return yield* new InvalidPageSession({ reason: "expired" })
      }
      return {
        sessionId: decoded.right.id,
        customerId: decoded.right.customer_id,
        expiresAt: new Date(decoded.right.exp),
      } satisfies PageSession
    })

  const csrfToken = (session: PageSession) => mac("csrf", session.sessionId).toString("base64url")

  return PageSessions.of({
    link: (customerId) =>
      Effect.map(sign("link", customerId, linkTtl), ({ token, expiresAt }) => ({ token, expiresAt })),
    verifyLink: (link) =>
      Effect.map(check("link", link), (opened) => ({
        linkId: opened.sessionId,
        customerId: opened.customerId,
        expiresAt: opened.expiresAt,
      })),
    start: (customerId) => sign("session", customerId, sessionTtl),
    verify: (cookie) => check("session", cookie),
    csrfToken,
    checkCsrf: (session, given) => {
      if (given === undefined) return false
      const expected = Buffer.from(csrfToken(session), "utf8")
      const presented = Buffer.from(given, "utf8")
      return presented.length === expected.length && timingSafeEqual(presented, expected)
    },
  })
}

/** The signer as a layer. */
export const layer = (options: Parameters<typeof make>[0]) => Layer.succeed(PageSessions, make(options))

/** The signer keyed by `PAGE_SESSION_SECRET`, or by a random key made now when it is not set. */
export const layerConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const secret = yield* Config.option(Config.redacted("PAGE_SESSION_SECRET"))
    return layer({
      secret: Option.getOrElse(
        Option.filter(secret, (value) => Redacted.value(value) !== ""),
        () => Redacted.make(randomBytes(32).toString("base64")),
      ),
    })
  }),
)
