/**
 * `pnpm --filter @finch-connections/worker start`: one worker process on the queue in `DATABASE_URL` (or the
 * embedded server). Start as many as you like, on as many machines, against the same database. SIGTERM/SIGINT stop
 * taking jobs, let the running ones finish (or release them after WORKER_SHUTDOWN_TIMEOUT_MS), and exit 0.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as DatabaseServer from "@finch-connections/store-postgres/DatabaseServer"
import { Effect, Layer, Logger } from "effect"
import { workerOptions } from "./WorkerConfig.ts"
import * as WorkerLive from "./WorkerLive.ts"

const MainLive = Layer.unwrapEffect(Effect.map(workerOptions, WorkerLive.layer)).pipe(
  Layer.provideMerge(DatabaseServer.layerConfig),
  Layer.provide(Logger.json),
)

// Started by the main job (an IPC channel to it): when the main job goes, even killed outright, this worker stops too.
if (process.send !== undefined) process.once("disconnect", () => process.kill(process.pid, "SIGTERM"))

// Runs until SIGTERM/SIGINT, or stops with a clear message when the embedded database is lost.
NodeRuntime.runMain(DatabaseServer.launch(MainLive))
