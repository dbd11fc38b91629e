/**
 * Hostile input at every route: malformed JSON, wrong types, huge and unicode values, and path traversal in every
 * path parameter. Every answer is a 4xx with an error code (never a 500), and the database is unchanged.
 */
import { afterAll, beforeAll, expect, it } from "vitest"
import { makeTestApi, type TestApi } from "./fixtures/TestApi.ts"

let api: TestApi
let connectionId: string

beforeAll(async () => {
  api = await makeTestApi()
  await api.createCustomer("acme")
  connectionId = (await api.connect("acme", { username: "good_user_3" })).body.connection.id
})
afterAll(() => api?.close())

/** Every route, with `{c}` the customer id, `{k}` the connection id and `{p}` the person id. */
const routes: ReadonlyArray<readonly [string, string]> = [
  ["PUT", "/v1/customers/{c}"],
  ["GET", "/v1/customers/{c}"],
  ["POST", "/v1/customers/{c}/connect-sessions"],
  ["POST", "/v1/customers/{c}/connections"],
  ["GET", "/v1/customers/{c}/connections"],
  ["GET", "/v1/customers/{c}/connections/{k}"],
  ["POST", "/v1/customers/{c}/connections/{k}/reauthenticate"],
  ["DELETE", "/v1/customers/{c}/connections/{k}"],
  ["GET", "/v1/customers/{c}/employees"],
  ["GET", "/v1/customers/{c}/employees/{p}"],
  ["POST", "/v1/customers/{c}/employees/decisions"],
  ["GET", "/v1/finch/callback"],
  ["POST", "/v1/webhooks/finch"],
]

/** Path segments that are never a valid id of an existing thing (traversal, escapes, control characters, size). */
const hostileSegments = [
  "..",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e%2f%2e%2e%2f",
  "..%5C..%5Cwindows",
  "%00",
  "a%00b",
  "%ZZ",
  "%",
  "x".repeat(5000),
  encodeURIComponent("\u0000\u0001\u001f"),
  encodeURIComponent("../../../../etc/shadow"),
  encodeURIComponent("'; drop table customers; --"),
  encodeURIComponent("😀".repeat(300)),
  "%ED%A0%80", // a lone surrogate, UTF-8 encoded
]

/** Bodies that no route accepts. */
const hostileBodies: ReadonlyArray<string> = [
  "",
  "{",
  '{"name": }',
  "[1, 2",
  "null",
  "42",
  '"a string"',
  "[]",
  "true",
  '{"name": 42, "products": "company", "code": [], "record_ids": {}, "decision": 7, "account_id": 1}',
  '{"name": null, "products": [null], "code": null, "record_ids": [null, null], "decision": null}',
  '{"products": [""], "code": "", "record_ids": ["", ""], "decision": ""}',
  '{"acount_id": "misspelt"}',
  JSON.stringify({ name: "x".repeat(300), products: ["x".repeat(100)], code: "x".repeat(3000), decision: "yes" }),
  JSON.stringify({ name: "\u0000", products: ["\u0000"], code: "\u0000", record_ids: ["\u0000", "\u0001"] }),
  JSON.stringify({ name: "😀".repeat(200), products: [], code: "", record_ids: ["é"], decision: "✓" }),
  "[".repeat(100_000),
  `{"name": "${"\\u0000".repeat(10)}"}`,
  `{"__proto__": {"admin": true}, "constructor": {"prototype": {}}}`,
  JSON.stringify({ name: "x".repeat(1024 * 1024) }),
]

const fill = (template: string, segment: { c?: string; k?: string; p?: string }) =>
  template
    .replace("{c}", segment.c ?? "acme")
    .replace("{k}", segment.k ?? connectionId)
    .replace("{p}", segment.p ?? "someone")

const expectClientError = (label: string, answer: { status: number; body: any; text: string }) => {
  if (answer.status < 400 || answer.status >= 500 || typeof answer.body?.error?.code !== "string") {
    throw new Error(`${label}: ${answer.status} ${answer.text.slice(0, 300)}`)
  }
}

it("hostile path parameters at every route: 4xx with a code", async () => {
  const before = await api.snapshot()
  for (const [method, template] of routes) {
    for (const segment of hostileSegments) {
      const paths = [
        ...(template.includes("{c}") ? [fill(template, { c: segment })] : []),
        ...(template.includes("{k}") ? [fill(template, { k: segment })] : []),
        ...(template.includes("{p}") ? [fill(template, { p: segment })] : []),
        `${fill(template, {})}/${segment}`,
        `${fill(template, {})}?limit=${segment}&cursor=${segment}&code=${segment}&state=${segment}&entity_id=${segment}`,
      ]
      for (const path of paths) {
        const answer = await api.call(
          method,
          path,
          method === "GET" ? {} : { raw: '{"name": 1}', headers: { "content-type": "application/json" } },
        )
        // a traversal that still names an existing thing by a benign route is not hostile input: skip only 2xx
        // answers that are plain reads of the customer's own data
        if (answer.status < 300 && method === "GET") continue
        expectClientError(`${method} ${path.slice(0, 120)}`, answer)
      }
    }
  }
  expect(await api.snapshot()).toBe(before)
})

it("hostile bodies at every route: 4xx with a code", async () => {
  const before = await api.snapshot()
  for (const [method, template] of routes) {
    if (method === "GET") continue
    // an empty body is what DELETE takes: not hostile there
    for (const raw of hostileBodies.filter((body) => method !== "DELETE" || body !== "")) {
      for (const contentType of ["application/json", "text/plain", "application/json; charset=utf-16"]) {
        const answer = await api.call(method, fill(template, {}), { raw, headers: { "content-type": contentType } })
        expectClientError(`${method} ${template} ${contentType} ${raw.slice(0, 60)}`, answer)
      }
    }
  }
  expect(await api.snapshot()).toBe(before)
})

it("random JSON values at every route: 4xx with a code", async () => {
  let seed = 42
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const strings = ["", "a", "\u0000", "😀", "\ud83d", "../..", "x".repeat(4000), "null", "<script>", "%00"]
  const value = (depth: number): unknown => {
    const pick = Math.floor(random() * (depth > 3 ? 4 : 6))
    if (pick === 0) return strings[Math.floor(random() * strings.length)]
    if (pick === 1) return random() * 1e12 - 5e11
    if (pick === 2) return random() < 0.5 ? null : random() < 0.5
    if (pick === 3) return Number.MAX_SAFE_INTEGER
    if (pick === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))
    const keys = ["name", "products", "code", "redirect_uri", "record_ids", "decision", "account_id", "provider_id"]
    return Object.fromEntries(keys.filter(() => random() < 0.5).map((key) => [key, value(depth + 1)]))
  }
  const before = await api.snapshot()
  for (let round = 0; round < 40; round++) {
    for (const [method, template] of routes) {
      if (method === "GET" || method === "DELETE") continue
      // an unknown field makes every body invalid, whatever else the round drew
      const body = { ...(value(0) as object), fuzz: true }
      const answer = await api.call(method, fill(template, { c: `fuzz-${round}` }), { body })
      expectClientError(`${method} ${template} ${JSON.stringify(body).slice(0, 200)}`, answer)
    }
  }
  expect(await api.snapshot()).toBe(before)
})
