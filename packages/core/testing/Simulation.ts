/**
 * A pure, in-test store of connections driven by `decideTokenRecording`: the smallest faithful model of what a
 * `ConnectionRepository` does, used by the classification tests and property tests.
 */
import * as Either from "effect/Either"
import type { Connection } from "../src/Connection.ts"
import { ConnectionId, type CustomerId, TokenId } from "../src/Ids.ts"
import type { Introspection } from "../src/Introspection.ts"
import {
  type AppliedClassification,
  decideTokenRecording,
  identifyToken,
  isRelevantTo,
} from "../src/TokenClassification.ts"

const uuidFrom = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

/** A store of connections that records tokens exactly as the repositories decide them. */
export class SimulatedStore {
  readonly connections = new Map<ConnectionId, Connection>()
  private counter = 0

  /** Records one introspected token for `customerId` at `now`, returning the decision or the refusal. */
  record(customerId: CustomerId, introspection: Introspection, now = new Date(0)) {
    const known = Either.match(identifyToken(customerId, introspection), {
      onLeft: () => [],
      onRight: (identity) => [...this.connections.values()].filter((c) => isRelevantTo(identity, c)),
    })
    const decision = decideTokenRecording({
      customerId,
      introspection,
      known,
      tokenId: TokenId.make(uuidFrom(++this.counter)),
      connectionId: ConnectionId.make(uuidFrom(++this.counter)),
      now,
    })
    if (Either.isRight(decision)) this.connections.set(decision.right.connection.id, decision.right.connection)
    return decision
  }

  /** Records several tokens of one customer, failing the test on a refusal. */
  recordAll(customerId: CustomerId, introspections: ReadonlyArray<Introspection>): Array<AppliedClassification> {
    return introspections.map((introspection) =>
      Either.getOrThrowWith(this.record(customerId, introspection), (error) => new Error(error.message)),
    )
  }

  /** Stores a connection as it is (e.g. after a lifecycle transition). */
  put(connection: Connection): void {
    this.connections.set(connection.id, connection)
  }

  /** Every stored connection. */
  all(): Array<Connection> {
    return [...this.connections.values()]
  }
}
