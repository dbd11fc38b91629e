/**
 * Where Effect meets Hono: handlers build an Effect over the API's services and `runEffect` runs it on the one
 * runtime, answering its success with the handler's response and any failure through `HttpErrors`. A defect is
 * logged (with the request id) and answered 500 without detail.
 */
import type { ConnectionListing } from "@finch-connections/core/ConnectionListing"
import type { ConnectionRepository } from "@finch-connections/core/ConnectionRepository"
import type { CustomerRepository } from "@finch-connections/core/CustomerRepository"
import type { EmployeeStore } from "@finch-connections/core/EmployeeStore"
import type { FinchGateway } from "@finch-connections/core/FinchGateway"
import type { PersonStore } from "@finch-connections/core/PersonStore"
import type { SyncQueue } from "@finch-connections/core/SyncQueue"
import type { Webhooks } from "@finch-connections/finch-client/Webhooks"
import type { ConnectStateLog } from "@finch-connections/store-postgres/ConnectStateLog"
import type { PersonDirectory } from "@finch-connections/store-postgres/PersonDirectory"
import type { PgDatabase } from "@finch-connections/store-postgres/PgDatabase"
import type { WebhookEventLog } from "@finch-connections/store-postgres/WebhookEventLog"
import {
  Cause,
  Effect,
  Context as EffectContext,
  Either,
  Exit,
  FiberId,
  FiberRef,
  FiberRefs,
  HashMap,
  type List,
  Logger,
  LogLevel,
  type LogSpan,
  Option,
  Runtime,
  Tracer,
} from "effect"
import type { Context, Env } from "hono"
import type { ApiKeys } from "./ApiKeys.ts"
import type { ConnectStates } from "./ConnectState.ts"
import * as HttpErrors from "./HttpErrors.ts"
import * as Logging from "./Logging.ts"
import type { PageSessions } from "./pages/PageSessions.ts"
import type { ProviderCatalog } from "./pages/ProviderCatalog.ts"
import type { ResponseCache } from "./ResponseCache.ts"
import type { SyncRequests } from "./SyncRequests.ts"

/** Everything a handler's Effect may use. */
export type ApiServices =
  | ApiKeys
  | ConnectStates
  | ConnectStateLog
  | ConnectionListing
  | ConnectionRepository
  | CustomerRepository
  | EmployeeStore
  | FinchGateway
  | PersonDirectory
  | PageSessions
  | PersonStore
  | PgDatabase
  | ProviderCatalog
  | ResponseCache
  | SyncQueue
  | SyncRequests
  | WebhookEventLog
  | Webhooks

/** The runtime the app runs handlers on (from a `ManagedRuntime`, or the main job's layer). */
export type ApiRuntime = Runtime.Runtime<ApiServices>

/** Hono's per-request variables. */
export interface ApiEnv extends Env {
  Variables: {
    requestId: string
  }
}

/**
 * Runs `effect` for the request: its value, or the `ApiError` its failure maps to (`HttpErrors`), a defect or a 5xx
 * being logged with the request id. Every handler, JSON or page, goes through this.
 */
export const runForAnswer = async <A, E, Env extends ApiEnv>(
  runtime: ApiRuntime,
  c: Context<Env, any, any>,
  effect: Effect.Effect<A, E, ApiServices>,
): Promise<Either.Either<A, HttpErrors.ApiError>> => {
  const exit = await Runtime.runPromiseExit(runtime)(
    effect.pipe(Effect.annotateLogs({ request_id: c.get("requestId") })),
  )
  if (Exit.isSuccess(exit)) return Either.right(exit.value)
  const failure = Cause.failureOption(exit.cause)
  const answer = Option.isSome(failure) ? HttpErrors.fromFailure(failure.value) : HttpErrors.internalError
  if (Option.isNone(failure) || answer.status >= 500)
    logDefect(runtime, c as unknown as Context<ApiEnv, any, any>, exit.cause)
  return Either.left(answer)
}

