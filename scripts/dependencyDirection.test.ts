import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { checkImport, findViolations, importsOf } from "./dependencyDirection.ts"

describe("the dependency-direction check", () => {
  it("reads static, type-only, re-exported and dynamic imports", () => {
    const source = `import { Effect } from "effect"\nimport type { Pool } from "pg"\nexport * from "./Connection.ts"\nconst m = await import("node:fs")`
    expect(importsOf(source)).toEqual(["effect", "pg", "./Connection.ts", "node:fs"])
  })

  it("lets core import effect and its own modules only", () => {
    expect(checkImport("packages/core/src/Connection.ts", "effect/Schema")).toBeUndefined()
    expect(checkImport("packages/core/src/Connection.ts", "./Ids.ts")).toBeUndefined()
    expect(checkImport("packages/core/src/Connection.ts", "pg")).toMatch(/nothing but effect/)
    expect(checkImport("packages/core/src/Connection.ts", "node:fs")).toMatch(/nothing but effect/)
    expect(checkImport("packages/core/src/Connection.ts", "@finch-connections/store-postgres/Database")).toMatch(
      /nothing but effect/,
    )
    expect(checkImport("packages/core/test/Connection.test.ts", "@effect/vitest")).toBeUndefined()
    expect(checkImport("packages/core/bench/reconcile.ts", "node:perf_hooks")).toBeUndefined()
    expect(checkImport("packages/core/test/Connection.test.ts", "pg")).toMatch(/nothing but effect/)
  })

  it("refuses imports of an app and reaching out of a package", () => {
    expect(checkImport("apps/worker/src/main.ts", "@finch-connections/api/Server")).toMatch(/nothing imports an app/)
    expect(checkImport("packages/store-postgres/src/Database.ts", "../../core/src/Connection.ts")).toMatch(
      /inside its own package/,
    )
    expect(checkImport("apps/api/src/main.ts", "@finch-connections/store-postgres/internal/embeddedServer")).toMatch(
      /internal/,
    )
    expect(checkImport("apps/api/src/main.ts", "@finch-connections/store-postgres/Database")).toBeUndefined()
  })

  it("finds a forbidden import planted in a repository", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "deps-"))
    fs.mkdirSync(path.join(root, "packages/core/src"), { recursive: true })
    fs.writeFileSync(
      path.join(root, "packages/core/src/Bad.ts"),
      `import pg from "pg"\nimport { Effect } from "effect"\n`,
    )
    expect(findViolations(root)).toEqual([
      { file: "packages/core/src/Bad.ts", specifier: "pg", rule: "packages/core imports nothing but effect" },
    ])
    fs.rmSync(root, { recursive: true })
  })

  it("passes on this repository", () => {
    expect(findViolations(path.resolve(import.meta.dirname, ".."))).toEqual([])
  })
})
