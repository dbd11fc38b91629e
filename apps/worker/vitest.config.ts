import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/globalSetup.ts"],
    // a safety net, not a speed check: turbo runs the packages' suites side by side on a shared 2-core machine,
    // where a browser start or a property test over random histories can take well over vitest's default 5 s;
    // the worker's tests wait for real jobs, retries and child processes
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
