import { describe, expect, it } from "@effect/vitest"
import { assignIdentities, newPersonId } from "../../src/reconciliation/PersonIdentity.ts"

describe("PersonIdentity", () => {
  it("names a new cluster after its first record: p_ and 16 hex digits, the same every run", () => {
    expect(newPersonId("gusto:1", 0)).toBe("p_a8fe946e48919550")
    expect(newPersonId("gusto:1", 1)).toMatch(/^p_[0-9a-f]{16}$/)
    expect(newPersonId("gusto:1", 1)).not.toBe(newPersonId("gusto:1", 0))
  })

  it("never hands out an id a previous person still holds: the clashing new cluster takes the next attempt", () => {
    const recordIds = ["a", "b"]
    // a previous person that holds record "b" but carries the id record "a" would get as a new cluster
    const taken = newPersonId("a", 0)
    const identities = assignIdentities(
      recordIds,
      Int32Array.from([0, 1]),
      ["a", "b"],
      [{ personId: taken, recordIds: ["b"], since: 1 }],
      2,
    )
    expect(identities.personIds[1]).toBe(taken)
    expect(identities.personIds[0]).toBe(newPersonId("a", 1))
    expect(new Set(identities.personIds).size).toBe(2)
  })

  it("gives a thousand clusters a thousand distinct ids", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `c:${i}`)
    const identities = assignIdentities(ids, Int32Array.from(ids.keys()), ids, [], 0)
    expect(new Set(identities.personIds).size).toBe(1000)
    expect(identities.personIds[7]).toBe(newPersonId("c:7", 0))
  })
})
