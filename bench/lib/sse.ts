/**
 * A minimal SSE subscriber for the benchmark: `fetch` plus `eventsource-parser` for the framing.
 * Every event carries `receivedAt`, the `performance.now()` of the network chunk it arrived in
 * (taken before parsing), so delivery latency does not include this process's parsing work.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { performance } from "node:perf_hooks"

/** One SSE event as received. */
export interface SseEvent extends EventSourceMessage {
  receivedAt: number
}

/** An open SSE stream. */
export interface SseSubscription {
  /** Resolves when the first event arrives (OpenCode and Spool both send `server.connected` first). */
  firstEvent: Promise<SseEvent>
  /** Resolves when the stream ends, is closed, or fails (never rejects). */
  closed: Promise<void>
  close(): void
}

/**
 * Opens `GET url` as an event stream and calls `onEvent` for each event.
 * @throws (via `firstEvent`) when the response is not 200 or the stream ends before any event.
 */
export function subscribe(url: string, onEvent: (event: SseEvent) => void, headers: Record<string, string> = {}): SseSubscription {
  const abort = new AbortController()
  let resolveFirst!: (event: SseEvent) => void
  let rejectFirst!: (error: Error) => void
  const firstEvent = new Promise<SseEvent>((resolve, reject) => {
    resolveFirst = resolve
    rejectFirst = reject
  })
  firstEvent.catch(() => {}) // callers that never await it must not see an unhandled rejection
  let chunkAt = 0
  let seen = false
  const parser = createParser({
    onEvent(message) {
      const event: SseEvent = { ...message, receivedAt: chunkAt }
      if (!seen) {
        seen = true
        resolveFirst(event)
      }
      onEvent(event)
    },
  })

  const closed = (async () => {
    try {
      const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal })
      if (response.status !== 200 || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`)
      const decoder = new TextDecoder()
      const reader = response.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        chunkAt = performance.now()
        parser.feed(decoder.decode(value, { stream: true }))
      }
      if (!seen) throw new Error(`GET ${url}: stream ended before the first event`)
    } catch (error) {
      if (!seen) rejectFirst(error instanceof Error ? error : new Error(String(error)))
    }
  })()

  return { firstEvent, closed, close: () => abort.abort() }
}
