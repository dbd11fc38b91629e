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
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { sandbox } from "./fixtures/Sandbox.ts"

interface ScenarioConnection {
  readonly access_token: string
  readonly connection_id: string
  readonly products: ReadonlyArray<string>
  readonly entity_ids: ReadonlyArray<string>
}

interface Truth {
  readonly people: ReadonlyArray<{
    readonly person: string
    readonly records: ReadonlyArray<{ readonly connection_id: string | null; readonly individual_id: string }>
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

describe("reconciling the sandbox's scenarios, read through the client", () => {
  for (const [name, recallFloor] of floors) {
    it.scoped(`${name}: no false merge, recall ≥ ${recallFloor}`, () =>
      Effect.gen(function* () {
        const finch = yield* sandbox()
        const client = yield* finch.client()
        const customer_id = `customer-${name}`
        const { connections } = yield* finch.admin<{ connections: ReadonlyArray<ScenarioConnection> }>(
          "POST",
          `/scenarios/${name}`,
          { customer_id },
        )
        // one login per connection is enough (several accounts of one connection see the same employees)
        const readers = new Map<string, ScenarioConnection>()
        for (const connection of connections)
          if (connection.products.includes("individual") && !readers.has(connection.connection_id))
            readers.set(connection.connection_id, connection)
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
            if (record.connection_id !== null)
              truth.set(`${record.connection_id}:${record.individual_id}`, person.person)
        const read = new Set(records.map((record) => record.record_id))
        // every record the truth knows was read (through its connection's reader)
        assert.deepStrictEqual(
          [...truth.keys()].filter((record) => readers.has(record.split(":")[0] ?? "") && !read.has(record)),
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
