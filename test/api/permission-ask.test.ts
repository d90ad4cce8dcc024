import fs from "node:fs"
import path from "node:path"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolWithEvents, type SpoolApp } from "../fixture/spool-app.ts"

/** Permission requests through the official SDK: `permission.asked`, GET /permission, replies once/always/reject, abort. */
let llm: FakeLLM
let spool: SpoolApp
let client: OpencodeClient
let events: Awaited<ReturnType<typeof startSpoolWithEvents>>["events"]
let close: () => Promise<void> = async () => {}

beforeAll(async () => {
  ;({ llm, spool, client, events, close } = await startSpoolWithEvents())
})
afterAll(() => close())

type Event = { type: string; properties: any }
type Rule = { permission: string; pattern: string; action: "allow" | "ask" | "deny" }
const of = (sessionID: string, type: string) => (event: Event) => event.properties?.sessionID === sessionID && event.type === type
const text = (value: string) => ({ parts: [{ type: "text" as const, text: value }] })
const marker = (name: string) => path.join(spool.repo, name)
const touch = (name: string) => ({ toolCalls: [{ name: "bash", input: { command: `touch ${name}`, description: "Create a marker" } }] })

async function newSession(permission?: Rule[]) {
  return (await client.session.create({ title: "permissions", ...(permission ? { permission } : {}) })).data!.id
}

async function toolPart(sessionID: string) {
  const messages = (await client.session.messages({ sessionID })).data!
  return messages.flatMap((message) => message.parts).find((part) => part.type === "tool")!
}


async function askedFor(sessionID: string) {
  return (await events.waitFor(of(sessionID, "permission.asked"))).properties
}

describe("ask", () => {
  const askBash: Rule[] = [{ permission: "bash", pattern: "*", action: "ask" }]

  test("permission.asked in OpenCode's shape, listed by GET /permission; once runs the command", async () => {
    const sessionID = await newSession(askBash)
    llm.script(touch("asked-once"), { text: "ran it" })
    await client.session.promptAsync({ sessionID, ...text("run it") })
    const request = await askedFor(sessionID)
    const part = await toolPart(sessionID)
    expect(request).toEqual({
      id: expect.stringMatching(/^per_/),
      sessionID,
      permission: "bash",
      patterns: ["touch asked-once"],
      metadata: { command: "touch asked-once" },
      always: ["touch *"],
      tool: { messageID: part.messageID, callID: part.callID },
    })
    expect(part.state.status).toBe("running")
    expect((await client.permission.list()).data).toEqual([request])
    expect(fs.existsSync(marker("asked-once"))).toBe(false)

    expect((await client.permission.reply({ requestID: request.id, reply: "once" })).data).toBe(true)
    await events.waitFor(of(sessionID, "session.idle"))
    expect(fs.existsSync(marker("asked-once"))).toBe(true)
    expect(events.events.filter(of(sessionID, "permission.replied")).map((event) => event.properties)).toEqual([{ sessionID, requestID: request.id, reply: "once" }])
    expect(await toolPart(sessionID)).toMatchObject({ state: { status: "completed" } })
    expect((await client.permission.list()).data).toEqual([])
  })

  test("reject with a message: the tool part ends in error carrying it, the command never runs, the turn goes on", async () => {
    const sessionID = await newSession(askBash)
    llm.script(touch("asked-reject"), { text: "understood" })
    const answer = client.session.prompt({ sessionID, ...text("run it") })
    const request = await askedFor(sessionID)
    await client.permission.reply({ requestID: request.id, reply: "reject", message: "use the Makefile instead" })
    const done = (await answer).data!
    expect(await toolPart(sessionID)).toMatchObject({ state: { status: "error", error: expect.stringContaining("use the Makefile instead") } })
    expect(done.parts.find((part) => part.type === "text")).toMatchObject({ text: "understood" })
    expect(fs.existsSync(marker("asked-reject"))).toBe(false)
  })

  test("always adds the rule to the session; the next matching call runs without asking", async () => {
    const sessionID = await newSession(askBash)
    llm.script(touch("always-1"), touch("always-2"), { text: "both done" })
    const answer = client.session.prompt({ sessionID, ...text("run both") })
    const request = await askedFor(sessionID)
    await client.permission.reply({ requestID: request.id, reply: "always" })
    await answer
    expect(fs.existsSync(marker("always-1"))).toBe(true)
    expect(fs.existsSync(marker("always-2"))).toBe(true)
    expect(events.events.filter(of(sessionID, "permission.asked"))).toHaveLength(1)
    const session = (await client.session.get({ sessionID })).data!
    expect(session.permission).toEqual([...askBash, { permission: "bash", pattern: "touch *", action: "allow" }])
  })

  test("abort rejects the pending request", async () => {
    const sessionID = await newSession(askBash)
    llm.script(touch("aborted"))
    await client.session.promptAsync({ sessionID, ...text("run it") })
    const request = await askedFor(sessionID)
    await client.session.abort({ sessionID })
    await events.waitFor(of(sessionID, "session.idle"))
    expect(events.events.filter(of(sessionID, "permission.replied")).map((event) => event.properties)).toEqual([{ sessionID, requestID: request.id, reply: "reject" }])
    expect((await client.permission.list()).data).toEqual([])
    expect(await toolPart(sessionID)).toMatchObject({ state: { status: "error" } })
    expect(fs.existsSync(marker("aborted"))).toBe(false)
  })

  test("the deprecated route answers too; unknown ids are 404 and bad bodies 400", async () => {
    const sessionID = await newSession(askBash)
    llm.script(touch("deprecated"), { text: "ok" })
    const answer = client.session.prompt({ sessionID, ...text("run it") })
    const request = await askedFor(sessionID)
    const otherSession = await newSession()
    expect((await client.permission.respond({ sessionID: otherSession, permissionID: request.id, response: "once" })).response.status).toBe(404)
    const bad = await spool.fetch(`/permission/${request.id}/reply`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reply: "sure" }) })
    expect(bad.status).toBe(400)
    expect((await client.permission.respond({ sessionID, permissionID: request.id, response: "once" })).data).toBe(true)
    await answer
    expect(fs.existsSync(marker("deprecated"))).toBe(true)
    const unknown = await client.permission.reply({ requestID: "per_unknown", reply: "once" })
    expect(unknown.response.status).toBe(404)
    expect(unknown.error).toMatchObject({ name: "NotFoundError" })
  })
})

