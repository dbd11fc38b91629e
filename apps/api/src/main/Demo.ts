/**
 * The seed's scenarios walked through the HTTP API only, as an app would: a demo customer, Finch Connect for each
 * login (completed on the sandbox's control API, which plays the employer), syncs asked for, and what happened printed
 * step by step. The main job runs it once (a second start finds the customer connected and leaves it); `pnpm demo`
 * runs it against a running main job and prints every step.
 */
import { readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"

/** The demo customer's id. */
export const demoCustomerId = "demo"

/** One employer login of the seed's scenarios: which case of the problem it shows. */
interface DemoLogin {
  readonly case: string
  readonly provider_id: string
  readonly username: string
  readonly products: ReadonlyArray<string>
}

const everything = ["company", "directory", "individual", "employment", "payment", "pay_statement"]

/** multi-account, multi-provider, multi-entity — each as the sandbox's scenarios set it up. */
const logins: ReadonlyArray<DemoLogin> = [
  {
    case: "multi-account: first login at Acme Bakery (Gusto)",
    provider_id: "gusto",
    username: "acme_alice",
    products: everything,
  },
  {
    case: "multi-account: second login at Acme Bakery (Gusto)",
    provider_id: "gusto",
    username: "acme_bob",
    products: everything,
  },
  { case: "multi-provider: Borealis on Gusto", provider_id: "gusto", username: "borealis_gusto", products: everything },
  {
    case: "multi-provider: Borealis migrated to ADP",
    provider_id: "adp_workforce_now",
    username: "borealis_adp",
    products: everything,
  },
  {
    case: "multi-entity: Evergreen's legal entities (Rippling)",
    provider_id: "rippling",
    username: "evergreen_admin",
    products: everything,
  },
  {
    case: "foreign contractors: Cobalt on Deel",
    provider_id: "deel",
    username: "cobalt_deel",
    products: ["company", "directory", "individual", "employment"],
  },
]

/** Where the API and the sandbox are, and the key to call the API with. */
export interface DemoTarget {
  readonly apiUrl: string
  readonly apiKey: string
  readonly sandboxUrl: string
}

const call = async (target: Pick<DemoTarget, "apiUrl" | "apiKey">, method: string, route: string, body?: unknown) => {
  const response = await fetch(`${target.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${target.apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as any) }
}

const sandboxCompletes = async (target: DemoTarget, sessionId: string, login: DemoLogin) => {
  const response = await fetch(`${target.sandboxUrl}/_sandbox/connect/sessions/${sessionId}/complete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ provider_id: login.provider_id, username: login.username }),
  })
  if (!response.ok) throw new Error(`the sandbox refused to complete Connect: ${response.status}`)
  return ((await response.json()) as { code: string }).code
}

/**
 * Walks the demo: `say` gets one line per step. With `onlyIfNew`, a customer that already has connections is left as
 * it is (a second start of the main job). Returns the customer's connection ids.
 */
export const walk = (
  target: DemoTarget,
  options: { readonly say: (line: string) => void; readonly onlyIfNew: boolean },
) =>
  Effect.promise(async () => {
    const say = options.say
    const customer = await call(target, "PUT", `/v1/customers/${demoCustomerId}`, { name: "Demo Co" })
    say(`PUT /v1/customers/${demoCustomerId} → ${customer.status}`)
    const existing = await call(target, "GET", `/v1/customers/${demoCustomerId}/connections`)
    const known: ReadonlyArray<{ id: string }> = existing.body?.connections ?? []
    if (options.onlyIfNew && known.length > 0) {
      say(`the demo customer already has ${known.length} connections: left as they are`)
      return known.map((connection) => connection.id)
    }
    const ids = new Set<string>()
    for (const login of logins) {
      const session = await call(target, "POST", `/v1/customers/${demoCustomerId}/connect-sessions`, {
        products: login.products,
        provider_id: login.provider_id,
      })
      if (session.status !== 201) {
        say(`${login.case}: could not open Connect (${session.status} ${session.body?.error?.code ?? ""})`)
        continue
      }
      const code = await sandboxCompletes(target, session.body.session_id, login)
      const completed = await call(target, "POST", `/v1/customers/${demoCustomerId}/connections`, { code })
      if (completed.status !== 201) {
        say(`${login.case}: refused (${completed.status} ${completed.body?.error?.code ?? ""})`)
        continue
      }
      const connection = completed.body.connection
      ids.add(connection.id)
      say(
        `${login.case}: ${completed.body.outcome} → connection ${connection.id} (${connection.provider_id}, ` +
          `${connection.accounts.length} account${connection.accounts.length === 1 ? "" : "s"}, ` +
          `${connection.entities.length} entit${connection.entities.length === 1 ? "y" : "ies"})`,
      )
    }
    for (const id of ids) {
      const sync = await call(target, "POST", `/v1/customers/${demoCustomerId}/connections/${id}/syncs`)
      say(`POST …/connections/${id}/syncs → ${sync.status}${sync.body?.sync_id ? ` sync ${sync.body.sync_id}` : ""}`)
    }
    return [...ids]
  })

/** What `pnpm demo` needs to find the running main job (the key is in the data folder's `api-key`). */
const runInfoFile = (dataDir: string) => path.join(dataDir, "main.json")

/** Records where the running main job listens, for `pnpm demo`. */
export const writeRunInfo = (dataDir: string, target: DemoTarget) =>
  Effect.sync(() =>
    writeFileSync(
      runInfoFile(dataDir),
      `${JSON.stringify({ api_url: target.apiUrl, sandbox_url: target.sandboxUrl }, null, 2)}\n`,
    ),
  )

/** Where the running main job listens, as `writeRunInfo` left it. */
export const readRunInfo = (dataDir: string): { readonly apiUrl: string; readonly sandboxUrl: string } => {
  const info = JSON.parse(readFileSync(runInfoFile(dataDir), "utf8")) as { api_url: string; sandbox_url: string }
  return { apiUrl: info.api_url, sandboxUrl: info.sandbox_url }
}

/**
 * A fresh link to the demo customer's connections page (`POST …/sessions`); where the pages are not served, the
 * API's reference at `/docs`.
 */
export const pageLink = (target: Pick<DemoTarget, "apiUrl" | "apiKey">) =>
  Effect.promise(async () => {
    const session = await call(target, "POST", `/v1/customers/${demoCustomerId}/sessions`, {})
    return session.status === 201 && typeof session.body?.url === "string"
      ? (session.body.url as string)
      : `${target.apiUrl}/docs`
  })
