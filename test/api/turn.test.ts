import { execFileSync } from "node:child_process"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, startSpoolWithEvents, until, type SpoolApp } from "../fixture/spool-app.ts"

/** Turns through the SDK: abort, retry, give-up, queueing, missing keys, noReply, status (spec 4.11, 6.2, 8). */
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
const of = (sessionID: string, type?: string) => (event: Event) => event.properties?.sessionID === sessionID && (type === undefined || event.type === type)
const eventsOf = (sessionID: string, type?: string) => events.events.filter(of(sessionID, type))
const text = (value: string) => ({ parts: [{ type: "text" as const, text: value }] })

async function newSession(title: string) {
  return (await client.session.create({ title })).data!.id
}

describe("abort", () => {
  test("mid-stream: the assistant gets MessageAbortedError, session.error is published, status goes idle", async () => {
    const sessionID = await newSession("abort text")
    llm.script({ text: "partial", hang: true })
    const started = await client.session.promptAsync({ sessionID, ...text("go") })
    expect(started.response.status).toBe(204)
    const delta = await events.waitFor(of(sessionID, "message.part.delta"))
    expect(delta.properties).toMatchObject({ field: "text", delta: "partial" })
    expect(await client.session.status()).toMatchObject({ data: { [sessionID]: { type: "busy" } } })

    const aborted = await client.session.abort({ sessionID })
    expect(aborted.data).toBe(true)
    await events.waitFor(of(sessionID, "session.idle"))

    const error = { name: "MessageAbortedError", data: { message: "Aborted" } }
    expect(eventsOf(sessionID, "session.error").map((event) => event.properties)).toEqual([{ sessionID, error }])
    const [user, assistant] = (await client.session.messages({ sessionID })).data!
    expect(user.info.role).toBe("user")
    expect(assistant.info).toMatchObject({ role: "assistant", error })
    expect((assistant.info.time as { completed?: number }).completed).toBeGreaterThanOrEqual(assistant.info.time.created)
    const part = assistant.parts.find((candidate) => candidate.type === "text")
    expect(part).toMatchObject({ type: "text", text: "partial" })
    expect(part?.type === "text" && part.time?.end).toBeGreaterThan(0)

    const types = events.events.filter(of(sessionID)).map((event) => (event.type === "session.status" ? `status:${event.properties.status.type}` : event.type))
    expect(types.indexOf("session.error")).toBeLessThan(types.lastIndexOf("status:idle"))
    expect(types.at(-1)).toBe("session.idle")
    expect((await client.session.status()).data).toEqual({})
  })

  test("a running tool becomes error `Tool execution aborted`", async () => {
    const sessionID = await newSession("abort tool")
    const command = `sleep 29.${process.pid}${Date.now() % 100_000}`
    const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").some((line) => line.trim() === command)
    llm.script({ toolCalls: [{ name: "bash", input: { command, description: "Sleep" } }] })
    await client.session.promptAsync({ sessionID, ...text("sleep") })
    await events.waitFor((event) => of(sessionID, "message.part.updated")(event) && event.properties.part.type === "tool" && event.properties.part.state.status === "running")
    await until(running, "the command to start")
    const abortedAt = Date.now()
    expect((await client.session.abort({ sessionID })).data).toBe(true)
    await events.waitFor(of(sessionID, "session.idle"))
    expect(Date.now() - abortedAt).toBeLessThan(3_000)

    const assistant = (await client.session.messages({ sessionID })).data![1]
    expect(assistant.info).toMatchObject({ role: "assistant", error: { name: "MessageAbortedError", data: { message: "Aborted" } } })
    const tool = assistant.parts.find((part) => part.type === "tool")
    expect(tool).toMatchObject({ tool: "bash", state: { status: "error", error: "Tool execution aborted", input: { command }, metadata: { interrupted: true } } })
    expect(tool?.type === "tool" && tool.state.status === "error" && tool.state.time.end - tool.state.time.start).toBeLessThan(3_000)
    expect((await client.session.status()).data).toEqual({})
    // The shell and its children are gone, not left running in the background.
    await until(() => !running(), "the aborted command to exit", 2_000)
  })

  test("abort of an idle session is true and changes nothing", async () => {
    const sessionID = await newSession("abort idle")
    const result = await client.session.abort({ sessionID })
    expect(result.data).toBe(true)
    expect((await client.session.messages({ sessionID })).data).toEqual([])
    expect(eventsOf(sessionID, "session.error")).toEqual([])
  })
})

