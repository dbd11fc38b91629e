/**
 * `pnpm --filter @finch-connections/finch-sandbox start -- --port 4010 --seed 1 …`: the sandbox as a process.
 * Fault flags apply from start-up; the /_sandbox control API can change everything afterwards.
 */
import { parseArgs } from "node:util"
import type { FaultInput } from "./internal/Faults.ts"
import {
  type ConnectionModel,
  connectionModels,
  type LoggedRequest,
  type MintedConnection,
  NonLoopbackRefused,
  type RateLimitMode,
  startSandbox,
} from "./Sandbox.ts"

const usage = `finch-sandbox — a local fake of the Finch API and Finch Connect

  --port <n>                 port to listen on (default 4010; 0 = any free port)
  --host <addr>              address to bind (default 127.0.0.1; loopback only unless --allow-non-loopback)
  --allow-non-loopback       really bind a non-loopback address (no security: development only)
  --seed <n>                 seed of generated data (default 1)
  --today <YYYY-MM-DD>       day generated data is anchored to (default today)
  --client-id <id>           application client_id (default generated, printed)
  --client-secret <secret>   application client_secret (default generated, printed)
  --connection-model <model> current | legacy (default current): whether a second login to a company is its own
                             Finch connection (Finch since 2024-10-29) or another account of the first one
  --rate-limits <mode>       finch | off | always (default off)
  --retry-after              send Retry-After with rate-limit 429s
  --webhook-url <url>        POST signed Finch-shaped events here
  --webhook-secret <base64>  secret to sign them with
  --fail-status <code>       answer this status (e.g. 500, 503, 202, 429) for the next --fail-count calls
  --fail-count <n>           how many calls the fault lasts (default 1)
  --fail-path <prefix>       only calls whose path starts with this (e.g. /employer/directory)
  --latency-ms <n>           add this latency to the next --fail-count calls
  --drop                     drop the connection of the next --fail-count calls
  --connect <provider>[:<n>] mint a connected token at start (n employees); repeatable
  --scenario <name>          connect a named scenario's logins at start; repeatable
  --customer-id <id>         customer for --connect and --scenario (default: one per scenario)
  --quiet                    do not print a line per API call
  --help                     show this help
`

// `pnpm start -- --port 4010` passes the `--` through.
const args = process.argv.slice(2)
const { values } = parseArgs({
  args: args[0] === "--" ? args.slice(1) : args,
  options: {
    port: { type: "string", default: "4010" },
    host: { type: "string", default: "127.0.0.1" },
    "allow-non-loopback": { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    today: { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "connection-model": { type: "string", default: "current" },
    "rate-limits": { type: "string", default: "off" },
    "retry-after": { type: "boolean", default: false },
    "webhook-url": { type: "string" },
    "webhook-secret": { type: "string" },
    "fail-status": { type: "string" },
    "fail-count": { type: "string", default: "1" },
    "fail-path": { type: "string" },
    "latency-ms": { type: "string" },
    drop: { type: "boolean", default: false },
    connect: { type: "string", multiple: true, default: [] },
    scenario: { type: "string", multiple: true, default: [] },
    "customer-id": { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  allowPositionals: false,
})

const fail = (message: string): never => {
  process.stderr.write(`finch-sandbox: ${message}\n\n${usage}`)
  process.exit(2)
}

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed)) fail(`--${name} must be an integer, got '${value}'`)
  return parsed
}

if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}

const mode = values["rate-limits"]
if (mode !== "finch" && mode !== "off" && mode !== "always") fail(`--rate-limits must be finch, off or always`)
const connectionModel = values["connection-model"]
if (!(connectionModels as ReadonlyArray<string | undefined>).includes(connectionModel)) {
  fail(`--connection-model must be current or legacy`)
}
if ((values["webhook-url"] === undefined) !== (values["webhook-secret"] === undefined)) {
  fail("--webhook-url and --webhook-secret go together")
}

