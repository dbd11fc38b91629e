/** Data-refresh jobs (reference §8): one forced `data_sync_all` per connection per hour, ending as configured. */
import * as Errors from "./Errors.ts"
import type { Connection, Job } from "./State.ts"
import type { World } from "./World.ts"

export const allowedRefreshes = 1
const quotaWindowMs = 60 * 60 * 1000

const refreshesUsed = (connection: Connection, now: number) =>
  connection.jobs.filter(
    (job) =>
      job.type === "data_sync_all" && job.scheduled_at === null && now - Date.parse(job.created_at) < quotaWindowMs,
  )

export const quota = (world: World, connection: Connection) => {
  const used = refreshesUsed(connection, world.state.options.clock.now()).length
  return { allowed_refreshes: allowedRefreshes, remaining_refreshes: Math.max(0, allowedRefreshes - used) }
}

export const jobUrl = (world: World, job: Job) => `${world.baseUrl}/jobs/automated/${job.job_id}`

/** Starts a forced refresh; finishes at once with the connection's configured outcome. */
export const startDataSync = (world: World, connection: Connection): { status: 201 | 202 | 429; body: object } => {
  const account = connection.accounts[0]
  if (account?.authentication_type === "assisted") {
    throw new Errors.FinchFailure(400, {
      statusCode: 400,
      status: 400,
      code: 400,
      message: "cannot create automated job for Assisted Connect token",
      name: "bad_request",
    })
  }
  const now = world.state.options.clock.now()
  const running = connection.jobs.find(
    (job) => job.type === "data_sync_all" && (job.status === "pending" || job.status === "in_progress"),
  )
  if (running !== undefined) {
    return {
      status: 202,
      body: { job_id: running.job_id, job_url: jobUrl(world, running), ...quota(world, connection) },
    }
  }
  const used = refreshesUsed(connection, now)
  if (used.length >= allowedRefreshes) {
    const oldest = Math.min(...used.map((job) => Date.parse(job.created_at)))
    return {
      status: 429,
      body: {
        allowed_refreshes: allowedRefreshes,
        remaining_refreshes: 0,
        retry_at: new Date(oldest + quotaWindowMs).toISOString(),
      },
    }
  }
  const created = new Date(now).toISOString()
  const job: Job = {
    job_id: world.state.ids.uuid(),
    type: "data_sync_all",
    status: "pending",
    created_at: created,
    scheduled_at: null,
    started_at: null,
    completed_at: null,
    params: null,
  }
  connection.jobs.unshift(job)
  finish(world, connection, job)
  return { status: 201, body: { job_id: job.job_id, job_url: jobUrl(world, job), ...quota(world, connection) } }
}

const finish = (world: World, connection: Connection, job: Job) => {
  const at = world.state.options.clock.iso()
  job.started_at = at
  job.completed_at = at
  job.status = connection.jobCompletionStatus
  connection.lastAttempt = { at, result: job.status === "complete" ? "success" : "error" }
  const company = world.state.companyOf(connection)
  switch (job.status) {
    case "complete":
      for (const event of world.writes.apply(company)) {
        // Every live connection to the company hears about the change, as each has its own webhook stream.
        for (const reader of world.state.connections.values()) {
          if (reader.company_id === company.id && reader.status !== "disconnected") {
            world.webhooks.emit({ ...event, connection: reader })
          }
        }
      }
      company.dataRetrievedAt = at
      connection.lastSuccessfulSync = at
      break
    case "reauth_error":
      world.state.setStatus(connection, "reauth")
      break
    case "permissions_error":
      world.state.setStatus(connection, "error_permissions")
      break
    default:
      break
  }
  world.webhooks.emit({
    event_type: "job.data_sync_all.completed",
    connection,
    data: { job_id: job.job_id, job_url: jobUrl(world, job) },
  })
}

/** A W-4 sync for one employee: no quota, done at once (the sandbox keeps no W-4 forms). */
export const startW4Sync = (world: World, connection: Connection, individualId: string) => {
  const company = world.state.companyOf(connection)
  if (!company.byId.has(individualId)) {
    throw Errors.notFound(`The individual with id '${individualId}' could not be found`, "individual_not_found")
  }
  const at = world.state.options.clock.iso()
  const job: Job = {
    job_id: world.state.ids.uuid(),
    type: "w4_form_employee_sync",
    status: "complete",
    created_at: at,
    scheduled_at: null,
    started_at: at,
    completed_at: at,
    params: { individual_id: individualId },
  }
  connection.jobs.unshift(job)
  return { job_id: job.job_id, job_url: jobUrl(world, job), ...quota(world, connection) }
}

export const jobView = (world: World, job: Job) => ({ ...job, job_url: jobUrl(world, job) })
