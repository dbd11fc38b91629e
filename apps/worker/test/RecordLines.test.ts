import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { maxLineBytes, type ReadRecordsOptions, readRecords } from "../src/reconcile/RecordLines.ts"

const line = (recordId: string, individual: Record<string, unknown> = {}) =>
  JSON.stringify({ record_id: recordId, connection_id: "a", individual })

const bytesOf = (text: string) => new TextEncoder().encode(text)
const joined = (...parts: ReadonlyArray<Uint8Array>) => Buffer.concat(parts)

/** `bytes` as a stream of chunks of `size` bytes. */
async function* chunked(bytes: Uint8Array, size = 65536) {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size)
}

const read = (input: Uint8Array | string, options?: ReadRecordsOptions & { chunkSize?: number }) =>
  readRecords(chunked(typeof input === "string" ? bytesOf(input) : input, options?.chunkSize), String, options)

const failure = (input: Uint8Array | string, options?: ReadRecordsOptions) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(read(input, options))
    return typeof error === "string" ? assert.fail(`reading the input failed: ${error}`) : error
  })

describe("RecordLines.readRecords", () => {
  it.effect("reads the same records, with their line numbers, however the bytes are cut into chunks", () =>
    Effect.gen(function* () {
      const text = [line("a:1", { first_name: "Jérôme" }), "", "  ", line("a:2", { last_name: "Øster 🌊" })].join(
        "\r\n",
      )
      const whole = yield* read(text)
      const byteByByte = yield* read(text, { chunkSize: 1 })
      assert.deepStrictEqual(
        whole.records.map((record) => [record.record_id, record.individual.first_name, record.individual.last_name]),
        [
          ["a:1", "Jérôme", undefined],
          ["a:2", undefined, "Øster 🌊"],
        ],
      )
      assert.deepStrictEqual(whole.lines, [1, 4])
      assert.deepStrictEqual(byteByByte, whole)
    }),
  )

  it.effect("accepts a UTF-8 byte-order mark at the start of the input, and only there", () =>
    Effect.gen(function* () {
      const mark = new Uint8Array([0xef, 0xbb, 0xbf])
      const read1 = yield* read(joined(mark, bytesOf(`${line("a:1")}\n${line("a:2")}\n`)), { chunkSize: 2 })
      assert.deepStrictEqual(
        read1.records.map((record) => record.record_id),
        ["a:1", "a:2"],
      )
      const error = yield* failure(joined(bytesOf(`${line("a:1")}\n`), mark, bytesOf(`${line("a:2")}\n`)))
      assert.strictEqual(error.line, 2)
      assert.include(error.reason, "not JSON")
    }),
  )

  it.effect("refuses bytes that are not UTF-8, naming the line, instead of replacing them", () =>
    Effect.gen(function* () {
      // "Jérôme" in Latin-1: é is the single byte 0xE9
      const latin1 = joined(
        bytesOf(`${line("a:1")}\n{"record_id":"a:2","connection_id":"a","individual":{"first_name":"J`),
        new Uint8Array([0xe9]),
        bytesOf(`r"}}\n`),
      )
      const error = yield* failure(latin1)
      assert.strictEqual(error.line, 2)
      assert.strictEqual(error.message, "line 2: not UTF-8 text (save the file as UTF-8)")
    }),
  )

  it.effect("stops at a line longer than the limit, naming it, without reading the line whole", () =>
    Effect.gen(function* () {
      const long = line("a:2", { first_name: "x".repeat(200) })
      const error = yield* failure([line("a:1"), long, line("a:3")].join("\n"), { maxLineBytes: 100 })
      assert.strictEqual(error.line, 2)
      assert.include(error.message, "line 2: longer than 100 bytes")
      const atTheLimit = yield* read(`${line("a:1")}\n${long}`, { maxLineBytes: bytesOf(long).length })
      assert.strictEqual(atTheLimit.records.length, 2)
    }),
  )

  it.effect("stops a 512 MiB line after the default limit's worth of it", () =>
    Effect.gen(function* () {
      let pulled = 0
      async function* hugeLine() {
        yield bytesOf(`${line("a:1")}\n{"record_id":"a:2","connection_id":"a","individual":{"first_name":"`)
        const chunk = new Uint8Array(65536).fill(0x78)
        for (let sent = 0; sent < 512 * 1024 * 1024; sent += chunk.length) {
          pulled += chunk.length
          yield chunk
        }
      }
      const error = yield* Effect.flip(readRecords(hugeLine(), String))
      assert.strictEqual(
        typeof error === "string" ? error : error.message,
        `line 2: longer than ${maxLineBytes} bytes, the most a record's line may take (is this JSON Lines?)`,
      )
      assert.isAtMost(pulled, maxLineBytes + 65536)
    }),
  )

  it.effect("says in one short line which field has the wrong type and what it should be", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [string, string]> = [
        [line("a:1", { first_name: 5 }), "line 1: individual.first_name: expected string or null, got 5"],
        [
          line("a:1", { emails: [{ data: "a@b.example" }, { data: { x: 1 }, type: "work" }] }),
          "line 1: individual.emails[1].data: expected string or null, got an object",
        ],
        [
          line("a:1", { emails: "a@b.example" }),
          'line 1: individual.emails: expected an array or null, got "a@b.example"',
        ],
        [
          line("a:1", { residence: { city: ["x"] } }),
          "line 1: individual.residence.city: expected string or null, got an array",
        ],
        [
          JSON.stringify({ record_id: "a:1", connection_id: "a", individual: {}, employment: { is_active: "yes" } }),
          'line 1: employment.is_active: expected boolean or null, got "yes"',
        ],
        [
          JSON.stringify({ record_id: "a:1", connection_id: "a", individual: "x".repeat(5000) }),
          `line 1: individual: expected an object, got "${"x".repeat(39)}…`,
        ],
        [JSON.stringify({ record_id: "a:1", connection_id: "a" }), "line 1: individual: missing"],
        [
          JSON.stringify({ record_id: "", connection_id: "a", individual: {} }),
          'line 1: record_id: expected a string at least 1 character(s) long, got ""',
        ],
        [line("a:\u00001"), "line 1: record_id: must not contain NUL (\\u0000) characters"],
        ["[1, 2]", "line 1: expected an object, got an array"],
        ["null", "line 1: expected an object, got null"],
      ]
      for (const [input, message] of cases) {
        const error = yield* failure(input)
        assert.strictEqual(error.message, message)
        assert.isBelow(error.message.length, 160)
      }
    }),
  )

  it.effect("names the line that is not JSON", () =>
    Effect.gen(function* () {
      const error = yield* failure([line("a:1"), "", '{"record_id": "a:2",'].join("\n"))
      assert.strictEqual(error.line, 3)
      assert.match(error.message, /^line 3: not JSON \(/)
    }),
  )

  it.effect("passes a failure of the input itself through the caller's mapping", () =>
    Effect.gen(function* () {
      async function* failing() {
        yield bytesOf(`${line("a:1")}\n`)
        throw new Error("disk gone")
      }
      const error = yield* Effect.flip(readRecords(failing(), (cause) => `read failed: ${(cause as Error).message}`))
      assert.strictEqual(error, "read failed: disk gone")
    }),
  )
})
