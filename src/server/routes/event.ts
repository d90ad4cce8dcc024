import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response"
import { Hono, type Context } from "hono"
import { streamSSE } from "hono/streaming"
import { describeRoute, resolver } from "hono-openapi"
import { defineEvent, type Bus, type BusEvent } from "../../bus/index.ts"
import { createId } from "../../id/index.ts"
import { sessionEventDefinitions } from "../../session/index.ts"
import { z } from "zod"
import { isCorsRequest, nodeHttp, type NodeHttp } from "../node.ts"
import { DirectoryQuery, queryParameters, requestDirectory } from "../request.ts"

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

/**
 * The `data:` payload of `/global/event` frames: OpenCode 1.18's envelope, checked against the real
 * 1.18.33 server. An event of a directory is `{directory, project, payload}` (`project`: the
 * directory's project ID); `server.connected` and `server.heartbeat` belong to no directory and are
 * `{payload}` alone, as OpenCode sends them (its web client files those under "global").
 */
const GlobalEventFrame = z
  .object({
    directory: z.string().optional().describe("Directory of the session the event belongs to; absent on server.connected and server.heartbeat"),
    project: z.string().optional().describe("Project ID of that directory"),
    payload: EventFrame,
  })
  .meta({ id: "GlobalEvent" })

function sseDoc(operationId: string, summary: string, frame: z.ZodType, query?: z.ZodObject) {
  return describeRoute({
    operationId,
    summary,
    tags: ["event"],
    ...(query ? { parameters: queryParameters(query) as never } : {}),
    responses: { 200: { description: "Server-sent events; each frame has an `id:` line and one JSON `data:` line", content: { "text/event-stream": { schema: resolver(frame) } } } },
  })
}

/**
 * The SSE streams (spec 7.2, 7.3). Frames are `data: {id, type, properties}` as OpenCode's, plus an
 * `id:` line (clients that ignore it are unaffected) so a reconnecting client can send `Last-Event-ID`
 * and receive what it missed from the bus's bounded buffer. `/event` carries the events of one
 * directory; `/global/event` carries everything in OpenCode 1.18's envelope, `{directory, project,
 * payload}` (`{payload}` for the server's own connected/heartbeat frames).
 *
 * Contract: the listener is registered before `server.connected` is written, so nothing published
 * after the response starts is lost; a slow client does not block publishers (frames are queued per
 * connection and written in order). A frame is serialised once per event and stream kind, however
 * many clients receive it.
 */
export function eventRoutes(deps: { bus: Bus; cwd: string }) {
  const app = new Hono()

  app.get("/event", sseDoc("event.subscribe", "Events of one directory (SSE)", EventFrame, DirectoryQuery), (c) => {
    const directory = requestDirectory(c, deps.cwd)
    return stream(c, deps.bus, (event) => (event.directory === undefined || event.directory === directory ? directoryFrame(event) : undefined))
  })

  const projectOf = projectsOfDirectories(deps.bus)
  app.get("/global/event", sseDoc("global.event", "Events of every directory (SSE)", GlobalEventFrame), (c) => stream(c, deps.bus, (event) => globalFrame(event, projectOf)))

  return app
}

/** SSE frame text of each event, per stream kind; entries go with the events (the bus's buffer). */
const directoryFrames = new WeakMap<BusEvent, string>()
const globalFrames = new WeakMap<BusEvent, string>()
const payloads = new WeakMap<BusEvent, string>()

/** `JSON.stringify({id, type, properties})` of an event, computed once. */
function payload(event: BusEvent): string {
  let json = payloads.get(event)
  if (json === undefined) {
    json = JSON.stringify({ id: event.id, type: event.type, properties: event.properties })
    payloads.set(event, json)
  }
  return json
}

/** The `/event` frame of an event. */
function directoryFrame(event: BusEvent): string {
  let frame = directoryFrames.get(event)
  if (frame === undefined) {
    frame = sseFrame(event.id, payload(event))
    directoryFrames.set(event, frame)
  }
  return frame
}

/**
 * The project ID of an event's directory, learnt from every event on the bus that carries a session
 * (`info.projectID` with `info.directory`; the listener is registered before any stream's, so it
 * learns first): a directory's project is fixed, and a session event (created, or updated when a
 * prompt arrives) comes before its messages' events. A directory none of whose sessions has had an
 * event since start-up has no `project` on its frames yet (optional in OpenCode's schema).
 */
