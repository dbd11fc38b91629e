/**
 * The file entry point of reconciliation: JSON Lines of source records in, JSON Lines of assignments out. The paths
 * are checked before any work; the output is written only once everything else succeeded, and to a file it is
 * replaced whole (`replaceFile`), so a failed run leaves the output as it was.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import {
  assignmentOf,
  type ReconcileStats,
  type Reconciliation,
  reconcile,
  type TooManyRecords,
} from "@finch-connections/core/reconciliation/Reconciliation"
import type { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { fileError, ReconcileFileError } from "./ReconcileFileError.ts"
import { type InvalidRecordLine, type ReadRecordsOptions, type RecordLines, readRecords } from "./RecordLines.ts"
import { replaceFile } from "./ReplaceFile.ts"

/** `--out` is the input file itself (by another spelling, a symlink or a hard link): writing it would destroy it. */
export class InputIsOutput extends Schema.TaggedError<InputIsOutput>()("InputIsOutput", {
  input: Schema.String,
  output: Schema.String,
}) {
  override get message() {
    return `--out ${this.output} is the input file ${this.input}; write the assignments to another file`
  }
}

/** Two lines of the input carry the same `record_id`. */
export class DuplicateRecordLine extends Schema.TaggedError<DuplicateRecordLine>()("DuplicateRecordLine", {
  line: Schema.Number,
  firstLine: Schema.Number,
  recordId: Schema.String,
}) {
  override get message() {
    return `line ${this.line}: record_id ${JSON.stringify(this.recordId)} is already on line ${this.firstLine}`
  }
}

export type ReconcileFileFailure =
  | InvalidRecordLine
  | DuplicateRecordLine
  | TooManyRecords
  | InputIsOutput
  | ReconcileFileError

/** `pnpm reconcile <records.jsonl> [--out assignments.jsonl]`: to the file, or to stdout when there is none. */
export const reconcileFile = (
  inputPath: string,
  outputPath: string | undefined,
  options: ReadRecordsOptions = {},
): Effect.Effect<ReconcileStats, ReconcileFileFailure> =>
  Effect.gen(function* () {
    const input = yield* statOf(inputPath)
    if (input === undefined) return yield* new ReconcileFileError({ path: inputPath, reason: "no such file" })
    if (input.isDirectory()) {
      return yield* new ReconcileFileError({ path: inputPath, reason: "is a folder, not a file of records" })
    }
    if (outputPath !== undefined) yield* checkOutput(outputPath, inputPath, input)
    const read = yield* readRecords(fs.createReadStream(inputPath), (cause) => fileError(inputPath, cause), options)
    const result = yield* reconcile(read.records).pipe(
      Effect.catchTag("DuplicateRecordId", (error) => Effect.fail(duplicateLine(read, error.recordId))),
    )
    const pieces = assignmentText(result, read.records)
    yield* outputPath === undefined ? writeToStdout(pieces) : replaceFile(outputPath, pieces)
    return result.stats
  })

/** The output's folder exists, and the output is neither a folder nor the input. */
const checkOutput = (outputPath: string, inputPath: string, input: fs.Stats) =>
  Effect.gen(function* () {
    const folder = path.dirname(outputPath)
    const folderStats = yield* statOf(folder)
    if (folderStats === undefined || !folderStats.isDirectory()) {
      return yield* new ReconcileFileError({ path: outputPath, reason: `there is no folder ${folder}` })
    }
    const output = yield* statOf(outputPath)
    if (output === undefined) return
    if (output.isDirectory()) return yield* new ReconcileFileError({ path: outputPath, reason: "is a folder" })
    // one device and inode: the same file, however it is reached
    if (output.dev === input.dev && output.ino === input.ino) {
      return yield* new InputIsOutput({ input: inputPath, output: outputPath })
    }
  })

/** The status of the file at `target` (through symlinks), or undefined when there is none. */
const statOf = (target: string): Effect.Effect<fs.Stats | undefined, ReconcileFileError> =>
  Effect.tryPromise({
    try: () =>
      fs.promises.stat(target).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code === "ENOENT" || cause.code === "ENOTDIR") return undefined
        throw cause
      }),
    catch: (cause) => fileError(target, cause),
  })

const duplicateLine = (read: RecordLines, recordId: string): DuplicateRecordLine => {
  const first = read.records.findIndex((record) => record.record_id === recordId)
  const second = read.records.findIndex((record, index) => index > first && record.record_id === recordId)
  return new DuplicateRecordLine({ line: read.lines[second] ?? 0, firstLine: read.lines[first] ?? 0, recordId })
}

/** Assignments are written in pieces of about this many characters (one write each). */
const pieceLength = 1 << 20

/** The output's text: one JSON line per record, in input order, in pieces of about `pieceLength`. */
function* assignmentText(result: Reconciliation, records: ReadonlyArray<SourceRecord>): Generator<string> {
  let piece = ""
  for (let index = 0; index < records.length; index++) {
    piece += `${JSON.stringify(assignmentOf(result, records, index))}\n`
    if (piece.length >= pieceLength) {
      yield piece
      piece = ""
    }
  }
  if (piece.length > 0) yield piece
}

const writeToStdout = (pieces: Iterable<string>): Effect.Effect<void, ReconcileFileError> =>
  Effect.tryPromise({
    try: () => pipeline(Readable.from(pieces), process.stdout, { end: false }),
    catch: (cause) => fileError("stdout", cause),
  })
