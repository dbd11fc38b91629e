import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as Webhooks from "../src/Webhooks.ts"
import { recordingServer } from "./fixtures/RecordingServer.ts"
import { sandbox } from "./fixtures/Sandbox.ts"

// The reference's known vector (§7), checked independently with Python's hmac.
const secret = Redacted.make("5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH")
const eventId = "msg_2Lh9KRb0pzN4LePd3XiA4v12Axj"
const timestamp = "1676312382"
const body = `{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}`
const signature = "v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s="

const headers = (overrides: Record<string, string | undefined> = {}) => ({
  "finch-event-id": eventId,
  "finch-timestamp": timestamp,
  "finch-signature": signature,
  ...overrides,
})

const at = (seconds: number) => TestClock.setTime(seconds * 1000)

const verify = (delivery: Webhooks.Delivery) =>
  Effect.flatMap(Webhooks.make({ secret }), (webhooks) => webhooks.verify(delivery))

const reasonOf = (delivery: Webhooks.Delivery) =>
  verify(delivery).pipe(
    Effect.flip,
    Effect.map((error) => (error._tag === "WebhookVerificationError" ? error.reason : error._tag)),
  )

describe("Webhooks", () => {
  it.effect("accepts the known vector at its own time", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      yield* verify({ headers: headers(), body })
    }),
  )

  it.effect("signs the known vector exactly", () =>
    Effect.gen(function* () {
      const key = yield* Webhooks.decodeSecret(secret)
      assert.strictEqual(Webhooks.sign(key, { eventId, timestamp, body }), signature)
    }),
  )

  it.effect("reads headers in any case, and from a Fetch Headers object", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      yield* verify({
        headers: { "Finch-Event-Id": eventId, "FINCH-TIMESTAMP": timestamp, "Finch-Signature": signature },
        body,
      })
      yield* verify({ headers: new Headers(headers()), body })
    }),
  )

  it.effect("accepts any matching v1 entry while a secret rotates, and ignores other versions", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      const rotated = `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,whatever ${signature}`
      yield* verify({ headers: headers({ "finch-signature": rotated }), body })
      const onlyV2 = signature.replace("v1,", "v2,")
      assert.strictEqual(
        yield* reasonOf({ headers: headers({ "finch-signature": onlyV2 }), body }),
        "NoMatchingSignature",
      )
      const noVersion = signature.slice("v1,".length)
      assert.strictEqual(
        yield* reasonOf({ headers: headers({ "finch-signature": noVersion }), body }),
        "NoMatchingSignature",
      )
    }),
  )

  it.effect("rejects a changed body, event id or timestamp", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      assert.strictEqual(
        yield* reasonOf({ headers: headers(), body: body.replace("720b", "720c") }),
        "NoMatchingSignature",
      )
      assert.strictEqual(yield* reasonOf({ headers: headers(), body: `${body} ` }), "NoMatchingSignature")
      assert.strictEqual(
        yield* reasonOf({ headers: headers({ "finch-event-id": `${eventId}x` }), body }),
        "NoMatchingSignature",
      )
      assert.strictEqual(
        yield* reasonOf({ headers: headers({ "finch-timestamp": String(Number(timestamp) + 1) }), body }),
        "NoMatchingSignature",
      )
    }),
  )

  it.effect("rejects a signature made with another secret", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      const otherKey = Buffer.from("another secret, same length!!!!!")
      const forged = Webhooks.sign(otherKey, { eventId, timestamp, body })
      assert.strictEqual(
        yield* reasonOf({ headers: headers({ "finch-signature": forged }), body }),
        "NoMatchingSignature",
      )
    }),
  )

  it.effect("allows 5 minutes either way, not more", () =>
    Effect.gen(function* () {
      const sent = Number(timestamp)
      yield* at(sent + 300)
      yield* verify({ headers: headers(), body })
      yield* at(sent + 301)
      assert.strictEqual(yield* reasonOf({ headers: headers(), body }), "TimestampTooOld")
      yield* at(sent - 300)
      yield* verify({ headers: headers(), body })
      yield* at(sent - 301)
      assert.strictEqual(yield* reasonOf({ headers: headers(), body }), "TimestampTooNew")
    }),
  )

  it.effect("requires all three headers and a whole-seconds timestamp", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      for (const name of ["finch-event-id", "finch-timestamp", "finch-signature"]) {
        assert.strictEqual(yield* reasonOf({ headers: headers({ [name]: undefined }), body }), "MissingHeader")
      }
      for (const bad of ["1676312382.5", "soon", ""]) {
        assert.strictEqual(yield* reasonOf({ headers: headers({ "finch-timestamp": bad }), body }), "InvalidTimestamp")
      }
    }),
  )

  it.effect("refuses a secret that is not canonical base64", () =>
    Effect.gen(function* () {
      for (const bad of [
        "not base64!",
        "5WbX5kEWLlfzsGNjH64I8lOOqUB6e8F",
        "",
        "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH",
      ]) {
        const exit = yield* Effect.exit(Webhooks.make({ secret: Redacted.make(bad) }))
        assert.isTrue(Exit.isFailure(exit), bad)
        assert.isTrue(Either.isLeft(Webhooks.decodeSecret(Redacted.make(bad))))
      }
    }),
  )

  it.effect("unwraps a verified body, and refuses a signed body that is not JSON", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      const webhooks = yield* Webhooks.make({ secret })
      assert.deepStrictEqual(yield* webhooks.unwrap({ headers: headers(), body }), {
        company_id: "720be419-0293-4d32-a707-32179b0827ab",
      })
      const key = yield* Webhooks.decodeSecret(secret)
      const notJson = "not json"
      const signed = Webhooks.sign(key, { eventId, timestamp, body: notJson })
      const error = yield* Effect.flip(
        webhooks.unwrap({ headers: headers({ "finch-signature": signed }), body: notJson }),
      )
      assert.strictEqual(error.reason, "InvalidJson")
      assert.strictEqual(error.eventId, eventId)
    }),
  )

  it.effect("never puts the secret or the expected signature in its errors", () =>
    Effect.gen(function* () {
      yield* at(Number(timestamp))
      const error = yield* Effect.flip(verify({ headers: headers({ "finch-signature": "v1,xxxx" }), body }))
      const shown = `${error.message} ${JSON.stringify(error)}`
      assert.notInclude(shown, Redacted.value(secret))
      assert.notInclude(shown, signature.slice(3))
    }),
  )
})

