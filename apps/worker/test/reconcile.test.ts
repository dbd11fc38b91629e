import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { reconcileFile } from "../src/reconcile/ReconcileFile.ts"
import { maxLineBytes } from "../src/reconcile/RecordLines.ts"

const line = (recordId: string, connectionId: string, individual: Record<string, unknown>) =>
  JSON.stringify({ record_id: recordId, connection_id: connectionId, individual })

const goodInput = [
  line("gusto:1", "gusto", { first_name: "William", last_name: "Hart", dob: "1975-06-30" }),
  line("adp:9", "adp", { first_name: "Bill", last_name: "Hart", dob: "1975-06-30" }),
].join("\n")
const previousOutput = '{"record_id":"old:1","person_id":"p_0000000000000000"}\n'

const tempFile = (name: string, content: string | Uint8Array) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reconcile-"))
  const file = path.join(dir, name)
  fs.writeFileSync(file, content)
  return { dir, file }
}

/** The files of a folder, temporary ones included. */
const filesIn = (dir: string) => fs.readdirSync(dir).sort()

const main = path.join(import.meta.dirname, "../src/reconcile/main.ts")

/** Runs `pnpm reconcile`'s entry point with `args` (relative to `cwd`, as pnpm passes INIT_CWD). */
const runCommand = (cwd: string, args: ReadonlyArray<string>) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    childProcess.execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, INIT_CWD: cwd }, encoding: "utf8" },
      (error, stdout, stderr) => resolve({ status: error === null ? 0 : Number(error.code), stdout, stderr }),
    ),
  )
