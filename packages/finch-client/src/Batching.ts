/**
 * Finch's batch reads (`POST /employer/individual`, `POST /employer/employment`): ids go out in requests of at most
 * 10,000, and every item of the answer succeeds or fails on its own, as core's `BatchItem`.
 */
import type { BatchItem, FinchErrorBody } from "@finch-connections/core/FinchData"
import { plainDecoder } from "@finch-connections/core/PlainDecode"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import { describeParseError, readErrorBody } from "./FinchFailure.ts"
import type { BatchResponseItem } from "./Responses.ts"

/** The most ids Finch accepts in one batch request. */
export const maxBatchSize = 10_000

/** The distinct ids, in their first order, cut into requests of at most `size`. */
export const batchesOf = (ids: ReadonlyArray<string>, size: number): ReadonlyArray<ReadonlyArray<string>> => {
  const distinct = [...new Set(ids)]
  const batches: Array<ReadonlyArray<string>> = []
  for (let start = 0; start < distinct.length; start += size) batches.push(distinct.slice(start, start + size))
  return batches
}

const errorBodyOf = (item: BatchResponseItem): FinchErrorBody => {
  const body = readErrorBody(item.body)
  return {
    code: body.code ?? item.code,
    name: body.name ?? "unknown_error",
    finch_code: body.finchCode,
    message: body.message ?? `item answered with code ${item.code}`,
  }
}

/**
 * One `BatchItem` per answered item: `Found` when its code is 200 and its body decodes; `Failed` with Finch's
 * error body otherwise. A body that does not decode fails that item alone (`name: "decode_error"`, the paths that
 * differed in `message`, never the values), so one odd record never costs the rest of the batch. Bodies decode with
 * core's `plainDecoder` (Schema's results, compiled once per batch for plain records).
 */
export const toBatchItems = <A, I>(
  schema: Schema.Schema<A, I>,
  items: ReadonlyArray<BatchResponseItem>,
): ReadonlyArray<BatchItem<A>> => {
  const decodeBody = plainDecoder(schema)
  return items.map((item): BatchItem<A> => {
    if (item.code !== 200) {
      return { _tag: "Failed", individualId: item.individual_id, code: item.code, error: errorBodyOf(item) }
    }
    const decoded = decodeBody(item.body)
    return Either.isRight(decoded)
      ? { _tag: "Found", individualId: item.individual_id, body: decoded.right }
      : {
          _tag: "Failed",
          individualId: item.individual_id,
          code: item.code,
          error: { code: item.code, name: "decode_error", finch_code: null, message: describeParseError(decoded.left) },
        }
  })
}
