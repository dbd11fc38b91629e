/**
 * API keys: every configured key verifies (rotation), and nothing else does, however often it is asked (its prefixes,
 * extensions, the other key's, a guess of the same length).
 */
import { Redacted } from "effect"
import { expect, it } from "vitest"
import * as ApiKeys from "../src/ApiKeys.ts"

it("accepts the configured keys, every time, and nothing near them", () => {
  const keys = ApiKeys.make([Redacted.make("new-key-0123456789"), Redacted.make(" old-key-abcdefghij ")])
  const near = ["", "new-key-012345678", "new-key-01234567890", "new-key-0123456788", "New-key-0123456789", "old-key"]
  for (const round of [1, 2, 3]) {
    expect(keys.verify("new-key-0123456789"), `round ${round}`).toBe(true)
    expect(keys.verify("old-key-abcdefghij"), `round ${round}`).toBe(true)
    for (const guess of near) expect(keys.verify(guess), `${guess} in round ${round}`).toBe(false)
  }
})

it("needs a key", () => {
  expect(() => ApiKeys.make([Redacted.make(" ")])).toThrow()
})
