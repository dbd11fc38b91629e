import { createRequire } from "node:module"
import { defineConfig } from "vitest/config"

const require = createRequire(import.meta.url)

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // each test file clones its own database from a template migrated once per run (store-postgres's harness)
    globalSetup: [require.resolve("@finch-connections/store-postgres/testing/globalSetup")],
    // a safety net, not a speed check: turbo runs the packages' suites side by side on a shared 2-core machine
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
