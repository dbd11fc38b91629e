import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { replaceFile } from "../src/reconcile/ReplaceFile.ts"

const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), "replace-file-"))

/** Pieces of text that fail after the first one, as a write that runs out of disk would. */
function* failingAfterOne() {
  yield "the start of a new file\n"
  throw new Error("no space left")
}

describe("ReplaceFile.replaceFile", () => {
  it.effect("writes the pieces to the target, creating it, and leaves nothing else", () =>
    Effect.gen(function* () {
      const dir = folder()
      yield* replaceFile(path.join(dir, "out.jsonl"), ["a\n", "b\n", "c\n"])
      assert.strictEqual(fs.readFileSync(path.join(dir, "out.jsonl"), "utf8"), "a\nb\nc\n")
      assert.deepStrictEqual(fs.readdirSync(dir), ["out.jsonl"])
    }),
  )

  it.effect("leaves an existing target as it was when writing fails, and removes the temporary file", () =>
    Effect.gen(function* () {
      const dir = folder()
      const target = path.join(dir, "out.jsonl")
      fs.writeFileSync(target, "the previous run\n")
      const error = yield* Effect.flip(replaceFile(target, failingAfterOne()))
      assert.strictEqual(error.message, `${target}: no space left`)
      assert.strictEqual(fs.readFileSync(target, "utf8"), "the previous run\n")
      assert.deepStrictEqual(fs.readdirSync(dir), ["out.jsonl"])
    }),
  )

  it.effect("creates nothing when writing fails and there was no target", () =>
    Effect.gen(function* () {
      const dir = folder()
      yield* Effect.flip(replaceFile(path.join(dir, "out.jsonl"), failingAfterOne()))
      assert.deepStrictEqual(fs.readdirSync(dir), [])
    }),
  )

  it.effect("leaves the target as it was when interrupted while writing", () =>
    Effect.gen(function* () {
      const dir = folder()
      const target = path.join(dir, "out.jsonl")
      fs.writeFileSync(target, "the previous run\n")
      const writing = yield* Deferred.make<void>()
      function* endless() {
        for (let piece = 0; piece < 1000; piece++) {
          if (piece === 1) Deferred.unsafeDone(writing, Exit.void)
          yield `${"x".repeat(65535)}\n`
        }
      }
      const fiber = yield* Effect.fork(replaceFile(target, endless()))
      yield* Deferred.await(writing)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(fs.readFileSync(target, "utf8"), "the previous run\n")
      assert.deepStrictEqual(fs.readdirSync(dir), ["out.jsonl"])
    }),
  )
})
