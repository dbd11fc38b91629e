/**
 * The pages in a real headless Chromium (Debian's, or the one inside `@sparticuz/chromium`: never downloaded, never
 * skipped), the app served on loopback and the sandbox's own Connect page as Finch Connect: open the customer's link,
 * connect a second provider, add a second login, get prompted to reconnect and reconnect, then split a person.
 * Screenshots of each state go to `test/screenshots/` (ignored by git).
 */
import { mkdirSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { launchChromium } from "@finch-connections/finch-sandbox/testing/Browser"
import { serve } from "@hono/node-server"
import { afterAll, beforeAll, expect, it } from "vitest"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

const screenshots = new URL("./screenshots/", import.meta.url).pathname
let api: TestApi
let browser: Awaited<ReturnType<typeof launchChromium>>
let server: ReturnType<typeof serve>
let base: string

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true })
  api = await makeTestApi()
  browser = await launchChromium()
  await new Promise<void>((resolve) => {
    server = serve({ fetch: api.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
  await api?.close()
})

it("connects, adds a login, reconnects and splits a person through the pages", async () => {
  await api.createCustomer("acme", "Acme Corporation")
  const first = await api.connect("acme", { username: "acme_alice" })
  expect(first.status).toBe(201)
  const connectionId: string = first.body.connection.id
  const link = await api.call("POST", "/v1/customers/acme/sessions", { body: {} })
  const url = new URL(link.body.url)

  const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
  const shot = (name: string) => page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true })
  try {
    await page.goto(`${base}${url.pathname}${url.search}`)
    await page.waitForURL(`${base}/pages/connections`)
    await expect(page.locator("h1").textContent()).resolves.toContain("Acme Corporation")
    await shot("01-connections")

    // A second provider, through the sandbox's Connect page.
    await page.click("text=Connect another provider, account or entity")
    await page.selectOption("#provider_id", "rippling")
    await page.fill("#username", "multi_entity")
    await page.click("button[type=submit]")
    await page.waitForSelector("input[name=entity_ids]")
    await page.click("button[type=submit]")
    await page.waitForURL((landed) => landed.pathname === "/pages/connections")
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("a new connection was added")
    expect(await page.locator("article.connection").count()).toBe(2)
    await shot("02-second-provider")

    // A second login at the same company: one connection, two logins.
    await page.click("text=Connect another provider, account or entity")
    await page.selectOption("#provider_id", "gusto")
    await page.fill("#username", "acme_bob")
    await page.click("button[type=submit]")
    await page.waitForURL((landed) => landed.pathname === "/pages/connections")
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("this login was added")
    const gusto = page.locator(`article:has(a[href^="/pages/connections/${connectionId}/disconnect"])`)
    expect(await gusto.locator("tbody tr").count()).toBe(2)
    await shot("03-second-login")

    // Finch asks for reauthentication: the page prompts, Reconnect renews the same connection.
    const read = await api.call("GET", `/v1/customers/acme/connections/${connectionId}`)
    const alice = read.body.accounts[0]
    await api.deliverWebhook({
      connection_id: alice.finch_connection_id,
      event_type: "account.updated",
      data: { status: "reauth" },
    })
    await page.reload()
    await expect(page.locator("[role=alert]").first().textContent()).resolves.toContain("reconnected")
    await shot("04-reauth-prompt")
    await page.click("button.primary:has-text('Reconnect')")
    await page.click("button[type=submit]")
    await page.waitForURL((landed) => landed.pathname === "/pages/connections")
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("access was renewed")
    // the same connection, highlighted as the one Connect changed
    expect(
      await page.locator(`article.highlighted a[href="/pages/connections/${connectionId}/disconnect"]`).count(),
    ).toBe(1)
    // the one-time message left the address (pages.js), so a reload does not repeat it
    await page.waitForFunction(() => window.location.search === "")
    await page.reload()
    expect(await page.locator("[role=status]").count()).toBe(0)
    await shot("05-reconnected")

    // Employees: a merged person, split by a person.
    const bamboo = await api.connect("acme", { username: "good_user_81", provider_id: "justworks" })
    const maria = { id: "m-1", first: "Maria", last: "Lopez", dob: "1985-03-02", email: "maria@acme.test" }
    await api.seedEmployees("acme", connectionId, [maria])
    await api.seedEmployees("acme", bamboo.body.connection.id, [{ ...maria, id: "m-2" }])
    await page.click("nav >> text=Employees")
    await page.click("text=Maria Lopez")
    expect(await page.locator("section.record").count()).toBe(2)
    await shot("06-person")
    // The record the person starts from (the first) stays on the page; the other leaves.
    const anchor = await page.locator("section.record").first().locator("dd").nth(1).textContent()
    await page.click("button:has-text('Not the same person')")
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("not the same person")
    expect(await page.locator("section.record").count()).toBe(1)
    expect(await page.locator("section.record").first().locator("dd").nth(1).textContent()).toBe(anchor)
    await shot("07-split")
  } finally {
    await page.close()
  }
})