/** A process start loads Effect through type stripping: seconds each on a shared, busy machine. */
const commandTimeout = 120_000

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
      assert.deepStrictEqual(filesIn(dir), ["assignments.jsonl", "records.jsonl"])
    }),
  )

  it.effect("replaces an existing output whole, keeping its permissions, and leaves no temporary file", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", goodInput)
      const out = path.join(dir, "assignments.jsonl")
      fs.writeFileSync(out, previousOutput.repeat(1000))
      fs.chmodSync(out, 0o640)
      yield* reconcileFile(file, out)
      const lines = fs.readFileSync(out, "utf8").trim().split("\n")
      assert.deepStrictEqual(
        lines.map((text) => JSON.parse(text).record_id),
        ["gusto:1", "adp:9"],
      )
      assert.strictEqual(fs.statSync(out).mode & 0o777, 0o640)
      assert.deepStrictEqual(filesIn(dir), ["assignments.jsonl", "records.jsonl"])
    }),
  )

  it.effect("writes through a symlinked output to the file it points to, and keeps the link", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", goodInput)
      const target = path.join(dir, "real.jsonl")
      fs.writeFileSync(target, previousOutput)
      fs.symlinkSync(target, path.join(dir, "link.jsonl"))
      yield* reconcileFile(file, path.join(dir, "link.jsonl"))
      assert.isTrue(fs.lstatSync(path.join(dir, "link.jsonl")).isSymbolicLink())
      assert.include(fs.readFileSync(target, "utf8"), '"record_id":"adp:9"')
      assert.deepStrictEqual(filesIn(dir), ["link.jsonl", "real.jsonl", "records.jsonl"])
    }),
  )

  it.effect("names the line of a bad record and creates no output when there was none", () =>
    Effect.gen(function* () {
      const input = [line("a:1", "a", { first_name: "Ann" }), '{"record_id": "a:2", "individual": {}}'].join("\n")
      const { dir, file } = tempFile("bad.jsonl", input)
      const out = path.join(dir, "assignments.jsonl")
      const error = yield* Effect.flip(reconcileFile(file, out))
      assert.strictEqual(error._tag, "InvalidRecordLine")
      assert.strictEqual(error.message, "line 2: connection_id: missing")
      assert.deepStrictEqual(filesIn(dir), ["bad.jsonl"])
    }),
  )

  it.effect("leaves an existing output untouched when a line is bad or two records share an id", () =>
    Effect.gen(function* () {
      const inputs = {
        "bad.jsonl": [line("a:1", "a", {}), "not json"].join("\n"),
        "duplicate.jsonl": [line("a:1", "a", {}), "", line("a:2", "a", {}), line("a:1", "a", {})].join("\n"),
      }
      const { dir } = tempFile("assignments.jsonl", previousOutput)
      const out = path.join(dir, "assignments.jsonl")
      for (const [name, input] of Object.entries(inputs)) fs.writeFileSync(path.join(dir, name), input)
      const bad = yield* Effect.flip(reconcileFile(path.join(dir, "bad.jsonl"), out))
      assert.match(bad.message, /^line 2: not JSON/)
      const duplicate = yield* Effect.flip(reconcileFile(path.join(dir, "duplicate.jsonl"), out))
      assert.strictEqual(duplicate.message, 'line 4: record_id "a:1" is already on line 1')
      assert.strictEqual(fs.readFileSync(out, "utf8"), previousOutput)
      assert.deepStrictEqual(filesIn(dir), ["assignments.jsonl", "bad.jsonl", "duplicate.jsonl"])
    }),
  )

  it.effect("refuses an output that is the input, however it is spelled or linked, before writing anything", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", goodInput)
      fs.mkdirSync(path.join(dir, "sub"))
      fs.symlinkSync(file, path.join(dir, "symlink.jsonl"))
      fs.linkSync(file, path.join(dir, "hardlink.jsonl"))
      const spellings = [
        file,
        `${dir}/./records.jsonl`,
        path.join(dir, "sub") + "/../records.jsonl",
        path.join(dir, "symlink.jsonl"),
        path.join(dir, "hardlink.jsonl"),
      ]
      for (const out of spellings) {
        const error = yield* Effect.flip(reconcileFile(file, out))
        assert.strictEqual(error._tag, "InputIsOutput")
        assert.strictEqual(
          error.message,
          `--out ${out} is the input file ${file}; write the assignments to another file`,
        )
        const reversed = yield* Effect.flip(reconcileFile(out, file))
        assert.strictEqual(reversed._tag, "InputIsOutput")
      }
      assert.strictEqual(fs.readFileSync(file, "utf8"), goodInput)
      assert.deepStrictEqual(filesIn(dir), ["hardlink.jsonl", "records.jsonl", "sub", "symlink.jsonl"])
    }),
  )

  it.effect("reports a missing output folder as a short typed error, before any work", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", goodInput)
      const out = path.join(dir, "missing", "assignments.jsonl")
      const error = yield* Effect.flip(reconcileFile(file, out))
      assert.strictEqual(error._tag, "ReconcileFileError")
      assert.strictEqual(error.message, `${out}: there is no folder ${path.join(dir, "missing")}`)
      assert.deepStrictEqual(filesIn(dir), ["records.jsonl"])
    }),
  )

  it.effect("refuses a folder as input or as output in a few words", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", goodInput)
      const asInput = yield* Effect.flip(reconcileFile(dir, path.join(dir, "assignments.jsonl")))
      assert.strictEqual(asInput.message, `${dir}: is a folder, not a file of records`)
      const asOutput = yield* Effect.flip(reconcileFile(file, dir))
      assert.strictEqual(asOutput.message, `${dir}: is a folder`)
      assert.deepStrictEqual(filesIn(dir), ["records.jsonl"])
    }),
  )

  it.effect("refuses a line longer than the documented maximum, naming it", () =>
    Effect.gen(function* () {
      const padding = "x".repeat(maxLineBytes - line("a:2", "a", { first_name: "" }).length + 1)
      const input = [line("a:1", "a", {}), line("a:2", "a", { first_name: padding }), line("a:3", "a", {})].join("\n")
      const { dir, file } = tempFile("records.jsonl", input)
      const error = yield* Effect.flip(reconcileFile(file, path.join(dir, "assignments.jsonl")))
      assert.strictEqual(
        error.message,
        `line 2: longer than ${maxLineBytes} bytes, the most a record's line may take (is this JSON Lines?)`,
      )
      assert.deepStrictEqual(filesIn(dir), ["records.jsonl"])
    }),
  )

  it.effect("reads a file that starts with a UTF-8 byte-order mark", () =>
    Effect.gen(function* () {
      const { dir, file } = tempFile("records.jsonl", `\uFEFF${goodInput}\n`)
      const stats = yield* reconcileFile(file, path.join(dir, "assignments.jsonl"))
      assert.strictEqual(stats.records, 2)
    }),
  )

  it.effect("refuses a file that is not UTF-8, naming the line", () =>
    Effect.gen(function* () {
      const latin1 = Buffer.from(`${goodInput}\n${line("a:1", "a", { first_name: "Jérôme" })}\n`, "latin1")
      const { dir, file } = tempFile("records.jsonl", latin1)
      const error = yield* Effect.flip(reconcileFile(file, path.join(dir, "assignments.jsonl")))
      assert.strictEqual(error.message, "line 3: not UTF-8 text (save the file as UTF-8)")
      assert.deepStrictEqual(filesIn(dir), ["records.jsonl"])
    }),
  )

  it.effect("reports a missing input file as a typed error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(reconcileFile("/nonexistent/records.jsonl", undefined))
      assert.strictEqual(error._tag, "ReconcileFileError")
      assert.strictEqual(error.message, "/nonexistent/records.jsonl: no such file")
    }),
  )
})