describe("retry", () => {
  test("a 529 with retry-after-ms publishes a retry status, then the turn succeeds on the 2nd request", async () => {
    const sessionID = await newSession("retry once")
    const requests = llm.requests.length
    llm.script({ error: { status: 529, headers: { "retry-after-ms": "50" } } }, { text: "recovered" })
    const sent = Date.now()
    const answer = (await client.session.prompt({ sessionID, ...text("hello") })).data!
    expect(answer.info).toMatchObject({ role: "assistant", finish: "stop" })
    expect(answer.info.role === "assistant" && answer.info.error).toBeUndefined()
    expect(answer.parts.find((part) => part.type === "text")).toMatchObject({ text: "recovered" })
    expect(llm.requests.length - requests).toBe(2)

    await events.waitFor(of(sessionID, "session.idle"))
    const statuses = eventsOf(sessionID, "session.status").map((event) => event.properties.status)
    const retries = statuses.filter((status) => status.type === "retry")
    expect(retries).toEqual([{ type: "retry", attempt: 1, message: "Provider is overloaded", next: expect.any(Number) }])
    expect(retries[0].next).toBeGreaterThanOrEqual(sent + 50)
    expect(retries[0].next).toBeLessThanOrEqual(Date.now())
    expect(statuses.map((status) => status.type)).toEqual(["busy", "retry", "busy", "idle"])
    expect((await client.session.messages({ sessionID })).data!.map((message) => message.info.role)).toEqual(["user", "assistant"])
  })

  test("gives up after 5 retries with APIError on the message", async () => {
    const sessionID = await newSession("retry forever")
    const requests = llm.requests.length
    llm.script(...Array.from({ length: 6 }, () => ({ error: { status: 529, headers: { "retry-after-ms": "1" } } })))
    const answer = (await client.session.prompt({ sessionID, ...text("hello") })).data!
    expect(llm.requests.length - requests).toBe(6)
    const error = { name: "APIError", data: { message: "Provider is overloaded", statusCode: 529, isRetryable: true } }
    expect(answer.info).toMatchObject({ role: "assistant", finish: "error", error })
    await events.waitFor(of(sessionID, "session.idle"))
    const retries = eventsOf(sessionID, "session.status").filter((event) => event.properties.status.type === "retry")
    expect(retries.map((event) => event.properties.status.attempt)).toEqual([1, 2, 3, 4, 5])
    expect(eventsOf(sessionID, "session.error").map((event) => event.properties)).toMatchObject([{ sessionID, error }])
    expect((await client.session.status()).data).toEqual({})
  })

  test("a 400 is not retried", async () => {
    const sessionID = await newSession("no retry")
    const requests = llm.requests.length
    llm.script({ error: { status: 400 } })
    const answer = (await client.session.prompt({ sessionID, ...text("hello") })).data!
    expect(llm.requests.length - requests).toBe(1)
    expect(answer.info).toMatchObject({ role: "assistant", error: { name: "APIError", data: { message: "Invalid request", statusCode: 400, isRetryable: false } } })
    await events.waitFor(of(sessionID, "session.idle"))
    expect(eventsOf(sessionID, "session.status").map((event) => event.properties.status.type)).toEqual(["busy", "idle"])
  })
})

