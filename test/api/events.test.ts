import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/** The raw SSE wire (`id:` lines, `Last-Event-ID` resume) and the OpenAPI document. */
let spool: SpoolApp
let client: OpencodeClient

beforeAll(async () => {
  spool = await startSpoolApp()
  client = spool.client()
})

afterAll(async () => {
  await spool?.close()
})

interface Frame {
  id: string | undefined
  data: { id: string; type: string; properties: any }
}

/** A raw `fetch` SSE connection that parses frames as they arrive. */
async function connect(path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const response = await spool.fetch(path, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal })
  const frames: Frame[] = []
  const raw: string[] = []
  const reading = (async () => {
    const decoder = new TextDecoder()
    let buffer = ""
    try {
      const reader = response.body!.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          raw.push(block)
          const lines = block.split("\n")
          const id = lines.find((line) => line.startsWith("id:"))?.slice(3).trim()
          const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n")
          frames.push({ id, data: JSON.parse(data) })
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    response,
    frames,
    raw,
    async waitFor(predicate: (frame: Frame) => boolean): Promise<Frame> {
      const start = Date.now()
      for (;;) {
        const found = frames.find(predicate)
        if (found) return found
        if (Date.now() - start > 5_000) throw new Error(`timed out; got ${frames.map((frame) => frame.data.type).join(", ")}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    async close() {
      controller.abort()
      await reading
    },
  }
}

describe("GET /event", () => {
  test("frames carry `id:` = the event id and data `{id, type, properties}`; server.connected first", async () => {
    const stream = await connect(`/event?directory=${encodeURIComponent(spool.repo)}`)
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    expect(stream.response.headers.get("cache-control")).toBe("no-cache, no-transform")
    const session = (await client.session.create({ title: "wire" })).data!
    await stream.waitFor((frame) => frame.data.type === "session.created")
    await stream.close()
    expect(stream.frames[0].data).toEqual({ id: expect.stringMatching(/^evt_/), type: "server.connected", properties: {} })
    for (const frame of stream.frames) expect(frame.id).toBe(frame.data.id)
    expect(stream.raw[1].split("\n").sort()).toEqual([`data: ${JSON.stringify(stream.frames[1].data)}`, `id: ${stream.frames[1].id}`])
    expect(stream.frames[1].data).toEqual({
      id: stream.frames[1].id,
      type: "session.created",
      properties: { sessionID: session.id, info: session },
    })
  })

  test("reconnecting with Last-Event-ID replays exactly the events missed in between", async () => {
    const directory = encodeURIComponent(spool.repo)
    const first = await connect(`/event?directory=${directory}`)
    await first.waitFor((frame) => frame.data.type === "server.connected")
    const seen = (await client.session.create({ title: "seen" })).data!
    const last = await first.waitFor((frame) => frame.data.type === "session.created" && frame.data.properties.sessionID === seen.id)
    await first.close()

    // While disconnected: three changes in this directory, one in another project (not for this stream).
    const missed = (await client.session.create({ title: "missed" })).data!
    await client.session.update({ sessionID: missed.id, title: "missed, renamed" })
    await client.session.delete({ sessionID: seen.id })
    await spool.client(spool.dataDir).session.create({ title: "elsewhere" })

    const second = await connect(`/event?directory=${directory}`, { "last-event-id": last.id! })
    await second.waitFor((frame) => frame.data.type === "session.deleted")
    const live = (await client.session.create({ title: "live" })).data!
    await second.waitFor((frame) => frame.data.type === "session.created" && frame.data.properties.sessionID === live.id)
    await second.close()

    expect(second.frames.map((frame) => [frame.data.type, frame.data.properties.sessionID])).toEqual([
      ["server.connected", undefined],
      ["session.created", missed.id],
      ["session.updated", missed.id],
      ["session.deleted", seen.id],
      ["session.created", live.id],
    ])
    expect(second.frames[2].data.properties.info.title).toBe("missed, renamed")
    const ids = second.frames.slice(1).map((frame) => frame.id!)
    expect(new Set([...ids, last.id]).size).toBe(ids.length + 1)
    expect([...ids].sort()).toEqual(ids)
  })

  test("an unknown Last-Event-ID replays nothing (the client must reload)", async () => {
    const stream = await connect(`/event?directory=${encodeURIComponent(spool.repo)}`, { "last-event-id": "evt_000000000000unknownunknown" })
    await stream.waitFor((frame) => frame.data.type === "server.connected")
    const session = (await client.session.create({ title: "after unknown" })).data!
    await stream.waitFor((frame) => frame.data.type === "session.created")
    await stream.close()
    expect(stream.frames.map((frame) => [frame.data.type, frame.data.properties.sessionID])).toEqual([
      ["server.connected", undefined],
      ["session.created", session.id],
    ])
  })

  test("/global/event wraps events as {directory, project, payload} (OpenCode 1.18) and also resumes", async () => {
    const first = await connect("/global/event")
    const before = (await client.session.create({ title: "global before" })).data!
    const last = await first.waitFor((frame) => frame.data.type === undefined && (frame.data as any).payload.properties.sessionID === before.id)
    await first.close()
    expect(last.data).toEqual({ directory: spool.repo, project: before.projectID, payload: { id: last.id, type: "session.created", properties: { sessionID: before.id, info: before } } })
    expect(Object.keys(last.data)).toEqual(["directory", "project", "payload"])
    const elsewhere = (await spool.client(spool.dataDir).session.create({ title: "global missed" })).data!
    const second = await connect("/global/event", { "last-event-id": last.id! })
    const replayed = await second.waitFor((frame) => (frame.data as any).payload?.properties?.sessionID === elsewhere.id)
    await second.close()
    expect(replayed.data).toMatchObject({ directory: spool.dataDir, project: elsewhere.projectID, payload: { type: "session.created" } })
  })
})

describe("GET /doc", () => {
  test("an OpenAPI 3.1 document listing every route, with Session, Message and Part schemas", async () => {
    const response = await spool.fetch("/doc")
    expect(response.status).toBe(200)
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { operationId?: string }>>; components: { schemas: Record<string, any> } }
    expect(doc.openapi).toBe("3.1.0")
    const routes = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort()
    expect(routes).toEqual(
      [
        "GET /session",
        "POST /session",
        "GET /session/status",
        "GET /session/{sessionID}",
        "PATCH /session/{sessionID}",
        "DELETE /session/{sessionID}",
        "GET /session/{sessionID}/children",
        "GET /session/{sessionID}/todo",
        "GET /session/{sessionID}/stats",
        "GET /session/{sessionID}/diff",
        "GET /session/{sessionID}/message",
        "POST /session/{sessionID}/message",
        "POST /session/{sessionID}/prompt_async",
        "GET /session/{sessionID}/message/{messageID}",
        "DELETE /session/{sessionID}/message/{messageID}",
        "POST /session/{sessionID}/fork",
        "POST /session/{sessionID}/abort",
        "POST /session/{sessionID}/summarize",
        "POST /session/{sessionID}/init",
        "POST /session/{sessionID}/revert",
        "POST /session/{sessionID}/unrevert",
        "GET /event",
        "GET /global/event",
        "GET /global/health",
        "GET /config/schema",
        "GET /permission",
        "POST /permission/{requestID}/reply",
        "POST /session/{sessionID}/permissions/{permissionID}",
        // The routes OpenCode's TUI asks for (test/api/tui-routes.test.ts).
        ...["/config", "/config/providers", "/provider", "/provider/auth", "/agent", "/path", "/project", "/project/current", "/project/{projectID}/directories", "/vcs", "/command"].map((path) => `GET ${path}`),
        ...["/lsp", "/formatter", "/mcp", "/experimental/resource", "/experimental/workspace", "/experimental/workspace/status", "/experimental/capabilities", "/experimental/console"].map((path) => `GET ${path}`),
        ...["location", "agent", "command", "provider", "model", "integration", "reference", "skill", "fs/find"].map((name) => `GET /api/${name}`),
        "GET /find/file",
        "POST /session/{sessionID}/command",
        "POST /session/{sessionID}/shell",
        // The web UI's read-only queries (test/api/session-all, search-route, stats-route, export-route, revert-preview).
        ...["/experimental/session", "/search", "/session/{sessionID}/search", "/stats", "/session/{sessionID}/export", "/session/{sessionID}/revert"].map((path) => `GET ${path}`),
      ].sort(),
    )
    expect(doc.paths["/session/{sessionID}"].get.operationId).toBe("session.get")
    expect(doc.paths["/session/{sessionID}/prompt_async"].post.operationId).toBe("session.prompt_async")
    const schemas = doc.components.schemas
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(["Session", "Message", "Part", "UserMessage", "AssistantMessage", "TextPart", "ToolPart"]))
    expect(schemas.Session.required).toEqual(expect.arrayContaining(["id", "slug", "projectID", "directory", "title", "version", "time"]))
    expect(Object.keys(schemas.Session.properties)).toEqual(expect.arrayContaining(["parentID", "cost", "tokens", "metadata", "permission", "revert"]))
    expect(JSON.stringify(schemas.Message)).toContain("#/components/schemas/UserMessage")
    expect(JSON.stringify(schemas.Part)).toContain("#/components/schemas/ToolPart")
  })
})
