/**
 * The sandbox's sense of time: the wall clock plus an offset the control API can move forward, so tests can jump past
 * a rate-limit window, a code's 10 minutes or a job quota without waiting. Webhook timestamps stay on the real clock
 * (receivers check them against theirs).
 */
export class Clock {
  private offsetMs = 0

  /** Milliseconds since the epoch, sandbox time. */
  now(): number {
    return Date.now() + this.offsetMs
  }

  /** Sandbox time as ISO-8601. */
  iso(): string {
    return new Date(this.now()).toISOString()
  }

  /** Moves sandbox time forward (never back). */
  advance(ms: number) {
    this.offsetMs += Math.max(0, ms)
  }

  get offset(): number {
    return this.offsetMs
  }
}
