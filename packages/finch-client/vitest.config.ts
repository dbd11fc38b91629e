import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start a sandbox and move real bytes on a shared 2-core machine.
    testTimeout: 30_000,
  },
})