describe("pnpm reconcile", () => {
  it(
    "exits 0 and writes the output on success",
    async () => {
      const { dir } = tempFile("records.jsonl", goodInput)
      const run = await runCommand(dir, ["records.jsonl", "--out", "assignments.jsonl"])
      assert.strictEqual(run.status, 0)
      assert.match(run.stderr, /^reconciled 2 records into 1 persons/)
      assert.strictEqual(fs.readFileSync(path.join(dir, "assignments.jsonl"), "utf8").split("\n").length, 3)
    },
    commandTimeout,
  )

  it(
    "exits 1 with one line naming the problem, no stack trace, and the output as it was",
    async () => {
      const { dir } = tempFile("records.jsonl", goodInput)
      fs.writeFileSync(
        path.join(dir, "bad.jsonl"),
        `${goodInput}\n{"record_id":"a:1","connection_id":"a","individual":[]}\n`,
      )
      fs.writeFileSync(path.join(dir, "assignments.jsonl"), previousOutput)
      fs.symlinkSync(path.join(dir, "records.jsonl"), path.join(dir, "link.jsonl"))
      const failures: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [
          ["bad.jsonl", "--out", "assignments.jsonl"],
          "reconcile: line 3: individual: expected an object, got an array",
        ],
        [
          ["records.jsonl", "--out", "link.jsonl"],
          `reconcile: --out ${dir}/link.jsonl is the input file ${dir}/records.jsonl`,
        ],
        [
          ["records.jsonl", "--out", "missing/assignments.jsonl"],
          `reconcile: ${dir}/missing/assignments.jsonl: there is no folder`,
        ],
        [[".", "--out", "assignments.jsonl"], `reconcile: ${dir}: is a folder, not a file of records`],
      ]
      const runs = await Promise.all(failures.map(([args]) => runCommand(dir, args)))
      for (const [[args, message], run] of failures.map((failure, k) => [failure, runs[k]!] as const)) {
        assert.strictEqual(run.status, 1, args.join(" "))
        assert.strictEqual(run.stdout, "")
        assert.strictEqual(run.stderr.split("\n").length, 2, run.stderr) // one line and its newline
        assert.include(run.stderr, message)
      }
      assert.strictEqual(fs.readFileSync(path.join(dir, "assignments.jsonl"), "utf8"), previousOutput)
      assert.strictEqual(fs.readFileSync(path.join(dir, "records.jsonl"), "utf8"), goodInput)
      assert.deepStrictEqual(filesIn(dir), ["assignments.jsonl", "bad.jsonl", "link.jsonl", "records.jsonl"])
    },
    commandTimeout,
  )

  it(
    "prints the usage and exits 2 for a wrong command line",
    async () => {
      const { dir } = tempFile("records.jsonl", goodInput)
      const wrong = [
        ["records.jsonl", "--out"],
        ["records.jsonl", "--output", "x.jsonl"],
        ["a.jsonl", "b.jsonl"],
      ]
      for (const run of await Promise.all(wrong.map((args) => runCommand(dir, args)))) {
        assert.strictEqual(run.status, 2)
        assert.strictEqual(run.stderr, "usage: pnpm reconcile <records.jsonl> [--out assignments.jsonl]\n")
      }
    },
    commandTimeout,
  )
})
