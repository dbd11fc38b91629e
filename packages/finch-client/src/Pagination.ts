/**
 * How `GET /employer/directory` is paged (reference §5.2, the SDK's rule): the next request starts at
 * `paging.offset + individuals.length`; paging stops when that reaches `paging.count`, when `count` is 0 or absent,
 * or when a page comes back empty.
 */
import type { DirectoryPage } from "@finch-connections/core/FinchData"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/** The largest directory page Finch serves. */
export const maxDirectoryPageSize = 10_000

/**
 * The offset of the page after `page`, `None` when `page` was the last. Fails (with a reason) when Finch answered a
 * different offset than the one asked for: following it could loop forever or skip people.
 */
export const nextOffset = (
  requestedOffset: number,
  page: DirectoryPage,
): Either.Either<Option.Option<number>, string> => {
  const start = page.paging.offset ?? requestedOffset
  if (start !== requestedOffset) {
    return Either.left(`asked for offset ${requestedOffset}, Finch answered offset ${start}`)
  }
  const count = page.paging.count
  if (page.individuals.length === 0 || count === undefined || count === 0) return Either.right(Option.none())
  const next = start + page.individuals.length
  return Either.right(next >= count ? Option.none() : Option.some(next))
}
