import type { OpencodeClient, Session } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { VERSION } from "../../src/app.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { collectEvents } from "../fixture/spool-server.ts"

/** Session lifecycle through the SDK (spec 4.1-4.4, 4.9): create, update, children, delete, fork, todos. */
let llm: FakeLLM
let spool: SpoolApp
let client: OpencodeClient

beforeAll(async () => {
  llm = await startFakeLLM()
  spool = await startSpoolApp({ llm })
  client = spool.client()
})

afterAll(async () => {
  await spool?.close()
  await llm?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Paths of every `null` in a JSON value (OpenCode omits absent optionals). */
function nullPaths(value: unknown, path = "$"): string[] {
  if (value === null) return [path]
  if (typeof value !== "object") return []
  return Object.entries(value).flatMap(([key, child]) => nullPaths(child, `${path}.${key}`))
}

describe("create", () => {
  test("an empty body gives OpenCode's defaults, with no nulls anywhere", async () => {
    const response = await spool.fetch("/session", { method: "POST", headers: { "x-opencode-directory": encodeURIComponent(spool.repo) } })
    expect(response.status).toBe(200)
    const raw = (await response.json()) as Session
    expect(nullPaths(raw)).toEqual([])
    expect(raw).toEqual({
      id: expect.stringMatching(/^ses_[0-9a-f]{12}[0-9A-Za-z]{14}$/),
      slug: expect.stringMatching(/^[a-z]+-[a-z]+$/),
      projectID: expect.stringMatching(/^[0-9a-f]{40}$/),
      directory: spool.repo,
      path: "",
      cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      title: `New session - ${new Date(raw.time.created).toISOString()}`,
      version: VERSION,
      time: { created: raw.time.created, updated: raw.time.created },
    })
    expect(Math.abs(raw.time.created - Date.now())).toBeLessThan(5_000)
    expect((await client.session.get({ sessionID: raw.id })).data).toEqual(raw)
  })

  test("a child gets `Child session - <ISO>` and its parentID; body fields are kept", async () => {
    const parent = (await client.session.create({ title: "parent", metadata: { team: "a" } })).data!
    expect(parent.title).toBe("parent")
    expect(parent.metadata).toEqual({ team: "a" })
    const child = (await client.session.create({ parentID: parent.id })).data!
    expect(child.parentID).toBe(parent.id)
    expect(child.title).toMatch(/^Child session - /)
    expect(child.title.slice("Child session - ".length)).toMatch(ISO)
    expect(child.title).toBe(`Child session - ${new Date(child.time.created).toISOString()}`)
    expect(nullPaths(child)).toEqual([])
    expect((await client.session.children({ sessionID: parent.id })).data!.map((session) => session.id)).toEqual([child.id])
  })
})

describe("PATCH /session/:id", () => {
  test("title does not bump time.updated; metadata replaces and bumps; permission appends; archive sets time.archived", async () => {
    const created = (await client.session.create({ title: "before", permission: [{ permission: "bash", pattern: "*", action: "ask" }] })).data!
    await sleep(3)
    const titled = (await client.session.update({ sessionID: created.id, title: "after" })).data!
    expect(titled.title).toBe("after")
    expect(titled.time).toEqual(created.time)

    const first = (await client.session.update({ sessionID: created.id, metadata: { a: 1, nested: { b: 2 } } })).data!
    expect(first.metadata).toEqual({ a: 1, nested: { b: 2 } })
    expect(first.time.updated).toBeGreaterThan(created.time.updated)
    await sleep(3)
    const replaced = (await client.session.update({ sessionID: created.id, metadata: { c: 3 } })).data!
    expect(replaced.metadata).toEqual({ c: 3 })
    expect(replaced.time.updated).toBeGreaterThan(first.time.updated)

    await sleep(3)
    const permitted = (await client.session.update({ sessionID: created.id, permission: [{ permission: "edit", pattern: "src/*", action: "deny" }] })).data!
    expect(permitted.permission).toEqual([
      { permission: "bash", pattern: "*", action: "ask" },
      { permission: "edit", pattern: "src/*", action: "deny" },
    ])
    expect(permitted.time.updated).toBeGreaterThan(replaced.time.updated)

    const archived = (await client.session.update({ sessionID: created.id, time: { archived: 1234 } })).data!
    expect(archived.time).toEqual({ created: created.time.created, updated: permitted.time.updated, archived: 1234 })

    const stored = (await client.session.get({ sessionID: created.id })).data!
    expect(stored).toEqual({ ...archived, title: "after", metadata: { c: 3 } })
    expect(nullPaths(stored)).toEqual([])
  })
})

describe("DELETE /session/:id", () => {
  test("cascades to children and grandchildren with their messages; siblings survive", async () => {
    const root = (await client.session.create({ title: "root" })).data!
    const child = (await client.session.create({ parentID: root.id })).data!
    const grandchild = (await client.session.create({ parentID: child.id })).data!
    const sibling = (await client.session.create({ title: "sibling" })).data!
    const family = [root, child, grandchild]
    for (const session of [...family, sibling]) {
      await client.session.prompt({ sessionID: session.id, noReply: true, parts: [{ type: "text", text: `hi ${session.id}` }] })
    }
    const events = await collectEvents(client, spool.repo)
    await events.waitFor((event) => event.type === "server.connected")

    const result = await client.session.delete({ sessionID: root.id })
    expect(result.response.status).toBe(200)
    expect(result.data).toBe(true)

    for (const session of family) {
      const gone = await client.session.get({ sessionID: session.id })
      expect(gone.response.status).toBe(404)
      expect((await client.session.messages({ sessionID: session.id })).response.status).toBe(404)
    }
    const ids = family.map((session) => session.id)
    const db = spool.app.db
    expect(await db.selectFrom("session").select("id").where("id", "in", ids).execute()).toEqual([])
    expect(await db.selectFrom("message").select("id").where("session_id", "in", ids).execute()).toEqual([])
    expect(await db.selectFrom("part").select("id").where("session_id", "in", ids).execute()).toEqual([])

    await events.waitFor((event) => event.type === "session.deleted" && event.properties.sessionID === root.id)
    const deleted = events.events.filter((event) => event.type === "session.deleted").map((event) => event.properties.sessionID)
    expect(deleted).toEqual([grandchild.id, child.id, root.id])
    await events.stop()

    expect((await client.session.get({ sessionID: sibling.id })).data!.id).toBe(sibling.id)
    expect((await client.session.messages({ sessionID: sibling.id })).data).toHaveLength(1)
    expect((await client.session.delete({ sessionID: root.id })).response.status).toBe(404)
  })
})

describe("fork", () => {
  let original: Session
  let messages: Awaited<ReturnType<OpencodeClient["session"]["messages"]>>["data"] & {}

  beforeAll(async () => {
    original = (await client.session.create({ title: "Refactor", metadata: { ticket: 7 } })).data!
    llm.script({ text: "first answer" }, { text: "second answer" })
    for (const text of ["first question", "second question"]) {
      const answer = await client.session.prompt({ sessionID: original.id, parts: [{ type: "text", text }] })
      expect(answer.data!.info).toMatchObject({ role: "assistant", finish: "stop" })
    }
    messages = (await client.session.messages({ sessionID: original.id })).data!
    expect(messages.map((message) => message.info.role)).toEqual(["user", "assistant", "user", "assistant"])
    expect(nullPaths(messages)).toEqual([])
  })

  test("copies the messages strictly before messageID under new ids, rewriting parentIDs; a new root", async () => {
    const fork = (await client.session.fork({ sessionID: original.id, messageID: messages[2].info.id })).data!
    expect(fork.id).not.toBe(original.id)
    expect(fork.title).toBe("Refactor (fork #1)")
    expect(fork.parentID).toBeUndefined()
    expect(fork.metadata).toEqual({ ticket: 7 })
    expect(fork.directory).toBe(original.directory)
    expect(nullPaths(fork)).toEqual([])

    const copied = (await client.session.messages({ sessionID: fork.id })).data!
    expect(copied).toHaveLength(2)
    const oldIDs = new Set(messages.flatMap((message) => [message.info.id, ...message.parts.map((part) => part.id)]))
    for (const [index, copy] of copied.entries()) {
      const source = messages[index]
      expect(oldIDs.has(copy.info.id)).toBe(false)
      expect(copy.info.sessionID).toBe(fork.id)
      expect(copy.info.time).toEqual(source.info.time)
      expect(copy.parts.map((part) => part.type)).toEqual(source.parts.map((part) => part.type))
      for (const part of copy.parts) {
        expect(oldIDs.has(part.id)).toBe(false)
        expect(part).toMatchObject({ sessionID: fork.id, messageID: copy.info.id })
      }
    }
    const [user, assistant] = copied
    expect(assistant.info.role === "assistant" && assistant.info.parentID).toBe(user.info.id)
    expect(assistant.parts.find((part) => part.type === "text")).toMatchObject({ text: "first answer" })
    expect(user.parts[0]).toMatchObject({ type: "text", text: "first question" })

    // The fork's usage is the sum of its copied steps; the original is untouched.
    const stepTokens = assistant.parts.find((part) => part.type === "step-finish")
    expect(stepTokens && stepTokens.type === "step-finish" ? stepTokens.tokens.input : -1).toBe(fork.tokens!.input)
    expect((await client.session.messages({ sessionID: original.id })).data).toEqual(messages)
    expect((await client.session.children({ sessionID: original.id })).data).toEqual([])
  })

  test("fork numbers count every fork: again → #2, a fork of a fork → #3; no messageID copies everything", async () => {
    const second = (await client.session.fork({ sessionID: original.id })).data!
    expect(second.title).toBe("Refactor (fork #2)")
    expect((await client.session.messages({ sessionID: second.id })).data).toHaveLength(4)

    const forks = (await client.session.list({ search: "Refactor (fork" })).data!
    const first = forks.find((session) => session.title === "Refactor (fork #1)")!
    const third = (await client.session.fork({ sessionID: first.id })).data!
    expect(third.title).toBe("Refactor (fork #3)")
    expect(third.parentID).toBeUndefined()
    expect((await client.session.messages({ sessionID: third.id })).data).toHaveLength(2)
  })

  test("an unknown messageID → 404 and no fork is created", async () => {
    const before = (await client.session.list({ search: "Refactor" })).data!.length
    const result = await client.session.fork({ sessionID: original.id, messageID: "msg_0000000000000unknown" })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: "Message not found: msg_0000000000000unknown" } })
    expect((await client.session.list({ search: "Refactor" })).data!.length).toBe(before)
  })
})

