/**
 * The real main job (`src/main.ts`, what `pnpm start` runs) driven through its pages in a headless Chromium (Debian's,
 * or the one inside `@sparticuz/chromium`: never downloaded, never skipped), with the sandbox it starts (its `finch:`
 * line) as Finch: open the printed `page:` link, connect a second provider through the sandbox's Connect page, add a
 * second login to that company, have Finch ask for reauthentication (the sandbox's control API), reconnect, then split
 * a person the worker merged. Screenshots of each state go to `apps/api/test-output/main-job-in-browser/` (ignored by
 * git).
 */
import { mkdirSync, rmSync } from "node:fs"
import * as path from "node:path"
import { launchChromium } from "@finch-connections/finch-sandbox/testing/Browser"
import { afterAll, beforeAll, expect, it } from "vitest"
import {
  callApi,
  type MainJobPlace,
  makeMainJobPlace,
  type Started,
  startMainJob,
  stopMainJob,
} from "./fixtures/MainJob.ts"

const screenshots = path.resolve(import.meta.dirname, "../test-output/main-job-in-browser")
let place: MainJobPlace
let started: Started
let browser: Awaited<ReturnType<typeof launchChromium>>
/** playwright-core's `Page` (the api package reaches playwright only through the sandbox's `launchChromium`). */
type Page = Awaited<ReturnType<typeof browser.newPage>>