try {
  const sandbox = await startSandbox({
    port: integer("port", values.port) ?? 4010,
    host: values.host,
    allowNonLoopback: values["allow-non-loopback"],
    seed: integer("seed", values.seed) ?? 1,
    rateLimits: mode as RateLimitMode,
    connectionModel: connectionModel as ConnectionModel,
    rateLimitRetryAfter: values["retry-after"],
    ...(values.quiet
      ? {}
      : {
          onRequest: (request: LoggedRequest) =>
            process.stdout.write(
              `${request.at} ${request.method} ${request.path}${request.query === "" ? "" : `?${request.query}`} → ${request.status === 0 ? "dropped" : request.status}\n`,
            ),
        }),
    ...(values.today === undefined ? {} : { today: values.today }),
    ...(values["client-id"] === undefined ? {} : { clientId: values["client-id"] }),
    ...(values["client-secret"] === undefined ? {} : { clientSecret: values["client-secret"] }),
    ...(values["webhook-url"] === undefined || values["webhook-secret"] === undefined
      ? {}
      : { webhook: { url: values["webhook-url"], secret: values["webhook-secret"] } }),
  })
  /** POSTs to the control API; a refusal ends the process with `what` and the answer. */
  const control = async <A = Record<string, unknown>>(path: string, body: unknown, what = path): Promise<A> => {
    const response = await fetch(`${sandbox.baseUrl}/_sandbox${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) fail(`${what}: ${text}`)
    return JSON.parse(text) as A
  }
  const failStatus = integer("fail-status", values["fail-status"])
  const latency = integer("latency-ms", values["latency-ms"])
  if (failStatus !== undefined || latency !== undefined || values.drop) {
    const fault: FaultInput = {
      count: integer("fail-count", values["fail-count"]) ?? 1,
      ...(values["fail-path"] === undefined ? {} : { path: values["fail-path"] }),
      ...(failStatus === undefined ? {} : { status: failStatus }),
      ...(latency === undefined ? {} : { latency_ms: latency }),
      ...(values.drop ? { drop: true } : {}),
    }
    await control("/faults", fault, "could not install the fault")
  }
  // Sandbox tokens are fake and printed on purpose: they are what a developer starts the sandbox for.
  const minted: Array<string> = []
  for (const spec of values.connect) {
    const [provider_id, size] = spec.split(":")
    const connection = await control<MintedConnection>("/connections", {
      provider_id,
      products: ["company", "directory", "individual", "employment", "payment", "pay_statement", "ssn"],
      ...(size === undefined ? {} : { employee_size: integer("connect", size) }),
      ...(values["customer-id"] === undefined ? {} : { customer_id: values["customer-id"] }),
    })
    minted.push(`  ${provider_id}: connection ${connection.connection_id} token ${connection.access_token}`)
  }
  for (const name of values.scenario) {
    const result = await control(`/scenarios/${name}`, {
      ...(values["customer-id"] === undefined ? {} : { customer_id: values["customer-id"] }),
    })
    for (const connection of result["connections"] as Array<Record<string, unknown>>) {
      minted.push(
        `  ${name} ${connection["provider_id"]} (${connection["company_name"]}, ${connection["username"]}): connection ${connection["connection_id"]} token ${connection["access_token"]}`,
      )
    }
  }
  process.stdout.write(
    `finch-sandbox listening on ${sandbox.baseUrl}\n` +
      `  FINCH_BASE_URL=${sandbox.baseUrl}\n  FINCH_CLIENT_ID=${sandbox.clientId}\n  FINCH_CLIENT_SECRET=${sandbox.clientSecret}\n` +
      `  control API: ${sandbox.baseUrl}/_sandbox (rate limits: ${mode}, connection model: ${connectionModel})\n` +
      (minted.length === 0 ? "" : `connections:\n${minted.join("\n")}\n`),
  )
  const stop = () => {
    void sandbox.close().then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
} catch (error) {
  if (error instanceof NonLoopbackRefused) fail(error.message)
  throw error
}
