/**
 * Reconciliation on the sandbox's generated scenarios, end to end: each scenario's connections are read through
 * this client over HTTP (directory, then individuals and employments by id, per entity where a connection has
 * several), the records reconciled by core's engine, and the persons compared with the truth the sandbox recorded.
 * A false merge mixes two people's payroll: precision must be perfect; recall has floors.
 */
import { assert, describe, it } from "@effect/vitest"
import { EntityId } from "@finch-connections/core/Ids"
import { reconcileSync } from "@finch-connections/core/reconciliation/Reconciliation"
import type { SourceRecord } from "@finch-connections/core/reconciliation/SourceRecord"
import { connectionModels } from "@finch-connections/finch-sandbox/Sandbox"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { sandbox } from "./fixtures/Sandbox.ts"

interface ScenarioConnection {
  readonly access_token: string
  readonly connection_id: string
  readonly provider_id: string
  readonly company_id: string
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ReadonlyArray<string>
}

interface Truth {
  readonly people: ReadonlyArray<{
    readonly person: string
    /** One record per company holding the person, with every Finch connection (login) of the customer reaching it. */
    readonly records: ReadonlyArray<{ readonly connection_ids: ReadonlyArray<string>; readonly individual_id: string }>
  }>
}

/** Pairwise precision and recall of `predicted` against `truth` (both: record id → label). */
const pairwise = (predicted: Map<string, string>, truth: Map<string, string>) => {
  const pairs = (labels: Map<string, string>) => {
    const groups = new Map<string, Array<string>>()
    for (const [record, label] of labels) groups.set(label, [...(groups.get(label) ?? []), record])
    const out = new Set<string>()
    for (const members of groups.values()) {
      const sorted = members.sort()
      for (let a = 0; a < sorted.length; a++)
        for (let b = a + 1; b < sorted.length; b++) out.add(`${sorted[a]}\u0000${sorted[b]}`)
    }
    return out
  }
  const found = pairs(predicted)
  const expected = pairs(truth)
  const correct = [...found].filter((pair) => expected.has(pair)).length
  return {
    found: found.size,
    expected: expected.size,
    precision: found.size === 0 ? 1 : correct / found.size,
    recall: expected.size === 0 ? 1 : correct / expected.size,
  }
}

/**
 * Scenarios where people repeat across connections, with the recall each must reach: every repeat is found today
 * (30, 2, 4, 3, 3 and 11 pairs), so a change that loses one deserves a look.
 */
const floors: ReadonlyArray<readonly [string, number]> = [
  ["provider-migration", 1],
  ["foreign-contractors", 1],
  ["pay-groups", 1],
  ["legal-entities", 1],
  ["legal-entities-separate", 1],
  ["peo", 1],
]

// Both of the sandbox's connection models: a second login to a company is a Finch connection of its own (current) or
// another account of the first (legacy); either way the app reads each company once.
describe.each(connectionModels)("reconciling the sandbox's scenarios, read through the client (%s model)", (model) => {
  for (const [name, recallFloor] of floors) {
    it.scoped(`${name}: no false merge, recall ≥ ${recallFloor}`, () =>
      Effect.gen(function* () {
        const finch = yield* sandbox({ connectionModel: model })
        const client = yield* finch.client()
        const customer_id = `customer-${name}`
        const { connections } = yield* finch.admin<{ connections: ReadonlyArray<ScenarioConnection> }>(
          "POST",
          `/scenarios/${name}`,
          { customer_id },
        )
        // one login per company is enough: every login to a company (one Finch connection each, or accounts of one)
        // sees the same employees
        const readers = new Map<string, ScenarioConnection>()
        for (const connection of connections) {
          const company = `${connection.provider_id}:${connection.company_id}`
          if (connection.products.includes("individual") && !readers.has(company)) readers.set(company, connection)
        }
        const readerIds = new Set([...readers.values()].map((connection) => connection.connection_id))
        const records: Array<SourceRecord> = []
        for (const connection of readers.values()) {
          const token = Redacted.make(connection.access_token)
          const entities = connection.entity_ids.length > 1 ? connection.entity_ids : [undefined]
          for (const entity of entities) {
            const options = entity === undefined ? {} : { entityId: EntityId.make(entity) }
            const directory = Chunk.toReadonlyArray(yield* Stream.runCollect(client.directory(token, options)))
            const ids = directory.map((entry) => entry.id)
            const individuals = yield* client.individuals(token, ids, options)
            const employments = yield* client.employments(token, ids, options)
            const employmentOf = new Map(
              employments.flatMap((item) => (item._tag === "Found" ? [[item.individualId, item.body] as const] : [])),
            )
            for (const item of individuals) {
              if (item._tag !== "Found") continue
              records.push({
                record_id: `${connection.connection_id}:${item.individualId}`,
                connection_id: connection.connection_id,
                entity_id: entity ?? null,
                individual: item.body,
                employment: employmentOf.get(item.individualId) ?? null,
              })
            }
          }
        }
        const { people } = yield* finch.admin<Truth>("GET", `/scenarios/${name}/truth?customer_id=${customer_id}`)
        const truth = new Map<string, string>()
        for (const person of people)
          for (const record of person.records)
            for (const connectionId of record.connection_ids)
              truth.set(`${connectionId}:${record.individual_id}`, person.person)
        const read = new Set(records.map((record) => record.record_id))
        // every record the truth knows was read (through its company's reader)
        assert.deepStrictEqual(
          [...truth.keys()].filter((record) => readerIds.has(record.split(":")[0] ?? "") && !read.has(record)),
          [],
        )

        const result = reconcileSync(records)
        if (!("personIds" in result)) throw new Error(result.message)
        const predicted = new Map(
          records.map((record, index) => [record.record_id, String(result.personOfRecord[index])] as const),
        )
        const known = new Map([...truth].filter(([record]) => read.has(record)))
        const quality = pairwise(new Map([...predicted].filter(([record]) => known.has(record))), known)
        assert.isAbove(quality.expected, 0, "the scenario repeats people")
        assert.strictEqual(quality.precision, 1, `false merges: ${JSON.stringify(quality)}`)
        // and never two records of one connection and entity in one person
        const places = new Set<string>()
        records.forEach((record, index) => {
          const place = `${result.personOfRecord[index]}\u0000${record.connection_id}\u0000${record.entity_id ?? ""}`
          assert.isFalse(places.has(place), `${record.record_id} shares a person with a record of its own connection`)
          places.add(place)
        })
        assert.isAtLeast(quality.recall, recallFloor, JSON.stringify(quality))
      }),
    )
  }
})
