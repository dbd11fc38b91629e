/**
 * The scriptable in-memory Finch behind `FinchGateway.layerMemory`: codes granted by the test, tokens with a status,
 * employees per token, scripted failures, and a record of sessions and disconnects. Behaves like Finch where the
 * domain depends on it: codes are single use, `/disconnect` revokes every token of the Finch connection (or, for
 * old-model tokens, of the provider+company), revoked tokens get 401, a `reauth` status gets 401 reauthenticate_user.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { Employment, Individual } from "../FinchData.ts"
import {
  FinchBadRequest,
  type FinchError,
  FinchNotFound,
  FinchReauthRequired,
  FinchUnauthorized,
} from "../FinchError.ts"
import type {
  ConnectSession,
  ConnectSessionRequest,
  FinchGateway,
  ReauthenticationSessionRequest,
} from "../FinchGateway.ts"
import { Introspection, needsReauthentication } from "../Introspection.ts"

/** An employee as the fake Finch serves them. */
export interface MemoryEmployee {
  readonly individual: Individual
  readonly employment?: Employment
}

/** A Connect or reauthentication session the fake opened. */
export type MemorySession =
  | { readonly kind: "connect"; readonly session: ConnectSession; readonly request: ConnectSessionRequest }
  | {
      readonly kind: "reauthenticate"
      readonly session: ConnectSession
      readonly request: ReauthenticationSessionRequest
    }

/** How a test drives the fake Finch. */
export interface FinchMemoryControl {
  /** Makes `code` exchangeable (once) for `accessToken`, which introspects as `introspection`. */
  readonly grant: (code: string, accessToken: string, introspection: Introspection) => Effect.Effect<void>
  /** Sets a token's `connection_status` (e.g. `reauth`: data calls then fail with 401 reauthenticate_user). */
  readonly setStatus: (accessToken: string, status: string) => Effect.Effect<void>
  /** The employees a token's `/employer/*` reads return. */
  readonly setEmployees: (accessToken: string, employees: ReadonlyArray<MemoryEmployee>) => Effect.Effect<void>
  /** The next call of `operation` (e.g. `POST /disconnect`) fails with `error`. */
  readonly failNext: (operation: string, error: FinchError) => Effect.Effect<void>
  /** Every session opened, oldest first. */
  readonly sessions: Effect.Effect<ReadonlyArray<MemorySession>>
  /** Every token `/disconnect` was called with (successfully), oldest first. */
  readonly disconnectCalls: Effect.Effect<ReadonlyArray<string>>
  /** Every `/disconnect-entity` call (successful), oldest first. */
  readonly entityDisconnectCalls: Effect.Effect<
    ReadonlyArray<{ readonly token: string; readonly entityIds: ReadonlyArray<string> }>
  >
  /** Whether Finch still honours the token. */
  readonly isLive: (accessToken: string) => Effect.Effect<boolean>
  /** Every token sent to Finch so far, oldest first (to check which token a use case used). */
  readonly tokensUsed: Effect.Effect<ReadonlyArray<string>>
}

interface IssuedToken {
  introspection: Introspection
  status: string
  revoked: boolean
  employees: ReadonlyArray<MemoryEmployee>
}

const common = (operation: string, detail: string) => ({ operation, requestId: null, detail })

