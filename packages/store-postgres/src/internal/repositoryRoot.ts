import * as fs from "node:fs"
import * as path from "node:path"

/** The workspace root (the folder holding pnpm-workspace.yaml) above this package. */
export const repositoryRoot = (): string => {
  for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir
  }
  throw new Error(`no pnpm-workspace.yaml above ${import.meta.dirname}`)
}
