/**
 * Source records read from JSON Lines bytes, one line at a time: a line is measured before it is kept whole, decoded
 * as strict UTF-8, parsed and checked against `SourceRecord`. The first bad line stops the read with an error naming
 * it; blank lines are skipped, a UTF-8 byte-order mark at the start of the input is dropped, `\r\n` ends a line too.
 */
import { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { summarizeIssue } from "./IssueSummary.ts"

/**
 * The longest line read, in bytes. A source record takes well under a kilobyte, so 1 MiB leaves room for any real
 * one, while a file that is not JSON Lines (or one huge line) fails fast instead of being gathered into memory.
 */
export const maxLineBytes = 1024 * 1024

/** A line of the input is not a source record. `field` is where in the record, when the line is JSON. */
export class InvalidRecordLine extends Schema.TaggedError<InvalidRecordLine>()("InvalidRecordLine", {
  line: Schema.Number,
  field: Schema.optional(Schema.String),
  reason: Schema.String,
}) {
  override get message() {
    return `line ${this.line}: ${this.field === undefined ? "" : `${this.field}: `}${this.reason}`
  }
}

/** The records read, with the line each came from (blank lines are skipped, so the two differ). */
export interface RecordLines {
  readonly records: Array<SourceRecord>
  readonly lines: Array<number>
}

export interface ReadRecordsOptions {
  /** Defaults to `maxLineBytes`. */
  readonly maxLineBytes?: number
}

/** Reads every record of `input`; a failure of `input` itself becomes `onReadError(cause)`. */
export const readRecords = <E>(
  input: AsyncIterable<Uint8Array>,
  onReadError: (cause: unknown) => E,
  options: ReadRecordsOptions = {},
): Effect.Effect<RecordLines, InvalidRecordLine | E> =>
  Effect.suspend(() => {
    const reader = new LineReader(options.maxLineBytes ?? maxLineBytes)
    // a plain loop: chunks passed through an Effect Stream outlived it (~60 MB more resident per 300k records)
    return Effect.tryPromise({
      try: async (signal) => {
        for await (const chunk of input) {
          signal.throwIfAborted()
          const error = reader.push(chunk)
          if (error !== undefined) return error // leaving the loop closes the input
        }
        return reader.end()
      },
      catch: onReadError, // the reader returns its errors, so what throws here is the input
    }).pipe(Effect.flatMap((error) => (error === undefined ? Effect.succeed(reader.read) : Effect.fail(error))))
  })

const newline = 0x0a
const byteOrderMark = [0xef, 0xbb, 0xbf] as const
/** Fatal: a byte that is not UTF-8 is an error, not a silent U+FFFD. The mark is dropped by hand, on line 1 only. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const decodeRecord = Schema.decodeUnknownEither(SourceRecord)

/** Splits chunks into lines, keeping at most `maxLineBytes` of an unfinished line. */
class LineReader {
  readonly maxLineBytes: number
  readonly read: RecordLines = { records: [], lines: [] }
  /** The number of the line being read. */
  private line = 1
  /** The start of the current line, from earlier chunks. */
  private unfinished: Array<Uint8Array> = []
  private unfinishedBytes = 0

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes
  }

  /** Takes the lines `chunk` ends; an error for the first bad one. */
  push(chunk: Uint8Array): InvalidRecordLine | undefined {
    let start = 0
    for (let end = chunk.indexOf(newline); end >= 0; end = chunk.indexOf(newline, start)) {
      const error = this.take(chunk.subarray(start, end))
      if (error !== undefined) return error
      start = end + 1
    }
    if (start < chunk.length) {
      this.unfinished.push(chunk.subarray(start))
      this.unfinishedBytes += chunk.length - start
      if (this.unfinishedBytes > this.maxLineBytes) return this.tooLong()
    }
    return undefined
  }

  /** Takes the last line when the input does not end with a newline. */
  end(): InvalidRecordLine | undefined {
    return this.unfinishedBytes > 0 ? this.take(new Uint8Array(0)) : undefined
  }

  /** Takes the line ending with `tail`; an error for a bad line. */
  private take(tail: Uint8Array): InvalidRecordLine | undefined {
    const bytes = this.unfinished.length === 0 ? tail : this.joinedWith(tail)
    if (bytes.length > this.maxLineBytes) return this.tooLong()
    const line = this.line++
    const result = parseLine(line === 1 ? withoutByteOrderMark(bytes) : bytes, line)
    if (result === undefined) return undefined
    if (Either.isLeft(result)) return result.left
    this.read.records.push(result.right)
    this.read.lines.push(line)
    return undefined
  }

  private joinedWith(tail: Uint8Array): Uint8Array {
    const bytes = new Uint8Array(this.unfinishedBytes + tail.length)
    let offset = 0
    for (const part of [...this.unfinished, tail]) {
      bytes.set(part, offset)
      offset += part.length
    }
    this.unfinished = []
    this.unfinishedBytes = 0
    return bytes
  }

  private tooLong(): InvalidRecordLine {
    return new InvalidRecordLine({
      line: this.line,
      reason: `longer than ${this.maxLineBytes} bytes, the most a record's line may take (is this JSON Lines?)`,
    })
  }
}

/** The record on one line; undefined for a blank line. */
const parseLine = (bytes: Uint8Array, line: number): Either.Either<SourceRecord, InvalidRecordLine> | undefined => {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return Either.left(new InvalidRecordLine({ line, reason: "not UTF-8 text (save the file as UTF-8)" }))
  }
  if (text.trim() === "") return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(new InvalidRecordLine({ line, reason: `not JSON (${(error as Error).message})` }))
  }
  return Either.mapLeft(decodeRecord(json), (error) => {
    const { field, reason } = summarizeIssue(error.issue)
    return new InvalidRecordLine({ line, reason, ...(field === "" ? {} : { field }) })
  })
}

const withoutByteOrderMark = (bytes: Uint8Array): Uint8Array =>
  byteOrderMark.every((byte, k) => bytes[k] === byte) ? bytes.subarray(byteOrderMark.length) : bytes
