/**
 * The file entry point of reconciliation: JSON Lines of source records in, JSON Lines of assignments out, both as
 * streams (a million lines never sit in memory as one string). A bad line is a typed error naming its line.
 */

import { once } from "node:events"
import * as fs from "node:fs"
import * as readline from "node:readline"
import type { Readable, Writable } from "node:stream"
import {
  assignmentOf,
  type DuplicateRecordId,
  type ReconcileStats,
  reconcile,
  type TooManyRecords,
} from "@finch-connections/core/reconciliation/Reconciliation"
import { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** A line of the input is not JSON or not a source record. */
export class InvalidRecordLine extends Schema.TaggedError<InvalidRecordLine>()("InvalidRecordLine", {
  line: Schema.Number,
  reason: Schema.String,
}) {
  override get message() {
    return `line ${this.line}: ${this.reason}`
  }
}

/** The input or output file could not be read or written. */
export class ReconcileFileError extends Schema.TaggedError<ReconcileFileError>()("ReconcileFileError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

const decodeRecord = Schema.decodeUnknownEither(SourceRecord)

/** Reads source records from a JSON Lines stream (blank lines are skipped). */
export const readRecords = (input: Readable): Effect.Effect<Array<SourceRecord>, InvalidRecordLine> =>
  Effect.tryPromise({
    try: async () => {
      const records: Array<SourceRecord> = []
      let line = 0
      for await (const text of readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        line++
        if (text.trim() === "") continue
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (error) {
          throw new InvalidRecordLine({ line, reason: `not JSON (${(error as Error).message})` })
        }
        const decoded = decodeRecord(json)
        if (decoded._tag === "Left") {
          throw new InvalidRecordLine({ line, reason: ParseResult.TreeFormatter.formatErrorSync(decoded.left) })
        }
        records.push(decoded.right)
      }
      return records
    },
    catch: (error) =>
      error instanceof InvalidRecordLine ? error : new InvalidRecordLine({ line: 0, reason: String(error) }),
  })

/** Writes one assignment per record, in input order, respecting the stream's backpressure. */
const writeAssignments = async (
  output: Writable,
  records: ReadonlyArray<SourceRecord>,
  result: Parameters<typeof assignmentOf>[0],
) => {
  for (let index = 0; index < records.length; index++) {
    if (!output.write(`${JSON.stringify(assignmentOf(result, records, index))}\n`)) await once(output, "drain")
  }
}

/** Reconciles the records of `input` and writes the assignments to `output`. */
export const reconcileStream = (
  input: Readable,
  output: Writable,
): Effect.Effect<ReconcileStats, InvalidRecordLine | DuplicateRecordId | TooManyRecords | ReconcileFileError> =>
  Effect.gen(function* () {
    const records = yield* readRecords(input)
    const result = yield* reconcile(records)
    yield* Effect.tryPromise({
      try: () => writeAssignments(output, records, result),
      catch: (error) => new ReconcileFileError({ path: "<output>", reason: String(error) }),
    })
    return result.stats
  })

/** `pnpm reconcile <records.jsonl> [--out assignments.jsonl]`: files, or stdout when `--out` is absent. */
export const reconcileFile = (
  inputPath: string,
  outputPath: string | undefined,
): Effect.Effect<ReconcileStats, InvalidRecordLine | DuplicateRecordId | TooManyRecords | ReconcileFileError> =>
  Effect.gen(function* () {
    const input = yield* Effect.try({
      try: () => {
        fs.accessSync(inputPath, fs.constants.R_OK)
        return fs.createReadStream(inputPath)
      },
      catch: (error) => new ReconcileFileError({ path: inputPath, reason: (error as Error).message }),
    })
    const output = outputPath === undefined ? process.stdout : fs.createWriteStream(outputPath)
    const stats = yield* reconcileStream(input, output)
    if (outputPath !== undefined) {
      yield* Effect.tryPromise({
        try: () =>
          new Promise<void>((resolve, reject) =>
            (output as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())),
          ),
        catch: (error) => new ReconcileFileError({ path: outputPath, reason: String(error) }),
      })
    }
    return stats
  })
