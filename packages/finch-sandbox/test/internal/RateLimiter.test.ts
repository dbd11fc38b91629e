import { describe, expect, it } from "vitest"
import { bucketOf, limits, RateLimiter } from "../../src/internal/RateLimiter.ts"

const clock = () => {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe("RateLimiter", () => {
  it("knows Finch's buckets and limits", () => {
    expect(bucketOf("/employer/directory")).toBe("directory")
    expect(bucketOf("/employer/pay-statement")).toBe("pay-statement")
    expect(bucketOf("/employer/company")).toBe("company")
    expect(bucketOf("/introspect")).toBeUndefined()
    expect(limits).toMatchObject({ company: 20, directory: 20, individual: 20, employment: 20, payment: 12 })
  })

  it("slides a 60 s window per application and bucket", () => {
    const time = clock()
    const limiter = new RateLimiter("finch", false, time.now)
    for (let i = 0; i < 12; i++) expect(limiter.acquire("app", "payment").allowed).toBe(true)
    expect(limiter.acquire("app", "payment")).toMatchObject({ allowed: false, retryAfterMs: 60_000 })
    expect(limiter.acquire("other-app", "payment").allowed).toBe(true)
    expect(limiter.acquire("app", "directory").allowed).toBe(true)
    time.advance(59_999)
    expect(limiter.acquire("app", "payment")).toMatchObject({ allowed: false, retryAfterMs: 1 })
    time.advance(1)
    expect(limiter.acquire("app", "payment").allowed).toBe(true)
  })

  it("gives a released slot back", () => {
    const limiter = new RateLimiter("finch", false, clock().now)
    const slots = Array.from({ length: 20 }, () => limiter.acquire("app", "company"))
    expect(limiter.acquire("app", "company").allowed).toBe(false)
    slots[3]?.release()
    expect(limiter.acquire("app", "company").allowed).toBe(true)
  })

  it("'off' never limits and 'always' always does", () => {
    const off = new RateLimiter("off", false, clock().now)
    for (let i = 0; i < 100; i++) expect(off.acquire("app", "company").allowed).toBe(true)
    expect(new RateLimiter("always", false, clock().now).acquire("app", "company").allowed).toBe(false)
  })
})
