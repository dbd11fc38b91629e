/** Every Finch API call the sandbox served, so tests can count requests and retries at the server. */

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  /** The query string without its `?` ("" when none), e.g. `limit=10000&offset=20000`. */
  readonly query: string
  /** HTTP status sent; 0 when the connection was dropped. */
  readonly status: number
  readonly at: string
  readonly request_id: string
  /** The SDK's `X-Stainless-Retry-Count`, when sent. */
  readonly retry_count?: number
}

/** What `GET /_sandbox/requests` answers: the requests in arrival order and a count per `METHOD path`. */
export interface RequestLogSnapshot {
  readonly requests: ReadonlyArray<LoggedRequest>
  readonly counts: Readonly<Record<string, number>>
}

/** The request log behind `GET /_sandbox/requests`, with an optional listener (the CLI prints from it). */
export class RequestLog {
  private entries: Array<LoggedRequest> = []
  private readonly listener: ((entry: LoggedRequest) => void) | undefined

  constructor(listener?: (entry: LoggedRequest) => void) {
    this.listener = listener
  }

  add(entry: LoggedRequest) {
    this.entries.push(entry)
    this.listener?.(entry)
  }

  clear() {
    this.entries = []
  }

  snapshot(): RequestLogSnapshot {
    const counts: Record<string, number> = {}
    for (const entry of this.entries) {
      const key = `${entry.method} ${entry.path}`
      counts[key] = (counts[key] ?? 0) + 1
    }
    return { requests: [...this.entries], counts }
  }
}
