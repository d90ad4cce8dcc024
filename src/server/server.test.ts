import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startSpoolApp, type SpoolApp } from "../../test/fixture/spool-app.ts"

/**
 * The HTTP fast paths (see `server.ts`, `node.ts`, `routes/event.ts`) must not change what goes on the
 * wire: CORS only for requests with an `Origin` header and preflights, `Vary: Origin` on every
 * response, and SSE written straight to the socket with the same headers and frames as through Hono.
 * Both paths are checked: over a real socket (`spool.fetch`) and in-process (`app.http.fetch`).
 */
let spool: SpoolApp

beforeAll(async () => {
  spool = await startSpoolApp()
})

afterAll(async () => {
  await spool?.close()
})

const LOCAL = "http://localhost:3000"

function corsHeaders(response: Response) {
  return {
    vary: response.headers.get("vary"),
    allowOrigin: response.headers.get("access-control-allow-origin"),
    allowMethods: response.headers.get("access-control-allow-methods"),
    maxAge: response.headers.get("access-control-max-age"),
  }
}

describe.each([
  ["over a socket", (path: string, init?: RequestInit) => spool.fetch(path, init)],
  ["in-process", (path: string, init?: RequestInit) => Promise.resolve(spool.app.http.fetch(new Request(`http://localhost${path}`, init)))],
] as const)("CORS and Vary %s", (_, fetch) => {
  test("without Origin: Vary: Origin and no CORS headers, on 200s and errors alike", async () => {
    for (const path of ["/session", "/session/ses_missing", "/nope"]) {
      const response = await fetch(path)
      await response.arrayBuffer()
      expect(corsHeaders(response)).toEqual({ vary: "Origin", allowOrigin: null, allowMethods: null, maxAge: null })
    }
  })

  test("a local Origin is allowed; others are refused (403) with only Vary", async () => {
    const allowed = await fetch("/session", { headers: { origin: LOCAL } })
    await allowed.arrayBuffer()
    expect(corsHeaders(allowed)).toEqual({ vary: "Origin", allowOrigin: LOCAL, allowMethods: null, maxAge: null })
    const foreign = await fetch("/session", { headers: { origin: "https://example.com" } })
    expect(foreign.status).toBe(403)
    await foreign.arrayBuffer()
    expect(corsHeaders(foreign)).toEqual({ vary: "Origin", allowOrigin: null, allowMethods: null, maxAge: null })
  })

  test("preflights answer 204, with or without Origin", async () => {
    const preflight = await fetch("/session", { method: "OPTIONS", headers: { origin: LOCAL, "access-control-request-headers": "x-opencode-directory, content-type" } })
    expect(preflight.status).toBe(204)
    expect(corsHeaders(preflight)).toEqual({ vary: "Origin, Access-Control-Request-Headers", allowOrigin: LOCAL, allowMethods: "GET,HEAD,PUT,PATCH,POST,DELETE", maxAge: "86400" })
    expect(preflight.headers.get("access-control-allow-headers")).toBe("x-opencode-directory,content-type")
    const bare = await fetch("/session", { method: "OPTIONS" })
    expect(bare.status).toBe(204)
    expect(corsHeaders(bare)).toEqual({ vary: "Origin", allowOrigin: null, allowMethods: "GET,HEAD,PUT,PATCH,POST,DELETE", maxAge: "86400" })
  })
})

/** Reads SSE frames (raw text blocks) from a response until `count` arrived. */
async function frames(response: Response, count: number): Promise<string[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  while (text.split("\n\n").length - 1 < count) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  return text.split("\n\n").slice(0, count)
}

describe("SSE", () => {
  const SSE_HEADERS = {
    "cache-control": "no-cache, no-transform",
    "content-type": "text/event-stream",
    vary: "Origin",
    "x-accel-buffering": "no",
    "x-content-type-options": "nosniff",
  }

  test.each([
    ["over a socket, written directly", {}],
    ["over a socket with the server's own Origin, through Hono's stream", { origin: "SELF" }],
    ["over a socket with a local Origin, through Hono's stream", { origin: LOCAL }],
  ])("%s: same headers, one frame per event, serialised as JSON.stringify would", async (_, given) => {
    const headers: Record<string, string> = "origin" in given && given.origin === "SELF" ? { origin: spool.url } : given
    const directory = encodeURIComponent(spool.repo)
    const local = await spool.fetch(`/event?directory=${directory}`, { headers })
    const global = await spool.fetch("/global/event", { headers })
    for (const response of [local, global]) {
      expect(response.status).toBe(200)
      for (const [name, value] of Object.entries(SSE_HEADERS)) expect(response.headers.get(name)).toBe(value)
    }
    const session = (await spool.client().session.create({ title: "sse \"quoted\" ✓\nline" })).data!
    const [localFrames, globalFrames] = await Promise.all([frames(local, 2), frames(global, 2)])
    const event = JSON.parse(localFrames[1].split("\n")[0].slice("data: ".length))
    expect(event).toMatchObject({ type: "session.created", properties: { sessionID: session.id, info: session } })
    expect(localFrames[1]).toBe(`data: ${JSON.stringify({ id: event.id, type: event.type, properties: event.properties })}\nid: ${event.id}`)
    expect(globalFrames[1]).toBe(`data: ${JSON.stringify({ directory: spool.repo, project: session.projectID, payload: event })}\nid: ${event.id}`)
    expect(JSON.parse(globalFrames[0].split("\n")[0].slice("data: ".length))).toEqual({ payload: { id: expect.stringMatching(/^evt_/), type: "server.connected", properties: {} } })
  })

  test("in-process (no Node response): through Hono's stream", async () => {
    const response = await spool.app.http.fetch(new Request(`http://localhost/event?directory=${encodeURIComponent(spool.repo)}`))
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform")
    const session = (await spool.client().session.create({ title: "in-process" })).data!
    const [connected, created] = await frames(response, 2)
    expect(connected).toMatch(/^data: \{"id":"evt_\w+","type":"server.connected","properties":\{\}\}\nid: evt_\w+$/)
    expect(JSON.parse(created.split("\n")[0].slice("data: ".length))).toMatchObject({ type: "session.created", properties: { sessionID: session.id } })
  })

  test("a closed stream stops receiving: its listener is removed", async () => {
    const controller = new AbortController()
    const response = await spool.fetch(`/event?directory=${encodeURIComponent(spool.repo)}`, { signal: controller.signal })
    await frames(response, 1)
    controller.abort()
    // Publishing after the client went away must not throw or write to a closed socket.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await spool.client().session.create({ title: "after close" })).data?.id).toMatch(/^ses_/)
  })
})
