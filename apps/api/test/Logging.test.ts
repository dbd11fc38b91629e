/**
 * `Logging.jsonLogger` writes every entry exactly as Effect's `Logger.jsonLogger` does: plain ones (its own path) and
 * the others (objects, errors, redacted values, causes, several messages, spans, fiber ids).
 */
import {
  Cause,
  Effect,
  FiberId,
  FiberRefs,
  HashMap,
  Layer,
  List,
  Logger,
  LogLevel,
  LogSpan,
  ManagedRuntime,
  Redacted,
} from "effect"
import { expect, it } from "vitest"
import { infoLoggerOf } from "../src/Handler.ts"
import * as Logging from "../src/Logging.ts"

const entry = (over: Partial<Parameters<Logger.Logger<unknown, unknown>["log"]>[0]> = {}) => ({
  fiberId: FiberId.none,
  logLevel: LogLevel.Info,
  message: ["request"] as unknown,
  cause: Cause.empty as Cause.Cause<unknown>,
  context: FiberRefs.empty(),
  spans: List.empty<LogSpan.LogSpan>(),
  annotations: HashMap.make(
    ["method", "GET"] as [string, unknown],
    ["status", 200],
    ["duration_ms", 1.25],
    ["customer_id", null],
    ["ok", true],
    ["nothing", undefined],
    ["quoted", 'a "b"\n\u2028 ü'],
  ),
  date: new Date("2026-01-02T03:04:05.678Z"),
  ...over,
})

it("writes every entry as Effect's JSON logger does", () => {
  const entries = [
    entry(),
    entry({ message: "one text, not in an array" }),
    entry({ message: [42] }),
    entry({ message: ["two", "messages"] }),
    entry({ message: [new Error("boom")] }),
    entry({ message: [{ an: "object" }] }),
    entry({ annotations: HashMap.empty() }),
    entry({ annotations: HashMap.make(["secret", Redacted.make("hunter2")] as [string, unknown]) }),
    entry({ annotations: HashMap.make(["nested", { a: [1, 2] }] as [string, unknown]) }),
    entry({ annotations: HashMap.make(["big", 10n] as [string, unknown]) }),
    entry({ cause: Cause.fail("failed") }),
    entry({ cause: Cause.die(new Error("defect")) }),
    entry({ spans: List.make(LogSpan.make("outer", 1000), LogSpan.make("inner", 2000)) }),
    entry({ fiberId: FiberId.make(7, 0) }),
    entry({ fiberId: FiberId.combine(FiberId.make(7, 0), FiberId.make(9, 0)) }),
    entry({ logLevel: LogLevel.Error }),
  ]
  for (const options of entries) expect(Logging.jsonLogger.log(options)).toBe(Logger.jsonLogger.log(options))
  expect(Logging.jsonLogger.log(entries[7]!)).not.toContain("hunter2")
})

it("logs through the runtime's console at the runtime's level", async () => {
  const lines: Array<string> = []
  await Effect.runPromise(
    Effect.logDebug("hidden").pipe(
      Effect.zipRight(Effect.logInfo("shown").pipe(Effect.annotateLogs({ n: 1 }))),
      Effect.provide(
        Logger.replace(
          Logger.defaultLogger,
          Logger.map(Logging.jsonLogger, (line) => lines.push(line)),
        ),
      ),
    ),
  )
  expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ message: "shown", annotations: { n: 1 } }])
})

it("writes the request log's entries as Effect's loggers read them, at the runtime's level", async () => {
  const ours: Array<unknown> = []
  const effects: Array<unknown> = []
  const both = Logger.make((entry) => {
    ours.push(JSON.parse(Logging.jsonLogger.log(entry)))
    effects.push(JSON.parse(Logger.jsonLogger.log(entry)))
  })
  const annotations = { method: "GET", route: "/x", status: 200, duration_ms: 0.5, request_id: "r", customer_id: null }
  for (const level of [LogLevel.Info, LogLevel.Warning]) {
    const managed = ManagedRuntime.make(
      Layer.mergeAll(
        Logger.replace(Logger.defaultLogger, both),
        Logger.minimumLogLevel(level),
        Layer.scopedDiscard(Effect.annotateLogsScoped({ service: "api" })),
      ),
    )
    const runtime = await managed.runtime()
    infoLoggerOf(runtime, "request")?.(annotations)
    infoLoggerOf(runtime, "request")?.({ ...annotations, details: { nested: true } })
    await managed.dispose()
  }
  expect(ours).toEqual(effects)
  expect(ours).toMatchObject([
    { message: "request", logLevel: "INFO", annotations },
    { message: "request", annotations: { ...annotations, details: { nested: true } } },
  ])
  expect(ours).toHaveLength(2)
})
