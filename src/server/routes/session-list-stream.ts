import type { Cursor, Page, SessionInfo } from "../../session/index.ts"

/** Reads the `count` sessions that follow `before` in the list's order. */
export type NextSessions = (before: Cursor, count: number) => Promise<Page<SessionInfo>>

/**
 * The JSON array text of a session list page of `limit` sessions, as a byte stream: `first` (the
 * first batch, already read) and then one batch of the same size per pull, each read after the client
 * took the previous one (backpressure), until `limit` sessions were written or the list ends. Memory
 * stays at one batch whatever the page size.
 *
 * A read that fails after the first byte cannot become an error response: the stream errors and the
 * connection is cut, so the client sees an incomplete body rather than a short list.
 */
export function streamSessionPages(first: Page<SessionInfo>, limit: number, next: NextSessions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const batch = Math.max(first.items.length, 1)
  let page: Page<SessionInfo> | undefined = first
  let written = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (page === undefined) {
          controller.close()
          return
        }
        const items = page.items.slice(0, limit - written)
        let text = written === 0 ? "[" : ""
        for (const [index, item] of items.entries()) text += (written + index === 0 ? "" : ",") + JSON.stringify(item)
        written += items.length
        const cursor = page.next
        page = undefined
        if (written < limit && cursor) page = await next(cursor, Math.min(batch, limit - written))
        if (page === undefined || page.items.length === 0) {
          page = undefined
          text += "]"
        }
        controller.enqueue(encoder.encode(text))
      },
    },
    { highWaterMark: 0 },
  )
}
