import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Every session route answers a missing session with 404 NotFoundError, a malformed ID with 400
 * BadRequest, and broken bodies with 400 BadRequest: always JSON, never a 500.
 */
let llm: FakeLLM
let spool: SpoolApp
let client: OpencodeClient
let sessionID: string
let messageID: string

beforeAll(async () => {
  llm = await startFakeLLM()
  spool = await startSpoolApp({ llm })
  client = spool.client()
  sessionID = (await client.session.create({ title: "errors" })).data!.id
  const user = await client.session.prompt({ sessionID, noReply: true, parts: [{ type: "text", text: "hi" }] })
  messageID = user.data!.info.id
})

afterAll(async () => {
  await spool?.close()
  await llm?.close()
})

const MISSING = "ses_doesnotexist"
const MISSING_MESSAGE = "msg_doesnotexist"
const prompt = { parts: [{ type: "text" as const, text: "hello" }] }

/** Every route of `src/server/routes/session.ts` that takes a session ID, called through the SDK. */
const sessionRoutes: Array<{ route: string; call(client: OpencodeClient, id: string): Promise<{ data?: unknown; error?: unknown; response: Response }> }> = [
  { route: "GET /session/:id", call: (c, id) => c.session.get({ sessionID: id }) },
  { route: "PATCH /session/:id", call: (c, id) => c.session.update({ sessionID: id, title: "x" }) },
  { route: "DELETE /session/:id", call: (c, id) => c.session.delete({ sessionID: id }) },
  { route: "GET /session/:id/children", call: (c, id) => c.session.children({ sessionID: id }) },
  { route: "GET /session/:id/todo", call: (c, id) => c.session.todo({ sessionID: id }) },
  { route: "GET /session/:id/diff", call: (c, id) => c.session.diff({ sessionID: id }) },
  { route: "GET /session/:id/message", call: (c, id) => c.session.messages({ sessionID: id }) },
  { route: "POST /session/:id/message", call: (c, id) => c.session.prompt({ sessionID: id, ...prompt }) },
  { route: "POST /session/:id/prompt_async", call: (c, id) => c.session.promptAsync({ sessionID: id, ...prompt }) },
  { route: "GET /session/:id/message/:messageID", call: (c, id) => c.session.message({ sessionID: id, messageID: MISSING_MESSAGE }) },
  { route: "DELETE /session/:id/message/:messageID", call: (c, id) => c.session.deleteMessage({ sessionID: id, messageID: MISSING_MESSAGE }) },
  { route: "POST /session/:id/fork", call: (c, id) => c.session.fork({ sessionID: id }) },
  { route: "POST /session/:id/abort", call: (c, id) => c.session.abort({ sessionID: id }) },
]

