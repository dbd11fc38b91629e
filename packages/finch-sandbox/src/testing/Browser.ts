/**
 * A headless Chromium for browser tests, found without a download: `CHROMIUM_PATH`, else Debian's
 * `/usr/bin/chromium`, else the Chromium that ships inside the `@sparticuz/chromium` npm package (unpacked to the
 * temporary folder on first use). There is always one, so browser tests never skip.
 */
import { existsSync } from "node:fs"
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
  const executablePath = await packaged.executablePath()
  return {
    executablePath,
    // Its flags are for one page per Lambda: `--single-process` ends the browser with its first closed page.
    args: [...new Set([...packaged.args.filter((flag) => flag !== "--single-process"), ...quietFlags])],
    source: "@sparticuz/chromium",
  }
}

/** Launches the Chromium `findChromium` picks, headless. */
export const launchChromium = async (): Promise<Browser> => {
  const binary = await findChromium()
  return chromium.launch({ executablePath: binary.executablePath, args: [...binary.args], headless: true })
}
