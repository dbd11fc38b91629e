/**
 * The README's first command as a user runs it: `pnpm start`'s process on an empty data folder prints where to look,
 * the printed key opens the API, the demo customer is there with the seed's scenarios connected (and, once the
 * worker has synced and reconciled, its people); SIGTERM stops it cleanly; a second start reuses the data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  callApi,
  type MainJobPlace,
  makeMainJobPlace,
  type Started,
  startMainJob as start,
  stopMainJob as stop,
} from "./fixtures/MainJob.ts"

const getJson = (started: Started, route: string) => callApi(started, "GET", route)

describe("pnpm start (the main job)", () => {
  let place: MainJobPlace
  let env: Readonly<Record<string, string>>

  beforeAll(async () => {
    place = await makeMainJobPlace()
    env = place.env
  })

  afterAll(() => place?.drop())

  it("prints where to look, serves the demo customer's connections with the printed key, and stops on SIGTERM", async () => {
    const first = await start(env)
    try {
      expect(first.lines["api"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(first.lines["finch"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const listed = await getJson(first, "/v1/customers/demo/connections")
      expect(listed.status).toBe(200)
      const connections = listed.body.connections as ReadonlyArray<any>
      expect(connections).toHaveLength(5)
      // multi-provider (Gusto and ADP for Borealis), multi-entity (Rippling), multi-account (two Acme logins, one connection)
      expect(new Set(connections.map((c) => c.provider_id))).toEqual(
        new Set(["gusto", "adp_workforce_now", "rippling", "deel"]),
      )
      expect(connections.some((c) => c.accounts.length === 2)).toBe(true)
      expect(connections.some((c) => c.entities.length > 1)).toBe(true)
      const unauthorized = await fetch(`${first.lines["api"]}/v1/customers/demo/connections`)
      expect(unauthorized.status).toBe(401)
      // The worker syncs every connection and reconciles the customer: its people appear.
      let people: ReadonlyArray<unknown> = []
      for (let attempt = 0; attempt < 120 && people.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        people = (await getJson(first, "/v1/customers/demo/employees?limit=5")).body.employees ?? []
      }
      expect(people.length).toBeGreaterThan(0)
    } finally {
      expect(await stop(first.child)).toBe(0)
    }

    // The second start reuses the data: the same key, the same demo customer, no second set of connections.
    const second = await start(env)
    try {
      expect(second.lines["api key"]).toBe(first.lines["api key"])
      const listed = await getJson(second, "/v1/customers/demo/connections")
      expect(listed.body.connections).toHaveLength(5)
    } finally {
      expect(await stop(second.child)).toBe(0)
    }
  }, 240_000)
})