describe("todos", () => {
  test("a todowrite tool call stores the list (GET /todo) and publishes todo.updated", async () => {
    const session = (await client.session.create({ title: "todos" })).data!
    expect((await client.session.todo({ sessionID: session.id })).data).toEqual([])
    const todos = [
      { content: "Write the tests", status: "in_progress", priority: "high" },
      { content: "Fix the bugs", status: "pending", priority: "medium" },
      { content: "Read the spec", status: "completed", priority: "low" },
    ]
    llm.script({ toolCalls: [{ name: "todowrite", input: { todos } }] }, { text: "planned" })
    const events = await collectEvents(client, spool.repo)
    await events.waitFor((event) => event.type === "server.connected")

    const answer = await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "plan it" }] })
    expect(answer.data!.parts.find((part) => part.type === "text")).toMatchObject({ text: "planned" })

    expect((await client.session.todo({ sessionID: session.id })).data).toEqual(todos)
    const updated = await events.waitFor((event) => event.type === "todo.updated")
    expect(updated.properties).toEqual({ sessionID: session.id, todos })
    await events.stop()

    const tool = (await client.session.messages({ sessionID: session.id })).data!.flatMap((message) => message.parts).find((part) => part.type === "tool")
    expect(tool).toMatchObject({ tool: "todowrite", state: { status: "completed", title: "2 todos", metadata: { todos } } })

    const other = (await client.session.create({})).data!
    expect((await client.session.todo({ sessionID: other.id })).data).toEqual([])
  })
})
