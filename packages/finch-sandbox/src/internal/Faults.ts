/** Injected faults: a status, latency or a dropped socket for the next N matching calls. */
import { randomUUID } from "node:crypto"

/** A fault as the control API takes it. */
export interface FaultInput {
  /** Path prefix such as `/employer/directory`; every Finch endpoint when absent. */
  readonly path?: string
  readonly method?: string
  readonly status?: number
  readonly count: number
  readonly latency_ms?: number
  readonly drop?: boolean
  /** `Retry-After` header (seconds) sent with the injected status. */
  readonly retry_after?: number
  /** `retry-after-ms` header sent with the injected status. */
  readonly retry_after_ms?: number
}

export interface Fault extends FaultInput {
  readonly id: string
  remaining: number
}

/** The pending faults, in the order they were added. */
export class Faults {
  private readonly faults: Array<Fault> = []

  add(input: FaultInput): Fault {
    const fault: Fault = { ...input, id: randomUUID(), remaining: input.count }
    this.faults.push(fault)
    return fault
  }

  clear() {
    this.faults.length = 0
  }

  list(): ReadonlyArray<Fault> {
    return this.faults
  }

  /** Takes one use of the first fault that matches the call, if any. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.method === undefined || candidate.method.toUpperCase() === method.toUpperCase()) &&
        (candidate.path === undefined || path.startsWith(candidate.path)),
    )
    if (fault === undefined) return undefined
    fault.remaining -= 1
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1)
    return fault
  }
}

/** Payments whose pay statements answer Finch's per-item 202 (`data_sync_in_progress`) for the next N reads. */
export class PendingItems {
  private readonly remaining = new Map<string, number>()

  set(id: string, count: number) {
    this.remaining.set(id, count)
  }

  /** Takes one pending read of `id`; false once none are left. */
  take(id: string): boolean {
    const left = this.remaining.get(id) ?? 0
    if (left <= 0) return false
    this.remaining.set(id, left - 1)
    return true
  }
}
