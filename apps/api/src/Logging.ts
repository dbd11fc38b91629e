/**
 * The API's JSON log lines: Effect's `Logger.jsonLogger` format, byte for byte, built more cheaply for the common entry
 * (the request log: one text message, no cause, annotations and spans of plain values) and left to Effect's own
 * `jsonLogger` for every other (objects, errors, causes, several messages). `layer` is `Logger.json` with it: the
 * default logger replaced, lines written with the runtime's `Console`, levels as any Effect logger's.
 */
import { Cause, FiberId, List, Logger } from "effect"

type Plain = string | number | boolean | null | undefined

const isPlain = (value: unknown): value is Plain =>
  value === null ||
  value === undefined ||
  typeof value === "string" ||
  typeof value === "number" ||
  typeof value === "boolean"

const noneName = FiberId.threadName(FiberId.none)

/**
 * Where an entry may carry its annotations as a plain record (`Handler.ts`'s request log does, to spare making and
 * walking a `HashMap` per request); `jsonLogger` reads them from there, any other logger from `annotations`.
 */
export const plainAnnotations: unique symbol = Symbol.for("@finch-connections/api/Logging/plainAnnotations")

/** A plain value as JSON (as `JSON.stringify` writes it inside an object); `undefined` is left out. */
const jsonOf = (value: Exclude<Plain, undefined>): string =>
  typeof value === "string" ? JSON.stringify(value) : value === null ? "null" : JSON.stringify(value)

// Many lines fall in the same millisecond: its ISO text is made once.
let lastTime = Number.NaN
let lastTimestamp = ""
const timestampOf = (date: Date) => {
  const time = date.getTime()
  if (time !== lastTime) {
    lastTimestamp = JSON.stringify(date.toISOString())
    lastTime = time
  }
  return lastTimestamp
}

/**
 * Effect's `Logger.jsonLogger`: the same line for every entry (the keys in its order: message, logLevel, timestamp,
 * cause, annotations, spans, fiberId), written directly for plain entries instead of through its replacer.
 */
export const jsonLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const { cause, date, fiberId, logLevel, message, spans } = options
  const text = Array.isArray(message) ? (message.length === 1 ? message[0] : undefined) : message
  if (!isPlain(text) || (Array.isArray(message) && message.length !== 1) || !Cause.isEmpty(cause)) {
    return Logger.jsonLogger.log(options)
  }
  let annotated = ""
  const plain = (options as { readonly [plainAnnotations]?: Readonly<Record<string, unknown>> })[plainAnnotations]
  if (plain !== undefined) {
    for (const key in plain) {
      const value = plain[key]
      if (!isPlain(value)) return Logger.jsonLogger.log(options)
      if (value !== undefined) annotated += `${annotated === "" ? "" : ","}${JSON.stringify(key)}:${jsonOf(value)}`
    }
  } else {
    for (const [key, value] of options.annotations) {
      if (!isPlain(value)) return Logger.jsonLogger.log(options)
      if (value !== undefined) annotated += `${annotated === "" ? "" : ","}${JSON.stringify(key)}:${jsonOf(value)}`
    }
  }
  let spanned = ""
  if (List.isCons(spans)) {
    const now = date.getTime()
    const times: Record<string, number> = {}
    for (const span of spans) times[span.label] = now - span.startTime
    spanned = JSON.stringify(times).slice(1, -1)
  }
  const fiber = fiberId._tag === "None" ? noneName : FiberId.threadName(fiberId)
  return `{${text === undefined ? "" : `"message":${jsonOf(text)},`}"logLevel":${JSON.stringify(logLevel.label)},"timestamp":${timestampOf(date)},"annotations":{${annotated}},"spans":{${spanned}},"fiberId":${JSON.stringify(fiber)}}`
})

/** `Logger.json`'s layer with `jsonLogger`: every log line as JSON on the runtime's console. */
export const layer = Logger.replace(Logger.defaultLogger, Logger.withConsoleLog(jsonLogger))
