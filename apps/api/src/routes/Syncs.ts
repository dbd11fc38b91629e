/**
 * A connection's employee syncs: asking for one (queued for the worker through core's `SyncQueue`: kept even when no
 * worker runs yet) and reading a run with its counters.
 */
import * as Connections from "@finch-connections/core/Connections"
import { SyncId, SyncQueue, type SyncRun } from "@finch-connections/core/SyncQueue"
import { Effect, Option, Schema } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import { ConnectionPath, CustomerPath } from "../Params.ts"
import { noBody, SafeText, validate } from "../Validation.ts"
import * as Responses from "./Responses.ts"

const SyncRequested = Schema.Struct({ sync_id: Schema.String }).annotations({ identifier: "SyncRequested" })

const SyncRunBody = Schema.Struct({
  id: Schema.String,
  connection_id: Schema.String,
  status: Schema.String.annotations({ description: "`queued`, `running`, `succeeded`, `partial` or `failed`" }),
  reason: Schema.String,
  progress: Schema.Struct({
    pages: Schema.Number,
    individuals: Schema.Number,
    employments: Schema.Number,
    failed_items: Schema.Number,
  }),
  attempts: Schema.Number,
  error: Schema.NullOr(Schema.String),
  requested_at: Schema.String,
  started_at: Schema.NullOr(Schema.String),
  finished_at: Schema.NullOr(Schema.String),
}).annotations({ identifier: "SyncRun" })

const SyncPath = Schema.Struct({
  ...CustomerPath.fields,
  sync_id: Schema.compose(SafeText, SyncId),
})

const iso = (date: Option.Option<Date>) => Option.getOrNull(Option.map(date, (d) => d.toISOString()))

/** A run's JSON. */
export const toJson = (run: SyncRun): typeof SyncRunBody.Type => ({
  id: run.id,
  connection_id: run.connectionId,
  status: run.status,
  reason: run.reason,
  progress: {
    pages: run.progress.pages,
    individuals: run.progress.individuals,
    employments: run.progress.employments,
    failed_items: run.progress.failedItems,
  },
  attempts: run.attempts,
  error: Option.getOrNull(run.error),
  requested_at: run.requestedAt.toISOString(),
  started_at: iso(run.startedAt),
  finished_at: iso(run.finishedAt),
})

/** The syncs router. */
export const routes = (runtime: ApiRuntime) =>
  new Hono<ApiEnv>()
    .post(
      "/v1/customers/:customer_id/connections/:connection_id/syncs",
      describeRoute({
        tags: ["syncs"],
        summary: "Queue a sync of the connection's employees",
        responses: { 202: Responses.ok("queued", SyncRequested), ...Responses.customerScoped },
      }),
      noBody,
      validate("param", ConnectionPath),
      (c) => {
        const { customer_id, connection_id } = c.req.valid("param")
        return runEffect(
          runtime,
          c,
          Effect.gen(function* () {
            // Another customer's connection answers like an unknown one, before anything is queued.
            yield* Connections.getConnection(customer_id, connection_id)
            return yield* (yield* SyncQueue).requestSync(customer_id, connection_id, { reason: "api" })
          }),
          (run) => c.json({ sync_id: run.id }, 202),
        )
      },
    )
    .get(
      "/v1/customers/:customer_id/syncs/:sync_id",
      describeRoute({
        tags: ["syncs"],
        summary: "A sync run: status and counters",
        responses: { 200: Responses.ok("the run", SyncRunBody), ...Responses.customerScoped },
      }),
      validate("param", SyncPath),
      (c) => {
        const { customer_id, sync_id } = c.req.valid("param")
        return runEffect(
          runtime,
          c,
          Effect.flatMap(SyncQueue, (queue) => queue.getRun(customer_id, sync_id)),
          (run) => c.json(toJson(run), 200),
        )
      },
    )
