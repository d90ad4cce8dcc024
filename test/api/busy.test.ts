import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, startSpoolWithEvents, until, type SpoolApp } from "../fixture/spool-app.ts"

/** What a busy session allows: aborts with a queue, sync callers, 409s, deletion mid-turn, client IDs. */
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
const of = (sessionID: string, type: string) => (event: Event) => event.properties?.sessionID === sessionID && event.type === type
const text = (value: string) => ({ parts: [{ type: "text" as const, text: value }] })
const aborted = { name: "MessageAbortedError", data: { message: "Aborted" } }

async function newSession(title: string) {
  return (await client.session.create({ title })).data!.id
}

describe("abort with waiting callers", () => {
  test("the sync caller of the aborted turn receives the assistant with MessageAbortedError", async () => {
    const sessionID = await newSession("sync abort")
    llm.script({ text: "partial", hang: true })
    const pending = client.session.prompt({ sessionID, ...text("go") })
    await events.waitFor(of(sessionID, "message.part.delta"))
    expect((await client.session.abort({ sessionID })).data).toBe(true)
    const answer = await pending
    expect(answer.response.status).toBe(200)
    expect(answer.data!.info).toMatchObject({ role: "assistant", error: aborted })
    expect(answer.data!.parts.find((part) => part.type === "text")).toMatchObject({ text: "partial" })
  })

  test("abort during a retry wait ends the turn at once", async () => {
    const sessionID = await newSession("abort retry wait")
    const requests = llm.requests.length
    llm.script({ error: { status: 529, headers: { "retry-after-ms": "20000" } } })
    const pending = client.session.prompt({ sessionID, ...text("go") })
    const retry = await events.waitFor((event) => of(sessionID, "session.status")(event) && event.properties.status.type === "retry")
    expect(retry.properties.status).toMatchObject({ attempt: 1, message: "Provider is overloaded" })
    expect((await client.session.status()).data![sessionID]).toMatchObject({ type: "retry", attempt: 1 })
    const abortedAt = Date.now()
    await client.session.abort({ sessionID })
    const answer = await pending
    expect(Date.now() - abortedAt).toBeLessThan(1_000)
    expect(answer.data!.info).toMatchObject({ role: "assistant", error: aborted })
    expect(llm.requests.length - requests).toBe(1)
    expect((await client.session.status()).data).toEqual({})
  })

  test("abort stops only the running turn: a queued prompt still gets its answer", async () => {
    const sessionID = await newSession("abort with queue")
    llm.script({ text: "never finished", hang: true }, { text: "second answer" })
    await client.session.promptAsync({ sessionID, ...text("first") })
    await events.waitFor(of(sessionID, "message.part.delta"))
    await client.session.promptAsync({ sessionID, ...text("second") })
    await until(async () => (await client.session.messages({ sessionID })).data!.length === 3, "the queued user message")
    await client.session.abort({ sessionID })
    await events.waitFor(of(sessionID, "session.idle"))

    const messages = (await client.session.messages({ sessionID })).data!
    expect(messages.map((message) => [message.info.role, message.info.role === "assistant" ? message.info.error?.name : undefined])).toEqual([
      ["user", undefined],
      ["assistant", "MessageAbortedError"],
      ["user", undefined],
      ["assistant", undefined],
    ])
    expect(messages[3].parts.find((part) => part.type === "text")).toMatchObject({ text: "second answer" })
    // The aborted partial answer goes to the model with the next turn (OpenCode keeps aborted output).
    expect(JSON.stringify(llm.requests.at(-1)!.body.messages)).toContain("never finished")
  })
})

