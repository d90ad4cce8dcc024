import type { GlobalEvent } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, expect, test, vi } from "vitest"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * `/global/event` in OpenCode 1.18's envelope, read through the official SDK as OpenCode's TUI reads
 * it: `{directory, project, payload}` for every event of a directory, `{payload}` alone for the
 * server's `server.connected` (as the real 1.18.33 server sends it).
 */
let spool: SpoolApp

beforeAll(async () => {
  spool = await startSpoolApp()
})

afterAll(async () => {
  await spool?.close()
})

test("every frame is {directory, project, payload}, server.connected is {payload}", async () => {
  const client = spool.client()
  const controller = new AbortController()
  const events = await client.global.event({ signal: controller.signal })
  const received: GlobalEvent[] = []
  const iterator = events.stream[Symbol.asyncIterator]()
  const next = async () => {
    const { value } = await iterator.next()
    received.push(value as GlobalEvent)
    return value as GlobalEvent
  }
  const connected = await next()
  expect(connected).toEqual({ payload: { id: expect.stringMatching(/^evt_/), type: "server.connected", properties: {} } })

  const session = (await client.session.create({ title: "envelope" })).data!
  await client.session.prompt({ sessionID: session.id, noReply: true, parts: [{ type: "text", text: "hello" }] })
  await client.session.update({ sessionID: session.id, title: "renamed" })
  while (!received.some((event) => event.payload.type === "session.updated" && (event.payload.properties as { info: { title: string } }).info.title === "renamed")) await next()
  controller.abort()

  const types = received.slice(1).map((event) => event.payload.type)
  expect(types).toEqual(expect.arrayContaining(["session.created", "message.updated", "message.part.updated", "session.updated"]))
  for (const event of received.slice(1)) {
    expect(Object.keys(event)).toEqual(["directory", "project", "payload"])
    expect(event.directory).toBe(spool.repo)
    expect(event.project).toBe(session.projectID)
    expect(Object.keys(event.payload)).toEqual(["id", "type", "properties"])
  }
})

test("server.heartbeat is {payload} alone, as OpenCode 1.18.33 sends it every 10 s", async () => {
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] })
  try {
    const controller = new AbortController()
    const response = await spool.app.http.fetch(new Request("http://127.0.0.1/global/event", { signal: controller.signal }))
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    const frame = async () => {
      while (!text.includes("\n\n")) text += decoder.decode((await reader.read()).value, { stream: true })
      const end = text.indexOf("\n\n")
      const block = text.slice(0, end)
      text = text.slice(end + 2)
      return JSON.parse(block.split("\n")[0].slice("data: ".length)) as unknown
    }
    expect(await frame()).toMatchObject({ payload: { type: "server.connected" } })
    vi.advanceTimersByTime(10_000)
    expect(await frame()).toEqual({ payload: { id: expect.stringMatching(/^evt_/), type: "server.heartbeat", properties: {} } })
    controller.abort()
    await reader.cancel().catch(() => {})
  } finally {
    vi.useRealTimers()
  }
})