describe("a missing session", () => {
  test.each(sessionRoutes)("$route → 404 NotFoundError", async ({ call }) => {
    const result = await call(client, MISSING)
    expect(result.response.status).toBe(404)
    expect(result.response.headers.get("content-type")).toMatch(/^application\/json/)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Session not found: ${MISSING}` } })
    expect(result.data).toBeUndefined()
  })

  test("no LLM request was made by prompts to missing sessions", () => {
    expect(llm.requests).toHaveLength(0)
  })
})

describe("a malformed session ID", () => {
  test.each(sessionRoutes)("$route → 400 BadRequest", async ({ call }) => {
    const result = await call(client, "foo123")
    expect(result.response.status).toBe(400)
    expect(result.error).toEqual({
      name: "BadRequest",
      data: { message: 'Invalid session ID "foo123": expected the "ses_" prefix', kind: "Params" },
    })
  })

  test.each([
    ["GET", "message"],
    ["DELETE", "message"],
  ])("%s /session/:id/message/:messageID with a malformed message ID → 400", async (method) => {
    const response = await spool.fetch(`/session/${sessionID}/message/nope123`, { method })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      name: "BadRequest",
      data: { message: 'Invalid message ID "nope123": expected the "msg_" prefix', kind: "Params" },
    })
  })
})

describe("missing messages and parents", () => {
  test("GET a missing message of an existing session → 404", async () => {
    const result = await client.session.message({ sessionID, messageID: MISSING_MESSAGE })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Message not found: ${MISSING_MESSAGE}` } })
  })

  test("DELETE a missing message of an existing session → 404", async () => {
    const result = await client.session.deleteMessage({ sessionID, messageID: MISSING_MESSAGE })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Message not found: ${MISSING_MESSAGE}` } })
  })

  test("GET a message through another session → 404", async () => {
    const other = (await client.session.create({})).data!
    const result = await client.session.message({ sessionID: other.id, messageID })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Message not found: ${messageID}` } })
  })

  test("diff of a missing message → 404", async () => {
    const result = await client.session.diff({ sessionID, messageID: MISSING_MESSAGE })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Message not found: ${MISSING_MESSAGE}` } })
  })

  test("fork at a missing message → 404", async () => {
    const result = await client.session.fork({ sessionID, messageID: MISSING_MESSAGE })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: `Message not found: ${MISSING_MESSAGE}` } })
  })

  test("a child under a missing parent → 404, and nothing is created", async () => {
    const before = (await client.session.list()).data!.length
    const result = await client.session.create({ parentID: "ses_missing" })
    expect(result.response.status).toBe(404)
    expect(result.error).toEqual({ name: "NotFoundError", data: { message: "Session not found: ses_missing" } })
    expect((await client.session.list()).data!.length).toBe(before)
  })

  test("a child under a malformed parent ID → 400", async () => {
    const response = await spool.fetch("/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ parentID: "foo" }) })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ name: "BadRequest", data: { kind: "Payload" } })
  })
})

/** Routes with a JSON body; `path` gets the existing session's ID. */
const bodyRoutes: Array<{ method: string; path: (id: string) => string; invalid: unknown; field: string }> = [
  { method: "POST", path: () => "/session", invalid: { title: 123 }, field: "title" },
  { method: "PATCH", path: (id) => `/session/${id}`, invalid: { title: 123 }, field: "title" },
  { method: "PATCH", path: (id) => `/session/${id}`, invalid: { time: { archived: "yesterday" } }, field: "time.archived" },
  { method: "POST", path: (id) => `/session/${id}/message`, invalid: { parts: "nope" }, field: "parts" },
  { method: "POST", path: (id) => `/session/${id}/message`, invalid: { parts: [{ type: "video", url: "x" }] }, field: "parts[0].type" },
  { method: "POST", path: (id) => `/session/${id}/prompt_async`, invalid: { parts: [{ type: "text" }] }, field: "parts[0].text" },
  { method: "POST", path: (id) => `/session/${id}/fork`, invalid: { messageID: "foo" }, field: "messageID" },
]

describe("bad bodies", () => {
  test.each(bodyRoutes)("$method $invalid: malformed JSON → 400 BadRequest", async ({ method, path }) => {
    const response = await spool.fetch(path(sessionID), { method, body: '{"title": ', headers: { "content-type": "application/json" } })
    expect(response.status).toBe(400)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    const body = (await response.json()) as { name: string; data: { message: string; kind: string } }
    expect(body.name).toBe("BadRequest")
    expect(body.data.kind).toBe("Payload")
    expect(body.data.message).toMatch(/^Malformed JSON body: /)
  })

  test.each(bodyRoutes)("$method $invalid: schema-invalid → 400 BadRequest naming $field", async ({ method, path, invalid, field }) => {
    const response = await spool.fetch(path(sessionID), { method, body: JSON.stringify(invalid), headers: { "content-type": "application/json" } })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { name: string; data: { message: string; kind: string } }
    expect(body.name).toBe("BadRequest")
    expect(body.data.kind).toBe("Payload")
    expect(body.data.message).toContain(`at ${field}`)
  })

  test("a bad body changes nothing", async () => {
    const before = (await client.session.get({ sessionID })).data!
    await spool.fetch(`/session/${sessionID}`, { method: "PATCH", body: JSON.stringify({ title: 123 }), headers: { "content-type": "application/json" } })
    await spool.fetch(`/session/${sessionID}/message`, { method: "POST", body: JSON.stringify({ parts: "nope" }), headers: { "content-type": "application/json" } })
    expect((await client.session.get({ sessionID })).data).toEqual(before)
    expect((await client.session.messages({ sessionID })).data!.map((message) => message.info.id)).toEqual([messageID])
    expect(llm.requests).toHaveLength(0)
  })

  test.each([
    ["/session?limit=abc", "limit"],
    ["/session?limit=-1", "limit"],
    ["/session?roots=maybe", "roots"],
    [`/session/SESSION/message?limit=-1`, "limit"],
  ])("bad query %s → 400 BadRequest (Query)", async (path, field) => {
    const response = await spool.fetch(path.replace("SESSION", sessionID))
    expect(response.status).toBe(400)
    const body = (await response.json()) as { name: string; data: { message: string; kind: string } }
    expect(body).toMatchObject({ name: "BadRequest", data: { kind: "Query" } })
    expect(body.data.message).toContain(`at ${field}`)
  })
})

describe("unknown routes", () => {
  test.each([
    ["GET", "/nope"],
    ["POST", "/session/status/extra"],
    ["GET", `/session/${MISSING}/nope`],
    ["PUT", "/session"],
  ])("%s %s → 404 JSON", async (method, path) => {
    const response = await spool.fetch(path, { method })
    expect(response.status).toBe(404)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ name: "NotFoundError", data: { message: `No route ${method} ${path}` } })
  })

  test("an existing session's unknown sub-route → 404 JSON", async () => {
    const response = await spool.fetch(`/session/${sessionID}/share`, { method: "POST" })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ name: "NotFoundError", data: { message: `No route POST /session/${sessionID}/share` } })
  })
})
