/**
 * Dependencies point inward: apps → adapters → core. This finds imports that break that rule.
 *
 * - core's source imports `effect` and its own files only (no I/O, no adapters); its tests, benchmarks and test
 *   support may add the test runner and Node's built-ins (to read fixtures, time runs).
 * - nothing imports an app (`@finch-connections/api`, `@finch-connections/worker`) but the app itself.
 * - adapters do not import each other's internals, and no file reaches into another package with `../`.
 */
import * as fs from "node:fs"
import * as path from "node:path"

export interface Violation {
  readonly file: string
  readonly specifier: string
  readonly rule: string
}

const apps = new Set(["@finch-connections/api", "@finch-connections/worker"])
const testRunner = ["vitest", "@effect/vitest", "fast-check"]

const importPattern =
  /(?:^|[\s;])(?:import|export)\s(?:[^'"`;]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g

/** The module specifiers a TypeScript source imports or re-exports. */
export const importsOf = (source: string): ReadonlyArray<string> =>
  [...source.matchAll(importPattern)].map((match) => match[1] ?? match[2] ?? "").filter((s) => s !== "")

const packageOf = (specifier: string) => {
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier)
}

/** The rule a file's import breaks, if any. `file` is relative to the repository root, with `/` separators. */
export const checkImport = (file: string, specifier: string): string | undefined => {
  const [area, name, folder] = file.split("/")
  const owner = `@finch-connections/${name}`
  if (specifier.startsWith(".")) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
    return target.startsWith(`${area}/${name}/`) ? undefined : "a relative import must stay inside its own package"
  }
  const imported = packageOf(specifier)
  if (apps.has(imported) && imported !== owner) return "nothing imports an app"
  if (area === "packages" && name === "core") {
    if (imported === "effect") return undefined
    if (folder !== "src" && (testRunner.includes(imported) || imported.startsWith("node:"))) return undefined
    return "packages/core imports nothing but effect"
  }
  if (imported.startsWith("@finch-connections/") && specifier.split("/").includes("internal")) {
    return "another package's internal modules are private"
  }
  return undefined
}

const sourceFiles = (root: string): ReadonlyArray<string> =>
  ["packages", "apps"].flatMap((area) => {
    const areaDir = path.join(root, area)
    if (!fs.existsSync(areaDir)) return []
    return fs
      .readdirSync(areaDir)
      .flatMap((name) =>
        (fs.readdirSync(path.join(areaDir, name), { recursive: true }) as Array<string>)
          .filter((file) => /\.(ts|tsx|mts)$/.test(file) && !file.split(path.sep).includes("node_modules"))
          .map((file) => path.posix.join(area, name, file.split(path.sep).join("/"))),
      )
  })

/** Every violation in the repository at `root`. */
export const findViolations = (root: string): ReadonlyArray<Violation> =>
  sourceFiles(root).flatMap((file) =>
    importsOf(fs.readFileSync(path.join(root, file), "utf8")).flatMap((specifier) => {
      const rule = checkImport(file, specifier)
      return rule === undefined ? [] : [{ file, specifier, rule }]
    }),
  )

if (import.meta.main) {
  const violations = findViolations(path.resolve(import.meta.dirname, ".."))
  for (const v of violations) console.error(`${v.file}: imports "${v.specifier}" — ${v.rule}`)
  if (violations.length > 0) process.exit(1)
  console.log("dependency direction: ok")
}
