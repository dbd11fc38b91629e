import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // each test file clones its own database from a template migrated once per run
    globalSetup: ["../../packages/store-postgres/src/testing/globalSetup.ts"],
    // a safety net, not a speed check: turbo runs the packages' suites side by side on a shared 2-core machine
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