function projectsOfDirectories(bus: Bus): (event: BusEvent) => string | undefined {
  const byDirectory = new Map<string, string>()
  bus.subscribe((event) => {
    const info = (event.properties as { info?: { projectID?: unknown; directory?: unknown } } | undefined)?.info
    if (event.directory !== undefined && typeof info?.projectID === "string" && info.directory === event.directory) byDirectory.set(event.directory, info.projectID)
  })
  return (event) => (event.directory === undefined ? undefined : byDirectory.get(event.directory))
}

/**
 * The `/global/event` frame of an event: the text of `JSON.stringify({directory, project, payload})`,
 * or of `{payload}` for an event of no directory (`server.connected`, `server.heartbeat`).
 */
function globalFrame(event: BusEvent, projectOf: (event: BusEvent) => string | undefined): string {
  let frame = globalFrames.get(event)
  if (frame === undefined) {
    const project = projectOf(event)
    const data =
      event.directory === undefined
        ? `{"payload":${payload(event)}}`
        : `{"directory":${JSON.stringify(event.directory)},${project === undefined ? "" : `"project":${JSON.stringify(project)},`}"payload":${payload(event)}}`
    frame = sseFrame(event.id, data)
    globalFrames.set(event, frame)
  }
  return frame
}

/**
 * One SSE frame, as Hono's `writeSSE({data, id})` formats it. `data` is one line (JSON text has no raw
 * line breaks) and event ids are `evt_` ids, so no escaping is needed.
 */
function sseFrame(id: string, data: string): string {
  return `data: ${data}\nid: ${id}\n\n`
}

/** Response headers of both streams (Hono's `streamSSE` headers, with OpenCode's `Cache-Control`). */
const SSE_HEADERS = {
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "content-type": "text/event-stream",
  "transfer-encoding": "chunked",
  vary: "Origin",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
}

/** A connection's source of frames: subscribes, and returns its unsubscribe function. */
type FrameSource = (send: (frame: string) => void) => () => void

function stream(c: Context, bus: Bus, frame: (event: BusEvent) => string | undefined) {
  const lastEventID = c.req.header("last-event-id")
  const source: FrameSource = (send) => {
    const unsubscribe = bus.subscribe((event) => {
      const text = frame(event)
      if (text !== undefined) send(text)
    })
    const connected = { id: createId("event"), type: ServerConnected.type, properties: {} }
    send(frame(connected)!)
    if (lastEventID) {
      for (const event of bus.since(lastEventID) ?? []) {
        const text = frame(event)
        if (text !== undefined) send(text)
      }
    }
    const heartbeat = setInterval(() => {
      const beat = { id: createId("event"), type: ServerHeartbeat.type, properties: {} }
      send(frame(beat)!)
    }, HEARTBEAT_MS)
    return () => {
      clearInterval(heartbeat)
      unsubscribe()
    }
  }
  // Served by Node and untouched by the CORS middleware: write straight to the socket. Otherwise
  // (in-process `app.fetch`, CORS requests, HEAD) through Hono's stream helper.
  const node = nodeHttp(c)
  if (node && c.req.method === "GET" && !isCorsRequest(c, node)) return streamToNode(node, source)
  return streamToResponse(c, source)
}

/**
 * Writes the stream to the Node response directly, each frame as the bus delivers it (no web streams
 * in between, which cost more than the write itself with many subscribers). `outgoing.write` never
 * blocks: a slow client's frames wait in its socket buffer.
 */
function streamToNode({ outgoing }: NodeHttp, source: FrameSource): Response {
  outgoing.writeHead(200, SSE_HEADERS)
  let open = true
  const stop = source((frame) => {
    if (open) outgoing.write(frame)
  })
  outgoing.once("close", () => {
    open = false
    stop()
  })
  // Tells @hono/node-server that the response has been written already.
  return RESPONSE_ALREADY_SENT
}

function streamToResponse(c: Context, source: FrameSource): Response {
  c.header("X-Accel-Buffering", "no")
  c.header("X-Content-Type-Options", "nosniff")
  const response = streamSSE(c, async (sse) => {
    const queue: string[] = []
    let wake: (() => void) | undefined
    const stop = source((frame) => {
      queue.push(frame)
      wake?.()
    })
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
        // Everything queued goes out as one chunk.
        const frames = queue.length === 1 ? queue[0] : queue.join("")
        queue.length = 0
        await sse.write(frames)
      }
    } finally {
      stop()
    }
  })
  // Hono's helper sets `no-cache`; OpenCode sends `no-cache, no-transform` (keeps proxies from buffering).
  // Set on the context too: when the CORS middleware has created `c.res` already, Hono merges that
  // response's headers (the helper's `no-cache` among them) over the returned one's.
  c.header("Cache-Control", "no-cache, no-transform")
  response.headers.set("Cache-Control", "no-cache, no-transform")
  return response
}
