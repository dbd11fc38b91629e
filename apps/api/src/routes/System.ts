/**
 * Operations: `/healthz` (the process answers), `/readyz` (the database answers and every migration is applied;
 * 503 otherwise), `/metrics` (Prometheus text), and the API's reference: `/openapi.json` (generated from the
 * routes' Schemas) rendered at `/docs` by our own copy of Scalar's standalone bundle (no CDN).
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { PgDatabase } from "@finch-connections/store-postgres/PgDatabase"
import { pendingMigrations } from "@finch-connections/store-postgres/SchemaStatus"
import { Effect, Either, Schema } from "effect"
import { type Context, Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { type ApiEnv, type ApiRuntime, runEffect } from "../Handler.ts"
import * as Responses from "./Responses.ts"

const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })
const Readiness = Schema.Struct({
  status: Schema.Literal("ready", "unavailable"),
  database: Schema.Literal("reachable", "unreachable"),
  pending_migrations: Schema.Array(Schema.String),
}).annotations({ identifier: "Readiness" })

const readiness = Effect.flatMap(PgDatabase, (db) => Effect.either(pendingMigrations(db))).pipe(
  Effect.map((result) =>
    Either.match(result, {
      onLeft: () => ({ status: "unavailable", database: "unreachable", pending_migrations: [] }) as const,
      onRight: (pending) =>
        ({
          status: pending.length === 0 ? "ready" : "unavailable",
          database: "reachable",
          pending_migrations: [...pending],
        }) as const,
    }),
  ),
  Effect.timeoutTo({
    duration: "5 seconds",
    onSuccess: (readiness) => readiness,
    onTimeout: () => ({ status: "unavailable", database: "unreachable", pending_migrations: [] }) as const,
  }),
)

// Scalar's package exports no path to its browser bundle; it sits next to the module entry point.
const scalarBundlePath = () =>
  path.join(path.dirname(createRequire(import.meta.url).resolve("@scalar/api-reference")), "browser", "standalone.js")
let scalarBundle: string | undefined

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>finch-connections API</title>
</head>
<body>
<div id="app"></div>
<script src="/docs/scalar.js"></script>
<script>Scalar.createApiReference("#app", { url: "/openapi.json", withDefaultFonts: false, hideClientButton: true })</script>
</body>
</html>`

/** The system router; `printMetrics` answers the Prometheus scrape. */
export const routes = (runtime: ApiRuntime, options: { readonly printMetrics: (c: Context) => Promise<Response> }) =>
  new Hono<ApiEnv>()
    .get(
      "/healthz",
      describeRoute({
        tags: ["system"],
        summary: "The process is up",
        security: [],
        responses: { 200: Responses.ok("up", Health) },
      }),
      (c) => c.json({ status: "ok" as const }, 200),
    )
    .get(
      "/readyz",
      describeRoute({
        tags: ["system"],
        summary: "The database is reachable and migrated",
        security: [],
        responses: { 200: Responses.ok("ready", Readiness), 503: Responses.ok("not ready", Readiness) },
      }),
      (c) => runEffect(runtime, c, readiness, (body) => c.json(body, body.status === "ready" ? 200 : 503)),
    )
    .get(
      "/metrics",
      describeRoute({
        tags: ["system"],
        summary: "Prometheus metrics: requests by route and status, durations",
        security: [],
        responses: { 200: { description: "Prometheus text format" } },
      }),
      (c) => options.printMetrics(c),
    )
    .get("/docs", describeRoute({ hide: true }), (c) => c.html(docsPage))
    .get("/docs/scalar.js", describeRoute({ hide: true }), (c) => {
      scalarBundle ??= readFileSync(scalarBundlePath(), "utf8")
      return c.body(scalarBundle, 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=86400",
      })
    })
