import { Hono, type Context } from "hono"
import { streamSSE, type SSEStreamingApi } from "hono/streaming"
import { describeRoute, resolver } from "hono-openapi"
import { defineEvent, type Bus, type BusEvent } from "../../bus/index.ts"
import { createId } from "../../id/index.ts"
import { sessionEventDefinitions } from "../../session/index.ts"
import { z } from "zod"
import { requestDirectory } from "../request.ts"

/** Sent first on every stream. */
export const ServerConnected = defineEvent("server.connected", z.object({}))
/** Sent every `HEARTBEAT_MS` so proxies and clients see the stream is alive. */
export const ServerHeartbeat = defineEvent("server.heartbeat", z.object({}))
const HEARTBEAT_MS = 10_000

/** The `data:` payload of `/event` frames: one `{id, type, properties}` object per event type. */
const EventFrame = z
  .union(
    [ServerConnected, ServerHeartbeat, ...sessionEventDefinitions].map((definition) =>
      z.object({ id: z.string(), type: z.literal(definition.type), properties: definition.properties }).meta({ id: `Event.${definition.type}` }),
    ) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  )
  .meta({ id: "Event" })

/** The `data:` payload of `/global/event` frames. */
const GlobalEventFrame = z.object({ directory: z.string().optional(), payload: EventFrame }).meta({ id: "GlobalEvent" })

function sseDoc(operationId: string, summary: string, frame: z.ZodType) {
  return describeRoute({
    operationId,
    summary,
    tags: ["event"],
    responses: { 200: { description: "Server-sent events; each frame has an `id:` line and one JSON `data:` line", content: { "text/event-stream": { schema: resolver(frame) } } } },
  })
}

/**
 * The SSE streams (spec 7.2, 7.3). Frames are `data: {id, type, properties}` as OpenCode's, plus an
 * `id:` line (clients that ignore it are unaffected) so a reconnecting client can send `Last-Event-ID`
 * and receive what it missed from the bus's bounded buffer. `/event` carries the events of one
 * directory; `/global/event` carries everything wrapped as `{directory?, payload}`.
 *
 * Contract: the listener is registered before `server.connected` is written, so nothing published
 * after the response starts is lost; a slow client does not block publishers (frames are queued per
 * connection and written in order).
 */
export function eventRoutes(deps: { bus: Bus; cwd: string }) {
  const app = new Hono()

  app.get("/event", sseDoc("event.subscribe", "Events of one directory (SSE)", EventFrame), (c) => {
    const directory = requestDirectory(c, deps.cwd)
    return stream(c, deps.bus, (event) => (event.directory === undefined || event.directory === directory ? wire(event) : undefined))
  })

  app.get("/global/event", sseDoc("global.event", "Events of every directory (SSE)", GlobalEventFrame), (c) =>
    stream(c, deps.bus, (event) => {
      const payload = wire(event)
      return event.directory === undefined ? { payload } : { directory: event.directory, payload }
    }),
  )

  return app
}

function wire(event: BusEvent) {
  return { id: event.id, type: event.type, properties: event.properties }
}

function stream(c: Context, bus: Bus, frame: (event: BusEvent) => unknown) {
  c.header("X-Accel-Buffering", "no")
  c.header("X-Content-Type-Options", "nosniff")
  const lastEventID = c.req.header("last-event-id")
  const response = streamSSE(c, async (sse) => {
    const queue: Array<{ id: string; data: unknown }> = []
    let wake: (() => void) | undefined
    const push = (id: string, data: unknown) => {
      queue.push({ id, data })
      wake?.()
    }
    const unsubscribe = bus.subscribe((event) => {
      const data = frame(event)
      if (data !== undefined) push(event.id, data)
    })
    const connected = { id: createId("event"), type: ServerConnected.type, properties: {} }
    push(connected.id, frame({ ...connected, directory: undefined }))
    if (lastEventID) {
      for (const event of bus.since(lastEventID) ?? []) {
        const data = frame(event)
        if (data !== undefined) push(event.id, data)
      }
    }
    const heartbeat = setInterval(() => {
      const beat = { id: createId("event"), type: ServerHeartbeat.type, properties: {} }
      push(beat.id, frame({ ...beat, directory: undefined }))
    }, HEARTBEAT_MS)
    let closed = false
    sse.onAbort(() => {
      closed = true
      wake?.()
    })
    try {
      while (!closed) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve))
          wake = undefined
          continue
        }
        const next = queue.shift()!
        await write(sse, next.id, next.data)
      }
    } finally {
      clearInterval(heartbeat)
      unsubscribe()
    }
  })
  // Hono's helper sets `no-cache`; OpenCode sends `no-cache, no-transform` (keeps proxies from buffering).
  response.headers.set("Cache-Control", "no-cache, no-transform")
  return response
}

async function write(sse: SSEStreamingApi, id: string, data: unknown) {
  await sse.writeSSE({ data: JSON.stringify(data), id })
}
