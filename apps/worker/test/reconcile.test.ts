import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { reconcileFile } from "../src/reconcile/ReconcileFile.ts"

const line = (recordId: string, connectionId: string, individual: Record<string, unknown>) =>
  JSON.stringify({ record_id: recordId, connection_id: connectionId, individual })

const tempFile = (name: string, content: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reconcile-"))
  const file = path.join(dir, name)
  fs.writeFileSync(file, content)
  return { dir, file }
}

describe("reconcile file entry point", () => {
  it.effect("reads JSON Lines and writes one assignment per record, in input order", () =>
    Effect.gen(function* () {
      const input = [
        line("gusto:1", "gusto", { first_name: "William", last_name: "Hart", dob: "1975-06-30" }),
        "",
        line("adp:9", "adp", {
          first_name: "Bill",
          last_name: "Hart",
          dob: "1975-06-30",
          emails: [{ data: "bill@hart.example", type: "personal" }],
        }),
        line("adp:10", "adp", { first_name: "Ann", last_name: "Lee", dob: "1991-02-02" }),
      ].join("\n")
      const { dir, file } = tempFile("records.jsonl", input)
      const out = path.join(dir, "assignments.jsonl")
      const stats = yield* reconcileFile(file, out)
      const lines = fs
        .readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((text) => JSON.parse(text))
      assert.strictEqual(stats.records, 3)
      assert.deepStrictEqual(
        lines.map((l) => l.record_id),
        ["gusto:1", "adp:9", "adp:10"],
      )
      assert.strictEqual(lines[0].person_id, lines[1].person_id)
      assert.notStrictEqual(lines[0].person_id, lines[2].person_id)
      assert.include(lines[1].matched_by, "first_name:nickname")
      assert.isNumber(lines[1].score)
      assert.isUndefined(lines[2].score)
    }),
  )

  it.effect("names the line of a bad record and writes nothing", () =>
    Effect.gen(function* () {
      const input = [line("a:1", "a", { first_name: "Ann" }), '{"record_id": "a:2", "individual": {}}'].join("\n")
      const { dir, file } = tempFile("bad.jsonl", input)
      const out = path.join(dir, "assignments.jsonl")
      const error = yield* Effect.flip(reconcileFile(file, out))
      assert.strictEqual(error._tag, "InvalidRecordLine")
      if (error._tag === "InvalidRecordLine") assert.strictEqual(error.line, 2)
      assert.isFalse(fs.existsSync(out) && fs.readFileSync(out, "utf8").length > 0)
    }),
  )

  it.effect("refuses a record id the store could not keep (a NUL character), naming the line", () =>
    Effect.gen(function* () {
      const input = [line("a:1", "a", { first_name: "Ann" }), line("a:\u00002", "a", { first_name: "Bo" })].join("\n")
      const { dir, file } = tempFile("nul.jsonl", input)
      const error = yield* Effect.flip(reconcileFile(file, path.join(dir, "assignments.jsonl")))
      assert.strictEqual(error._tag, "InvalidRecordLine")
      if (error._tag === "InvalidRecordLine") {
        assert.strictEqual(error.line, 2)
        assert.include(error.reason, "NUL")
      }
    }),
  )

  it.effect("reports a missing input file as a typed error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(reconcileFile("/nonexistent/records.jsonl", undefined))
      assert.strictEqual(error._tag, "ReconcileFileError")
    }),
  )
})
