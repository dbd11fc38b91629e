/**
 * Finch's application rate limits (reference §6.5): a sliding 60-second window per application per endpoint,
 * counting only successful requests.
 */

/** `finch`: Finch's limits; `off`: none; `always`: every limited endpoint answers 429. */
export type RateLimitMode = "finch" | "off" | "always"

export const windowMs = 60_000

/** Requests per minute per application, by the endpoint's limit bucket. */
export const limits: Readonly<Record<string, number>> = {
  company: 20,
  directory: 20,
  individual: 20,
  employment: 20,
  "pay-statement-item": 20,
  payment: 12,
  "pay-groups": 12,
  "pay-statement": 12,
}

/** The limit bucket of a path, if Finch limits it. */
export const bucketOf = (path: string): string | undefined => {
  const match = /^\/employer\/(company|directory|individual|employment|payment|pay-statement|pay-groups)(?:\/|$)/.exec(
    path,
  )
  return match?.[1]
}

export interface Verdict {
  readonly allowed: boolean
  /** Milliseconds until the window lets one more request through. */
  readonly retryAfterMs: number
}

/** Finch's application limits, switchable between Finch's behaviour, none and always-limited. */
export class RateLimiter {
  mode: RateLimitMode
  /** Whether 429s carry a `Retry-After` header (Finch documents none). */
  sendRetryAfter: boolean
  private readonly windows = new Map<string, Array<number>>()
  private readonly now: () => number

  constructor(mode: RateLimitMode, sendRetryAfter: boolean, now: () => number) {
    this.mode = mode
    this.sendRetryAfter = sendRetryAfter
    this.now = now
  }

  private window(key: string): Array<number> {
    const now = this.now()
    const kept = (this.windows.get(key) ?? []).filter((at) => now - at < windowMs)
    this.windows.set(key, kept)
    return kept
  }

  /**
   * Lets a request to `bucket` by `clientId` start, or not. An allowed request holds its slot at once (so concurrent
   * requests cannot all slip in); call `release` if it ends up unsuccessful, since only successes count.
   */
  acquire(clientId: string, bucket: string): Verdict & { readonly release: () => void } {
    const none = () => {}
    if (this.mode === "off") return { allowed: true, retryAfterMs: 0, release: none }
    if (this.mode === "always") return { allowed: false, retryAfterMs: windowMs, release: none }
    const limit = limits[bucket]
    if (limit === undefined) return { allowed: true, retryAfterMs: 0, release: none }
    const window = this.window(`${clientId}:${bucket}`)
    if (window.length >= limit) {
      return { allowed: false, retryAfterMs: Math.max(0, (window[0] ?? 0) + windowMs - this.now()), release: none }
    }
    const at = this.now()
    window.push(at)
    return {
      allowed: true,
      retryAfterMs: 0,
      release: () => {
        const current = this.windows.get(`${clientId}:${bucket}`)
        const index = current?.indexOf(at) ?? -1
        if (current !== undefined && index >= 0) current.splice(index, 1)
      },
    }
  }

  reset() {
    this.windows.clear()
  }
}