describe("Webhooks signatures", () => {
  it.prop(
    "whatever the body and event id, a delivery verifies with its own signature and not once a byte changes",
    [FastCheck.string({ unit: "binary", maxLength: 200 }), FastCheck.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/)],
    ([body, id]) => {
      const key = Either.getOrThrow(Webhooks.decodeSecret(secret))
      const now = String(Math.floor(Date.now() / 1000))
      const signed = {
        "finch-event-id": id,
        "finch-timestamp": now,
        "finch-signature": Webhooks.sign(key, { eventId: id, timestamp: now, body }),
      }
      const ok = Effect.runSync(Effect.either(Webhooks.verifyWithKey(key, { headers: signed, body })))
      const changed = Effect.runSync(Effect.either(Webhooks.verifyWithKey(key, { headers: signed, body: `${body}.` })))
      return Either.isRight(ok) && Either.isLeft(changed)
    },
  )
})

describe("Webhooks from the sandbox", () => {
  it.scopedLive("verifies and unwraps the events the sandbox signs and posts, and rejects them tampered", () =>
    Effect.gen(function* () {
      const receiver = yield* recordingServer
      const webhookSecret = Buffer.from("a webhook secret of thirty-two b").toString("base64")
      const finch = yield* sandbox({ webhook: { url: `${receiver.baseUrl}/finch/webhooks`, secret: webhookSecret } })
      const connection = yield* finch.connect({ employee_size: 2 })
      yield* finch.admin("POST", `/connections/${connection.connection_id}/status`, { status: "reauth" })
      const delivery = yield* Effect.suspend(() => {
        const hook = receiver.requests.find((request) => request.path === "/finch/webhooks")
        return hook === undefined ? Effect.fail("not delivered yet") : Effect.succeed(hook)
      }).pipe(Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 }))

      const webhooks = yield* Webhooks.make({ secret: Redacted.make(webhookSecret) })
      const event = (yield* webhooks.unwrap({ headers: delivery.headers, body: delivery.body })) as {
        readonly event_type: string
        readonly connection_id: string
        readonly data: { readonly status: string }
      }
      assert.strictEqual(event.event_type, "account.updated")
      assert.strictEqual(event.connection_id, connection.connection_id)
      assert.strictEqual(event.data.status, "reauth")

      const tampered = yield* Effect.flip(
        webhooks.verify({ headers: delivery.headers, body: delivery.body.replace("reauth", "connected") }),
      )
      assert.strictEqual(tampered.reason, "NoMatchingSignature")
      const otherSecret = yield* Webhooks.make({
        secret: Redacted.make(Buffer.from("another secret").toString("base64")),
      })
      assert.strictEqual(
        (yield* Effect.flip(otherSecret.verify({ headers: delivery.headers, body: delivery.body }))).reason,
        "NoMatchingSignature",
      )
    }),
  )
})