beforeAll(async () => {
  rmSync(screenshots, { recursive: true, force: true })
  mkdirSync(screenshots, { recursive: true })
  place = await makeMainJobPlace()
  started = await startMainJob(place.env)
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  if (started !== undefined) expect(await stopMainJob(started.child)).toBe(0)
  await place?.drop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Clicks through the sandbox's Connect page (login, then company or entities when asked) back to our page. */
const finishConnect = async (page: Page, finch: string) => {
  expect(page.url().startsWith(`${finch}/`)).toBe(true)
  for (let step = 0; step < 4; step++) {
    await page.click("button[type=submit]")
    await page.waitForLoadState()
    if (new URL(page.url()).pathname === "/pages/connections") return
  }
  throw new Error(`Connect did not come back to the connections page: ${page.url()}`)
}

/** The card of one connection (its Disconnect link names it). */
const card = (page: Page, connectionId: string) =>
  page.locator(`article.connection:has(a[href="/pages/connections/${connectionId}/disconnect"])`)

const logins = (page: Page, connectionId: string) =>
  card(page, connectionId).locator("tbody tr th span.login").allTextContents()

it("connects, adds a login, reconnects and splits a person on the running main job's pages", async () => {
  const finch = started.lines["finch"]!
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
  const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true })
  const adpRun = async () => {
    const listed = await callApi(started, "GET", "/v1/customers/demo/connections")
    return (listed.body.connections as ReadonlyArray<any>).filter((c) => c.provider_id === "adp_run")
  }
  try {
    // The printed link opens the demo customer's connections: the seed's five, each login by its username.
    await page.goto(started.lines["page"]!)
    await page.waitForURL((url) => url.pathname === "/pages/connections")
    await expect(page.locator("h1").textContent()).resolves.toContain("Demo Co")
    expect(await page.locator("article.connection").count()).toBe(5)
    expect(await page.locator("span.login").allTextContents()).toEqual(
      expect.arrayContaining(["acme_alice", "acme_bob", "borealis_gusto", "borealis_adp", "evergreen_admin"]),
    )
    await shot("01-demo-customer")

    // A second provider for the customer, through the sandbox's Connect page: ADP RUN, as Acme's HR admin.
    await page.click("text=Connect another provider, account or entity")
    await page.waitForURL((url) => url.href.startsWith(finch))
    await page.selectOption("#provider_id", "adp_run")
    await page.fill("#username", "acme_hr")
    await finishConnect(page, finch)
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("a new connection was added")
    expect(await page.locator("article.connection").count()).toBe(6)
    const [created] = await adpRun()
    const connectionId: string = created.id
    expect(await card(page, connectionId).getAttribute("class")).toContain("highlighted")
    expect(await logins(page, connectionId)).toEqual(["acme_hr"])
    await shot("02-second-provider")

    // A second login at the same company (Acme's payroll admin): one connection, two logins.
    await page.click("text=Connect another provider, account or entity")
    await page.waitForURL((url) => url.href.startsWith(finch))
    await page.selectOption("#provider_id", "adp_run")
    await page.fill("#username", "acme_payroll")
    await finishConnect(page, finch)
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("this login was added")
    expect(await page.locator("article.connection").count()).toBe(6)
    expect(await logins(page, connectionId)).toEqual(["acme_hr", "acme_payroll"])
    const accounts = (await adpRun()).map((c) => c.accounts.length)
    expect(accounts).toEqual([2])
    await shot("03-second-login")

    // Finch asks the HR login to reauthenticate (the sandbox's control API; its webhook tells the API): the page
    // prompts to reconnect.
    const finchConnections = await (await fetch(`${finch}/_sandbox/connections?username=acme_hr`)).json()
    const hr = finchConnections.connections[0].connection_id as string
    const forced = await fetch(`${finch}/_sandbox/connections/${hr}/status`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "reauth" }),
    })
    expect(forced.status).toBe(200)
    const prompt = card(page, connectionId).locator("[role=alert]")
    for (let attempt = 0; attempt < 40 && (await prompt.count()) === 0; attempt++) {
      await sleep(250)
      await page.reload()
    }
    await expect(prompt.textContent()).resolves.toContain("reconnected")
    const hrBefore = (await adpRun())[0].accounts.find((a: any) => a.username === "acme_hr")
    expect(hrBefore.status).toBe("reauth_required")
    const tokensAtFinch = async () => (await (await fetch(`${finch}/_sandbox/connections/${hr}`)).json()).tokens
    const tokensBefore: number = await tokensAtFinch()
    await shot("04-reauth-prompt")

    // Reconnect: the sandbox's Connect page again, then the same connection, its login's token replaced.
    await card(page, connectionId).locator("button.primary:has-text('Reconnect')").click()
    await page.waitForURL((url) => url.href.startsWith(finch))
    await finishConnect(page, finch)
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("access was renewed")
    expect(await card(page, connectionId).getAttribute("class")).toContain("highlighted")
    expect(await card(page, connectionId).locator("[role=alert]").count()).toBe(0)
    const after = await adpRun()
    expect(after.map((c) => c.id)).toEqual([connectionId])
    const hrAfter = after[0].accounts.find((a: any) => a.username === "acme_hr")
    // the same login of the same connection, on the new token Finch minted for it
    expect(hrAfter).toMatchObject({ id: hrBefore.id, finch_connection_id: hr, status: "connected" })
    expect(await tokensAtFinch()).toBe(tokensBefore + 1)
    expect(Date.parse(hrAfter.updated_at)).toBeGreaterThan(Date.parse(hrBefore.updated_at))
    await shot("05-reconnected")

    // Employees: once the worker has synced and reconciled, a person found in two records (Borealis moved from
    // Gusto to ADP) is split by a person.
    let merged: any
    for (let attempt = 0; attempt < 240 && merged === undefined; attempt++) {
      const people = await callApi(started, "GET", "/v1/customers/demo/employees?limit=100")
      merged = (people.body.employees ?? []).find((person: any) => person.records.length >= 2)
      if (merged === undefined) await sleep(500)
    }
    expect(merged).toBeDefined()
    await page.click("nav >> text=Employees")
    await page.waitForURL((url) => url.pathname === "/pages/employees")
    await shot("06-employees")
    const link = page.locator(`a[href="/pages/employees/${encodeURIComponent(merged.id)}"]`)
    if ((await link.count()) > 0) await link.click()
    else await page.goto(new URL(`/pages/employees/${encodeURIComponent(merged.id)}`, page.url()).href)
    const records = merged.records.length
    expect(await page.locator("section.record").count()).toBe(records)
    await shot("07-merged-person")
    // The record the person starts from (the first) stays; the one split off leaves.
    const anchor = await page.locator("section.record").first().locator("dd").nth(1).textContent()
    await page.locator("button:has-text('Not the same person')").first().click()
    await expect(page.locator("[role=status]").textContent()).resolves.toContain("not the same person")
    expect(await page.locator("section.record").count()).toBe(records - 1)
    expect(await page.locator("section.record").first().locator("dd").nth(1).textContent()).toBe(anchor)
    await shot("08-split")

    // Back on the connections page, the worker's syncs show how they ended.
    await page.click("nav >> text=Connections")
    await page.waitForURL((url) => url.pathname === "/pages/connections")
    expect(await page.locator("article.connection").count()).toBe(6)
    await shot("09-connections-synced")
  } finally {
    await page.close()
  }
}, 300_000)