/** Runs `effect` for the request and answers with `onSuccess`, or with the failure's error body. */
export const runEffect = async <A, E>(
  runtime: ApiRuntime,
  c: Context<ApiEnv, any, any>,
  effect: Effect.Effect<A, E, ApiServices>,
  onSuccess: (value: A) => Response | Promise<Response>,
): Promise<Response> =>
  Either.match(await runForAnswer(runtime, c, effect), {
    onLeft: (answer) => HttpErrors.respond(c, answer),
    onRight: onSuccess,
  })

/** Logs an unexpected failure with its request id. */
export const logDefect = (runtime: ApiRuntime, c: Context<ApiEnv, any, any>, cause: Cause.Cause<unknown>) =>
  Runtime.runSync(runtime)(
    Effect.logError("request failed", cause).pipe(Effect.annotateLogs({ request_id: c.get("requestId") })),
  )

/** A log entry at Info whose annotations are only made a `HashMap` for a logger that reads them. */
class InfoEntry {
  readonly fiberId = FiberId.none
  readonly logLevel = LogLevel.Info
  readonly cause = Cause.empty
  readonly date = new Date()
  readonly message: ReadonlyArray<string>
  readonly context: FiberRefs.FiberRefs
  readonly spans: List.List<LogSpan.LogSpan>
  readonly [Logging.plainAnnotations]: Readonly<Record<string, unknown>> | undefined
  #base: HashMap.HashMap<string, unknown>
  #given: Readonly<Record<string, unknown>>
  #annotations: HashMap.HashMap<string, unknown> | undefined
  constructor(
    message: ReadonlyArray<string>,
    context: FiberRefs.FiberRefs,
    spans: List.List<LogSpan.LogSpan>,
    base: HashMap.HashMap<string, unknown>,
    given: Readonly<Record<string, unknown>>,
  ) {
    this.message = message
    this.context = context
    this.spans = spans
    this.#base = base
    this.#given = given
    this[Logging.plainAnnotations] = HashMap.isEmpty(base) ? given : undefined
  }
  get annotations(): HashMap.HashMap<string, unknown> {
    this.#annotations ??= HashMap.mutate(this.#base, (all) => {
      for (const key in this.#given) HashMap.set(all, key, this.#given[key])
    })
    return this.#annotations
  }
}

/**
 * A logger of `message` at Info with annotations, through the runtime's loggers (and its minimum level, annotations
 * and spans), as `Effect.logInfo` on the runtime would, without starting a fiber: the request log runs on every
 * request. What the runtime fixes (its loggers, level, annotations, spans) is read once, here; a call only builds its
 * entry, whose annotations the JSON logger of `Logging.ts` reads as they were given (any other logger gets them as
 * the usual `HashMap`). Effect's tracer logger is left out when the runtime has no span for it to annotate (it would
 * do nothing). `undefined` when the runtime logs nothing at Info.
 */
export const infoLoggerOf = <R>(
  runtime: Runtime.Runtime<R>,
  message: string,
): ((annotations: Readonly<Record<string, unknown>>) => void) | undefined => {
  const refs = runtime.fiberRefs
  if (LogLevel.greaterThan(FiberRefs.getOrDefault(refs, FiberRef.currentMinimumLogLevel), LogLevel.Info)) return
  const noSpan = Option.isNone(
    EffectContext.getOption(FiberRefs.getOrDefault(refs, FiberRef.currentContext), Tracer.ParentSpan),
  )
  const loggers = Array.from(FiberRefs.getOrDefault(refs, FiberRef.currentLoggers)).filter(
    (logger) => !(noSpan && logger === Logger.tracerLogger),
  )
  const base = FiberRefs.getOrDefault(refs, FiberRef.currentLogAnnotations)
  const spans = FiberRefs.getOrDefault(refs, FiberRef.currentLogSpan)
  const messages = [message]
  return (annotations) => {
    const entry = new InfoEntry(messages, refs, spans, base, annotations)
    for (const logger of loggers) logger.log(entry)
  }
}

/** Logs `message` at Info with `annotations` on the runtime (see `infoLoggerOf`; for repeated logs, keep its logger). */
export const logInfoNow = <R>(
  runtime: Runtime.Runtime<R>,
  message: string,
  annotations: Readonly<Record<string, unknown>>,
) => infoLoggerOf(runtime, message)?.(annotations)