describe("busy guards", () => {
  test("DELETE message while busy → 409 SessionBusyError; idle again → 200", async () => {
    const sessionID = await newSession("busy delete message")
    llm.script({ text: "slow", hang: true })
    await client.session.promptAsync({ sessionID, ...text("go") })
    await events.waitFor(of(sessionID, "message.part.delta"))
    const user = (await client.session.messages({ sessionID })).data![0]
    const busy = await client.session.deleteMessage({ sessionID, messageID: user.info.id })
    expect(busy.response.status).toBe(409)
    expect(busy.error).toEqual({ name: "SessionBusyError", data: { sessionID, message: `Session is busy: ${sessionID}` } })

    await client.session.abort({ sessionID })
    await events.waitFor(of(sessionID, "session.idle"))
    const done = await client.session.deleteMessage({ sessionID, messageID: user.info.id })
    expect(done.data).toBe(true)
    expect((await client.session.messages({ sessionID })).data!.map((message) => message.info.role)).toEqual(["assistant"])
  })

  test("DELETE a session mid-turn aborts the turn and leaves no rows behind", async () => {
    const sessionID = await newSession("delete mid-turn")
    llm.script({ text: "partial", hang: true })
    await client.session.promptAsync({ sessionID, ...text("go") })
    await events.waitFor(of(sessionID, "message.part.delta"))
    const result = await client.session.delete({ sessionID })
    expect(result.data).toBe(true)
    await events.waitFor(of(sessionID, "session.idle"))
    expect((await client.session.status()).data).toEqual({})
    expect((await client.session.get({ sessionID })).response.status).toBe(404)
    const db = spool.app.db
    expect(await db.selectFrom("message").select("id").where("session_id", "=", sessionID).execute()).toEqual([])
    expect(await db.selectFrom("part").select("id").where("session_id", "=", sessionID).execute()).toEqual([])
  })
})

describe("client-supplied IDs", () => {
  test("a new messageID and part id are used as given", async () => {
    const sessionID = await newSession("client ids")
    const messageID = "msg_client0000001aaaaaaaaaaaaaa"
    const partID = "prt_client0000001aaaaaaaaaaaaaa"
    const result = await client.session.prompt({ sessionID, messageID, noReply: true, parts: [{ id: partID, type: "text", text: "mine" }] })
    expect(result.data!.info.id).toBe(messageID)
    expect(result.data!.parts.map((part) => part.id)).toEqual([partID])
  })

  test("an existing message or part ID → 400, and nothing is overwritten", async () => {
    const first = await newSession("owner")
    const second = await newSession("intruder")
    const original = (await client.session.prompt({ sessionID: first, noReply: true, ...text("original") })).data!
    const before = (await client.session.messages({ sessionID: first })).data

    const sameMessage = await client.session.prompt({ sessionID: second, messageID: original.info.id, noReply: true, ...text("overwrite") })
    expect(sameMessage.response.status).toBe(400)
    expect(sameMessage.error).toEqual({ name: "BadRequest", data: { message: `Message ID already exists: ${original.info.id}`, kind: "Payload" } })

    const samePart = await client.session.prompt({ sessionID: second, noReply: true, parts: [{ id: original.parts[0].id, type: "text", text: "overwrite" }] })
    expect(samePart.response.status).toBe(400)
    expect(samePart.error).toEqual({ name: "BadRequest", data: { message: `Part ID already exists: ${original.parts[0].id}`, kind: "Payload" } })

    const async = await client.session.promptAsync({ sessionID: second, messageID: original.info.id, ...text("overwrite") })
    expect(async.response.status).toBe(400)
    expect(async.error).toMatchObject({ name: "BadRequest", data: { message: `Message ID already exists: ${original.info.id}` } })

    expect((await client.session.messages({ sessionID: first })).data).toEqual(before)
    expect((await client.session.messages({ sessionID: second })).data).toEqual([])
  })
})

describe("without a default model", () => {
  let modelless: SpoolApp

  beforeAll(async () => {
    modelless = await startSpoolApp({ llm, model: "" })
  })

  afterAll(async () => {
    await modelless?.close()
  })

  test("prompt and prompt_async without a model → 400, nothing stored", async () => {
    const modellessClient = modelless.client()
    const sessionID = (await modellessClient.session.create({})).data!.id
    const error = { name: "BadRequest", data: { message: "No model: pass model {providerID, modelID}, set SPOOL_MODEL, --model, or model in spool.json" } }
    const sync = await modellessClient.session.prompt({ sessionID, ...text("hello") })
    expect(sync.response.status).toBe(400)
    expect(sync.error).toEqual(error)
    const async = await modellessClient.session.promptAsync({ sessionID, ...text("hello") })
    expect(async.response.status).toBe(400)
    expect(async.error).toEqual(error)
    expect((await modellessClient.session.messages({ sessionID })).data).toEqual([])
  })
})
