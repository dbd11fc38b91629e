import { describe, expect, it } from "vitest"

// Every pnpm script and turbo task runs on the pinned Node 24, not the machine's own node.
describe("the toolchain of @finch-connections/finch-sandbox", () => {
  it("runs on Node 24", () => {
    expect(process.versions.node.split(".")[0]).toBe("24")
  })
})