describe("queueing and status", () => {
  test("two prompt_async back to back are both answered in order; the 2nd request carries the 1st answer", async () => {
    const sessionID = await newSession("queue")
    const requests = llm.requests.length
    llm.script({ text: ["first ", "answer"], delayMs: 30 }, { text: "second answer" })
    expect((await client.session.promptAsync({ sessionID, ...text("first question") })).response.status).toBe(204)
    expect((await client.session.promptAsync({ sessionID, ...text("second question") })).response.status).toBe(204)
    await events.waitFor(of(sessionID, "session.idle"))
    expect(eventsOf(sessionID, "session.idle")).toHaveLength(1)

    const messages = (await client.session.messages({ sessionID })).data!
    const summary = messages.map((message) => [message.info.role, message.parts.find((part) => part.type === "text")])
    expect(summary).toEqual([
      ["user", expect.objectContaining({ text: "first question" })],
      ["assistant", expect.objectContaining({ text: "first answer" })],
      ["user", expect.objectContaining({ text: "second question" })],
      ["assistant", expect.objectContaining({ text: "second answer" })],
    ])
    expect(messages[1].info.role === "assistant" && messages[1].info.parentID).toBe(messages[0].info.id)
    expect(messages[3].info.role === "assistant" && messages[3].info.parentID).toBe(messages[2].info.id)

    expect(llm.requests.length - requests).toBe(2)
    const [first, second] = llm.requests.slice(requests).map((request) => JSON.stringify(request.body.messages))
    expect(first).toContain("first question")
    expect(first).not.toContain("second question")
    expect(second).toContain("first answer")
    expect(second.indexOf("first question")).toBeLessThan(second.indexOf("first answer"))
    expect(second.indexOf("first answer")).toBeLessThan(second.indexOf("second question"))
  })

  test("GET /session/status is busy during a turn and {} after", async () => {
    const sessionID = await newSession("status")
    llm.script({ text: ["a", "b", "c", "d"], delayMs: 40 })
    await client.session.promptAsync({ sessionID, ...text("slow") })
    const busy = await until(async () => {
      const status = (await client.session.status()).data!
      return Object.keys(status).length > 0 && status
    }, "busy status")
    expect(busy).toEqual({ [sessionID]: { type: "busy" } })
    await events.waitFor(of(sessionID, "session.idle"))
    expect((await client.session.status()).data).toEqual({})
  })

  test("noReply stores and returns the user message without calling the model", async () => {
    const sessionID = await newSession("no reply")
    const requests = llm.requests.length
    const result = (await client.session.prompt({ sessionID, noReply: true, ...text("just a note") })).data!
    expect(result.info).toMatchObject({ role: "user", sessionID, agent: "build", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } })
    expect(result.parts).toEqual([{ id: expect.stringMatching(/^prt_/), type: "text", text: "just a note", sessionID, messageID: result.info.id }])
    expect((await client.session.messages({ sessionID })).data).toEqual([result])
    expect(llm.requests.length).toBe(requests)
    expect(eventsOf(sessionID, "session.status")).toEqual([])
    const session = (await client.session.get({ sessionID })).data!
    expect(session).toMatchObject({ agent: "build", model: { id: "claude-sonnet-4-5", providerID: "anthropic", variant: "default" } })
  })
})

describe("without an API key", () => {
  let keyless: SpoolApp

  beforeAll(async () => {
    keyless = await startSpoolApp({ llm, env: { ANTHROPIC_API_KEY: undefined } })
  })

  afterAll(async () => {
    await keyless?.close()
  })

  test("the assistant message carries ProviderAuthError and no request is made", async () => {
    const keylessClient = keyless.client()
    const sessionID = (await keylessClient.session.create({})).data!.id
    const requests = llm.requests.length
    const answer = await keylessClient.session.prompt({ sessionID, ...text("hello") })
    expect(answer.response.status).toBe(200)
    expect(answer.data!.info).toMatchObject({
      role: "assistant",
      finish: "error",
      error: {
        name: "ProviderAuthError",
        data: { providerID: "anthropic", message: 'No API key for provider "anthropic": set ANTHROPIC_API_KEY or provider.anthropic.options.apiKey in spool.json' },
      },
    })
    expect(llm.requests.length).toBe(requests)
    expect((await keylessClient.session.status()).data).toEqual({})
  })
})
