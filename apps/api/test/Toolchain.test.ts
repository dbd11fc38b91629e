import { describe, expect, it } from "vitest"

describe("the toolchain of @finch-connections/api", () => {
  it("runs on Node 24", () => {
    expect(process.versions.node.split(".")[0]).toBe("24")
  })
})
