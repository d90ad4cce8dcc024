import fs from "node:fs"
import path from "node:path"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolWithEvents, type SpoolApp } from "../fixture/spool-app.ts"

/** Permissions through the official SDK: deny rules, the prompt tools map, unknown agents, prompt size (asks: permission-ask.test.ts). */
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

function offered(requestIndex: number): string[] {
  const body = llm.requests.at(requestIndex)!.body as { tools?: Array<{ name: string }> }
  return (body.tools ?? []).map((tool) => tool.name)
}


describe("deny", () => {
  test("a session rule denying bash entirely: bash is not offered, the call fails, the turn goes on, nothing runs", async () => {
    const sessionID = await newSession([{ permission: "bash", pattern: "*", action: "deny" }])
    llm.script(touch("denied-1"), { text: "done without bash" })
    const answer = (await client.session.prompt({ sessionID, ...text("run it") })).data!
    expect(offered(-2)).not.toContain("bash")
    expect(offered(-2)).toContain("read")
    expect(answer.parts.find((part) => part.type === "text")).toMatchObject({ text: "done without bash" })
    expect(await toolPart(sessionID)).toMatchObject({ tool: "bash", state: { status: "error", error: expect.stringContaining("Unknown tool: bash") } })
    expect(fs.existsSync(marker("denied-1"))).toBe(false)
  })

  test("a rule denying one command: the tool part ends in error with a message the model can act on", async () => {
    const sessionID = await newSession([{ permission: "bash", pattern: "touch *", action: "deny" }])
    llm.script(touch("denied-2"), { text: "ok, I will not" })
    const answer = (await client.session.prompt({ sessionID, ...text("run it") })).data!
    expect(offered(-2)).toContain("bash")
    const part = await toolPart(sessionID)
    expect(part).toMatchObject({ state: { status: "error", error: expect.stringContaining("denies `bash` for `touch denied-2`") } })
    expect(answer.parts.find((candidate) => candidate.type === "text")).toMatchObject({ text: "ok, I will not" })
    expect(fs.existsSync(marker("denied-2"))).toBe(false)
    expect(events.events.filter(of(sessionID, "permission.asked"))).toEqual([])
  })

  test("a prompt's `tools: {bash: false}` removes bash for that turn only", async () => {
    const sessionID = await newSession()
    llm.script(touch("denied-3"), { text: "no bash today" })
    await client.session.prompt({ sessionID, tools: { bash: false }, ...text("run it") })
    expect(offered(-2)).not.toContain("bash")
    expect(fs.existsSync(marker("denied-3"))).toBe(false)
    llm.script({ text: "plain" })
    await client.session.prompt({ sessionID, ...text("again") })
    expect(offered(-1)).toContain("bash")
  })
})

describe("prompt admission", () => {
  test("an unknown agent is 400 naming the known agents; plan is read-only", async () => {
    const sessionID = await newSession()
    const refused = await client.session.prompt({ sessionID, agent: "nope", ...text("hi") })
    expect(refused.response.status).toBe(400)
    expect(refused.error).toMatchObject({ name: "BadRequest", data: { message: 'Unknown agent "nope". Known agents: build, plan' } })
    llm.script({ text: "a plan" })
    await client.session.prompt({ sessionID, agent: "plan", ...text("plan it") })
    expect(offered(-1)).not.toContain("write")
    expect(offered(-1)).not.toContain("edit")
    expect(offered(-1)).toContain("bash")
  })

  test("a prompt larger than the model's context window is 400 and never reaches the provider", async () => {
    const sessionID = await newSession()
    const requests = llm.requests.length
    const refused = await client.session.prompt({ sessionID, ...text("x".repeat(1_000_000)) })
    expect(refused.response.status).toBe(400)
    expect(refused.error).toMatchObject({ name: "BadRequest", data: { message: expect.stringContaining("context window of 200000 tokens") } })
    expect(llm.requests.length).toBe(requests)
    expect((await client.session.messages({ sessionID })).data).toEqual([])
  })
})
