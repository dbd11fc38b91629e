/**
 * A headless Chromium for browser tests, found without a download: `CHROMIUM_PATH`, else Debian's
 * `/usr/bin/chromium`, else the Chromium that ships inside the `@sparticuz/chromium` npm package (unpacked to the
 * temporary folder on first use). There is always one, so browser tests never skip.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Browser, chromium } from "playwright-core"

/** Flags for a headless browser in a container: no sandbox (root), no GPU, nothing that reaches the network. */
const quietFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

/** Which Chromium the tests drive, and the flags it needs. */
export interface ChromiumBinary {
  readonly executablePath: string
  readonly args: ReadonlyArray<string>
  readonly source: "CHROMIUM_PATH" | "debian" | "@sparticuz/chromium"
}

/** The Chromium to drive (see the module comment for the order). */
export const findChromium = async (): Promise<ChromiumBinary> => {
  const configured = process.env["CHROMIUM_PATH"]
  if (configured !== undefined && configured !== "") {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`)
    return { executablePath: configured, args: quietFlags, source: "CHROMIUM_PATH" }
  }
  if (existsSync("/usr/bin/chromium")) {
    return { executablePath: "/usr/bin/chromium", args: quietFlags, source: "debian" }
  }
  const packaged = (await import("@sparticuz/chromium")).default
  const executablePath = await unpacked(packaged)
  return {
    executablePath,
    // Its flags are for one page per Lambda: `--single-process` ends the browser with its first closed page.
    args: [...new Set([...packaged.args.filter((flag) => flag !== "--single-process"), ...quietFlags])],
    source: "@sparticuz/chromium",
  }
}

/**
 * The packaged Chromium, unpacked once per installed version into a folder of its own under the temporary folder.
 * The package itself unpacks straight into `$TMPDIR/chromium` and takes any file there as done, so two test processes
 * starting at once (turbo runs the packages side by side) could launch a half-written browser. Here each process
 * unpacks into a private folder and renames it into place; a process that loses the race drops its copy.
 */
const unpacked = async (packaged: typeof import("@sparticuz/chromium").default): Promise<string> => {
  const installed = createRequire(import.meta.url).resolve("@sparticuz/chromium")
  const home = join(
    tmpdir(),
    `finch-connections-chromium-${createHash("sha256").update(installed).digest("hex").slice(0, 12)}`,
  )
  if (existsSync(join(home, "chromium"))) return join(home, "chromium")
  const staging = mkdtempSync(`${home}.partial-`)
  // the package unpacks into `os.tmpdir()`, which follows TMPDIR at each call
  const temporary = process.env["TMPDIR"]
  process.env["TMPDIR"] = staging
  try {
    await packaged.executablePath()
  } finally {
    if (temporary === undefined) delete process.env["TMPDIR"]
    else process.env["TMPDIR"] = temporary
  }
  try {
    renameSync(staging, home)
  } catch (error) {
    if (!existsSync(join(home, "chromium"))) throw error
    rmSync(staging, { recursive: true, force: true })
  }
  return join(home, "chromium")
}

/** Launches the Chromium `findChromium` picks, headless. */
export const launchChromium = async (): Promise<Browser> => {
  const binary = await findChromium()
  return chromium.launch({ executablePath: binary.executablePath, args: [...binary.args], headless: true })
}
