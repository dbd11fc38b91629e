/** Everything a request handler can reach: the state and the traffic controls around it. */
import type { HttpBindings } from "@hono/node-server"
import type { Faults, PendingItems } from "./Faults.ts"
import type { RateLimiter } from "./RateLimiter.ts"
import type { RequestLog } from "./RequestLog.ts"
import type { SandboxWrites } from "./SandboxWrites.ts"
import type { State } from "./State.ts"
import type { Webhooks } from "./Webhooks.ts"

export interface World {
  readonly state: State
  readonly faults: Faults
  readonly pendingPayStatements: PendingItems
  readonly rateLimiter: RateLimiter
  readonly requests: RequestLog
  readonly webhooks: Webhooks
  readonly writes: SandboxWrites
  /** Whether webhooks may target (and the server bind) addresses beyond loopback. */
  readonly allowNonLoopback: boolean
  readonly clientId: string
  readonly clientSecret: string
  /** Where Connect pages and job URLs point; known once the server listens. */
  baseUrl: string
}

/** Hono's environment for the sandbox: Node bindings (to drop sockets) and per-request notes. */
export interface SandboxEnv {
  Bindings: HttpBindings
  Variables: {
    /** Gives back the rate-limit slot this call holds, for when it does not succeed. */
    releaseRateSlot: (() => void) | undefined
  }
}
