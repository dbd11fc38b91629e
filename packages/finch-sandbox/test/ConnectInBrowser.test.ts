/** A person clicks through the simulated Finch Connect in a real (headless) Chromium. */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchChromium } from "../src/testing/Browser.ts"
import { basicOf, call, useSandbox } from "./support/Http.ts"

// Debian's chromium when installed, else the one inside an npm package: never downloaded, never skipped.
describe("Connect in a browser", () => {
  const sandbox = useSandbox({ beforeAll, afterAll })
  let browser: Browser
  let callback: Server
  let callbackUrl: string

  beforeAll(async () => {
    browser = await launchChromium()
    callback = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<p>back in the app</p>")
    })
    await new Promise<void>((resolve) => callback.listen(0, "127.0.0.1", resolve))
    callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/finch/callback`
    // the first launch on a machine may unpack the packaged Chromium, slowly when other packages' tests run beside it
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => callback?.close(resolve))
  })

  const newSession = async (body: Record<string, unknown> = {}) =>
    (
      await call(sandbox(), "/connect/sessions", {
        basic: basicOf(sandbox()),
        body: {
          customer_id: "browser-customer",
          customer_name: "Browser Co",
          products: ["company", "directory"],
          redirect_uri: callbackUrl,
          ...body,
        },
      })
    ).body as { session_id: string; connect_url: string }

  it("picks a provider, logs in, picks entities and lands on redirect_uri with a code and the state", async () => {
    const session = await newSession()
    const page = await browser.newPage()
    try {
      await page.goto(`${session.connect_url}&state=state-123`)
      await page.selectOption("#provider_id", "rippling")
      await page.fill("#username", "multi_entity")
      await page.click("button[type=submit]")
      await page.waitForSelector("input[name=entity_ids]")
      const boxes = page.locator("input[name=entity_ids]")
      expect(await boxes.count()).toBe(3)
      await boxes.nth(1).uncheck()
      await page.click("button[type=submit]")
      await page.waitForURL((url) => url.toString().startsWith(callbackUrl))
      const landed = new URL(page.url())
      expect(landed.searchParams.get("state")).toBe("state-123")
      const token = await call(sandbox(), "/auth/token", {
        body: {
          client_id: sandbox().clientId,
          client_secret: sandbox().clientSecret,
          code: landed.searchParams.get("code"),
          redirect_uri: callbackUrl,
        },
      })
      expect(token.status).toBe(200)
      expect(token.body.provider_id).toBe("rippling")
      expect(token.body.entity_ids).toHaveLength(2)
    } finally {
      await page.close()
    }
  })

  it("shows a readable error for a wrong password", async () => {
    const session = await newSession()
    const page = await browser.newPage()
    try {
      await page.goto(session.connect_url)
      await page.fill("#password", "not-the-password")
      // The refusal is a 400 page: don't wait for the navigation to "settle" the way a 2xx one does.
      await page.click("button[type=submit]", { noWaitAfter: true })
      await page.waitForSelector("#error")
      expect(await page.textContent("#error")).toContain("Incorrect username or password")
    } finally {
      await page.close()
    }
  })
})
