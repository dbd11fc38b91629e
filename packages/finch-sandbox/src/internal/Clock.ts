/**
 * The sandbox's sense of time: the wall clock, moved forward by the control API (so tests can jump past a rate-limit
 * window, a code's 10 minutes or a job quota without waiting) and optionally running faster than the wall clock (so a
 * benchmark can live through Finch's minutes in less time, without anyone having to keep advancing it). Webhook
 * timestamps stay on the real clock (receivers check them against theirs).
 */
export class Clock {
  /** Sandbox time at `anchor`, and the wall-clock time it was read at; it runs `speed` times the wall clock since. */
  private base = Date.now()
  private anchor = this.base
  private rate = 1

  /** Milliseconds since the epoch, sandbox time. */
  now(): number {
    return this.base + (Date.now() - this.anchor) * this.rate
  }

  /** Sandbox time as ISO-8601. */
  iso(): string {
    return new Date(this.now()).toISOString()
  }

  /** Moves sandbox time forward (never back). */
  advance(ms: number) {
    this.base += Math.max(0, ms)
  }

  /** From now on sandbox time runs `speed` (> 0) times as fast as the wall clock; 1 is real time. */
  setSpeed(speed: number) {
    this.base = this.now()
    this.anchor = Date.now()
    this.rate = speed
  }

  get speed(): number {
    return this.rate
  }

  /** How far sandbox time is ahead of the wall clock. */
  get offset(): number {
    return this.now() - Date.now()
  }
}