/** Builds the fake: the gateway and its control. */
export const makeFinchMemory = (): { readonly gateway: FinchGateway["Type"]; readonly control: FinchMemoryControl } => {
  const codes = new Map<string, string>()
  const tokens = new Map<string, IssuedToken>()
  const scripted = new Map<string, Array<FinchError>>()
  const sessions: Array<MemorySession> = []
  const disconnects: Array<string> = []
  const entityDisconnects: Array<{ readonly token: string; readonly entityIds: ReadonlyArray<string> }> = []
  const used: Array<string> = []
  let sessionCounter = 0

  const scriptedFailure = (operation: string) =>
    Effect.suspend(() => {
      const error = scripted.get(operation)?.shift()
      return error === undefined ? Effect.void : Effect.fail(error)
    })

  /** The token's state, after the checks Finch makes on every Bearer call. */
  const authorize = (operation: string, token: Redacted.Redacted<string>, options: { readonly data: boolean }) =>
    Effect.gen(function* () {
      yield* scriptedFailure(operation)
      const value = Redacted.value(token)
      used.push(value)
      const issued = tokens.get(value)
      if (issued === undefined || issued.revoked) {
        return yield* new FinchUnauthorized({
          ...common(operation, "invalid or revoked access token"),
          finchCode: "invalid_token_error",
          errorName: "invalid_token_error",
        })
      }
      if (options.data && needsReauthentication(issued.status)) {
        return yield* new FinchReauthRequired(common(operation, "the employer must reauthenticate"))
      }
      return issued
    })

  const newSession = (): ConnectSession => {
    const sessionId = `00000000-0000-4000-8000-${(++sessionCounter).toString().padStart(12, "0")}`
    return { sessionId, connectUrl: `http://127.0.0.1/authorize?session=${sessionId}` }
  }

  const sameFinchConnection = (a: Introspection, b: Introspection) =>
    Option.isSome(a.finchConnectionId)
      ? Option.getEquivalence((x: string, y: string) => x === y)(a.finchConnectionId, b.finchConnectionId)
      : a.providerId === b.providerId && Option.isSome(a.companyId) && Option.contains(b.companyId, a.companyId.value)

  const gateway: FinchGateway["Type"] = {
    exchangeCode: ({ code }) =>
      Effect.gen(function* () {
        yield* scriptedFailure("POST /auth/token")
        const token = codes.get(code)
        codes.delete(code)
        const issued = token === undefined ? undefined : tokens.get(token)
        if (token === undefined || issued === undefined) {
          return yield* new FinchBadRequest({
            ...common("POST /auth/token", "invalid or expired authorization code"),
            status: 400,
            finchCode: "invalid_grant_error",
            errorName: "invalid_grant_error",
          })
        }
        const introspection = issued.introspection
        return {
          accessToken: Redacted.make(token),
          finchConnectionId: introspection.finchConnectionId,
          providerId: introspection.providerId,
          companyId: introspection.companyId,
          accountId: introspection.accountId,
          products: introspection.products,
          entityIds: introspection.entities.map((entity) => entity.id),
          customerId: introspection.finchCustomerId,
        }
      }),
    introspect: (token) =>
      Effect.map(
        authorize("GET /introspect", token, { data: false }),
        (issued) => new Introspection({ ...issued.introspection, status: Option.some(issued.status) }),
      ),
    createConnectSession: (request) =>
      Effect.gen(function* () {
        yield* scriptedFailure("POST /connect/sessions")
        const session = newSession()
        sessions.push({ kind: "connect", session, request })
        return session
      }),
    createReauthenticationSession: (request) =>
      Effect.gen(function* () {
        yield* scriptedFailure("POST /connect/sessions/reauthenticate")
        const known = [...tokens.values()].some((t) =>
          Option.contains(t.introspection.finchConnectionId, request.finchConnectionId),
        )
        if (!known) {
          return yield* new FinchNotFound({
            ...common("POST /connect/sessions/reauthenticate", "unknown connection_id"),
            finchCode: "item_not_found",
          })
        }
        const session = newSession()
        sessions.push({ kind: "reauthenticate", session, request })
        return session
      }),
    disconnect: (token) =>
      Effect.gen(function* () {
        const issued = yield* authorize("POST /disconnect", token, { data: false })
        disconnects.push(Redacted.value(token))
        for (const other of tokens.values()) {
          if (sameFinchConnection(issued.introspection, other.introspection)) other.revoked = true
        }
        issued.revoked = true
      }),
    disconnectEntity: (token, entityIds) =>
      Effect.gen(function* () {
        const issued = yield* authorize("POST /disconnect-entity", token, { data: false })
        const reached = new Set(issued.introspection.entities.map((entity) => entity.id as string))
        const unknown = entityIds.find((id) => !reached.has(id))
        if (unknown !== undefined) {
          return yield* new FinchBadRequest({
            ...common("POST /disconnect-entity", `entity ${unknown} is not part of this connection`),
            status: 400,
            finchCode: null,
            errorName: "invalid_request_error",
          })
        }
        entityDisconnects.push({ token: Redacted.value(token), entityIds: [...entityIds] })
        for (const other of tokens.values()) {
          if (sameFinchConnection(issued.introspection, other.introspection)) {
            other.introspection = new Introspection({
              ...other.introspection,
              entities: other.introspection.entities.filter((entity) => !entityIds.includes(entity.id)),
            })
          }
        }
      }),
    company: (token) =>
      Effect.map(authorize("GET /employer/company", token, { data: true }), (issued) => ({
        id: Option.getOrElse(issued.introspection.companyId, () => "company"),
        legal_name: "Memory Employer Inc.",
      })),
    // The fake keeps no per-entity data: an entity-scoped read returns every employee of the token.
    directory: (token) =>
      Stream.unwrap(
        Effect.map(authorize("GET /employer/directory", token, { data: true }), (issued) =>
          Stream.fromIterable(
            issued.employees.map((e) => ({
              id: e.individual.id,
              first_name: e.individual.first_name ?? null,
              last_name: e.individual.last_name ?? null,
              is_active: e.employment?.is_active ?? true,
            })),
          ),
        ),
      ),
    individuals: (token, ids) =>
      Effect.map(authorize("POST /employer/individual", token, { data: true }), (issued) =>
        ids.map((id) => {
          const found = issued.employees.find((e) => e.individual.id === id)
          return found === undefined
            ? notFound(id)
            : { _tag: "Found" as const, individualId: id, body: found.individual }
        }),
      ),
    employments: (token, ids) =>
      Effect.map(authorize("POST /employer/employment", token, { data: true }), (issued) =>
        ids.map((id) => {
          const found = issued.employees.find((e) => e.individual.id === id)?.employment
          return found === undefined ? notFound(id) : { _tag: "Found" as const, individualId: id, body: found }
        }),
      ),
  }

  const control: FinchMemoryControl = {
    grant: (code, accessToken, introspection) =>
      Effect.sync(() => {
        codes.set(code, accessToken)
        tokens.set(accessToken, {
          introspection,
          status: Option.getOrElse(introspection.status, () => "connected"),
          revoked: false,
          employees: [],
        })
      }),
    setStatus: (accessToken, status) =>
      Effect.sync(() => {
        const issued = tokens.get(accessToken)
        if (issued !== undefined) issued.status = status
      }),
    setEmployees: (accessToken, employees) =>
      Effect.sync(() => {
        const issued = tokens.get(accessToken)
        if (issued !== undefined) issued.employees = employees
      }),
    failNext: (operation, error) =>
      Effect.sync(() => {
        scripted.set(operation, [...(scripted.get(operation) ?? []), error])
      }),
    sessions: Effect.sync(() => [...sessions]),
    disconnectCalls: Effect.sync(() => [...disconnects]),
    entityDisconnectCalls: Effect.sync(() => [...entityDisconnects]),
    isLive: (accessToken) => Effect.sync(() => tokens.get(accessToken)?.revoked === false),
    tokensUsed: Effect.sync(() => [...used]),
  }

  return { gateway, control }
}

const notFound = (id: string) => ({
  _tag: "Failed" as const,
  individualId: id,
  code: 404,
  error: { code: 404, name: "not_found_error", finch_code: "individual_not_found", message: "individual not found" },
})
