/** `/jobs/*` (reference §8). */
import { Hono } from "hono"
import * as Errors from "../Errors.ts"
import * as Guards from "../Guards.ts"
import { jobView, quota, startDataSync, startW4Sync } from "../Jobs.ts"
import type { SandboxEnv, World } from "../World.ts"

const jobNotFound = (id: string) =>
  new Errors.FinchFailure(404, {
    statusCode: 404,
    status: 404,
    code: 404,
    name: "not_found_error",
    finch_code: "item_not_found",
    message: `could not find job with id '${id}'`,
  })

export const jobs = (world: World) => {
  const app = new Hono<SandboxEnv>()

  app.post("/jobs/automated", async (c) => {
    const { connection } = Guards.bearer(c, world)
    const body = await Guards.objectBody(c)
    const type = Guards.optionalString(body, "type")
    if (type === "w4_form_employee_sync") {
      const params = body["params"]
      const individualId = Guards.isRecord(params) ? params["individual_id"] : undefined
      if (typeof individualId !== "string") throw Errors.invalidRequest("[body:params.individual_id]: is required")
      return c.json(startW4Sync(world, connection, individualId), 201)
    }
    if (type !== "data_sync_all") {
      throw Errors.invalidRequest("[body:type]: must be 'data_sync_all' or 'w4_form_employee_sync'")
    }
    const result = startDataSync(world, connection)
    return c.json(result.body, result.status)
  })

  app.get("/jobs/automated", (c) => {
    const { connection } = Guards.bearer(c, world)
    const limit = Number(c.req.query("limit") ?? 100)
    const offset = Number(c.req.query("offset") ?? 0)
    return c.json({
      data: connection.jobs.slice(offset, offset + limit).map((job) => jobView(world, job)),
      meta: { quotas: { data_sync_all: quota(world, connection) } },
    })
  })

  app.get("/jobs/automated/:job_id", (c) => {
    const { connection } = Guards.bearer(c, world)
    const id = c.req.param("job_id")
    const job = connection.jobs.find((candidate) => candidate.job_id === id)
    if (job === undefined) throw jobNotFound(id)
    return c.json(jobView(world, job))
  })

  app.get("/jobs/manual/:job_id", (c) => {
    Guards.bearer(c, world)
    throw jobNotFound(c.req.param("job_id"))
  })

  return app
}
