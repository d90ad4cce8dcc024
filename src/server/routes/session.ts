import { Hono, type Context } from "hono"
import { z } from "zod"
import {
  PromptInput,
  SessionCreateInput,
  SessionForkInput,
  SessionInfo,
  SessionStatus,
  SessionUpdateInput,
  Todo,
  WithParts,
  FileDiff,
  MessageID,
  PartID,
  Tokens,
  type PromptRunner,
  type Reverter,
  type SessionService,
  type StatusMap,
} from "../../session/index.ts"
import { BadRequestError, NotFoundError } from "../../util/named-error.ts"
import { INIT_PROMPT } from "../../session/index.ts"
import { decodeCursor, DirectoryQuery, idParam, jsonBody, QueryBoolean, queryParams, requestDirectory, setNextPage } from "../request.ts"
import { streamSessionPages } from "./session-list-stream.ts"
import { doc } from "./doc.ts"

/** What the session routes need, wired at the composition root. */
export interface SessionRouteDeps {
  sessions: SessionService
  prompts: PromptRunner
  reverter: Reverter
  status: StatusMap
  /** Directory used when a request names none (the server's cwd). */
  cwd: string
}

/** `GET /session` query: OpenCode's filters plus Spool's `before` cursor and `archived`. */
const ListQuery = DirectoryQuery.extend({
  roots: QueryBoolean.describe("Only root sessions (no parentID)"),
  start: z.coerce.number().optional().describe("Only sessions updated at or after this time (epoch ms)"),
  search: z.string().optional().describe("Case-insensitive match in titles and message content"),
  limit: z.coerce.number().int().min(0).optional().describe("Page size, any non-negative integer (default 100; 0 answers []); large pages are streamed"),
  before: z.string().optional().describe("Cursor from the previous page's X-Next-Cursor: sessions older than its last one"),
  archived: QueryBoolean.describe("Include archived sessions (default false)"),
})

/** Sessions read per query when a page is larger than this: the rest of the page is streamed in batches of it. */
const LIST_BATCH = 500

/** `POST /session/:id/revert`: OpenCode's body plus Spool's `force` (overwrite files changed by others). */
const RevertInput = z
  .object({ messageID: MessageID, partID: PartID.optional(), force: z.boolean().optional() })
  .meta({ id: "SessionRevertInput" })
/** `POST /session/:id/unrevert`: `force` overwrites files edited since the revert. */
const UnrevertInput = z.object({ force: z.boolean().optional() }).meta({ id: "SessionUnrevertInput" })

const StepStatsSchema = z.object({
  messageID: z.string(),
  partID: z.string(),
  time: z.number(),
  providerID: z.string(),
  modelID: z.string(),
  reason: z.string(),
  tokens: Tokens,
  cost: z.number(),
  unpriced: z.boolean().describe("The step used tokens of a model with no known price: its cost 0 means unknown, not free"),
  cacheEfficiency: z.number(),
  cache: z.any().optional(),
  prefixBreak: z.boolean().describe("The step lost the cached prefix the previous step left: Spool saw a block change, or its cache read fell below the previous step's cache read + write"),
  prefixBreakReason: z.string().optional().describe("Why, when `prefixBreak`"),
})
const SessionStatsSchema = z
  .object({
    sessionID: z.string(),
    steps: z.array(StepStatsSchema),
    total: z.object({ steps: z.number(), tokens: Tokens, cost: z.number(), cacheEfficiency: z.number(), unpricedSteps: z.number() }),
    unpriced: z.array(z.string()).describe("provider/model of the models with unpriced steps"),
  })
  .meta({ id: "SessionStats" })

/** `POST /session/:id/init` (OpenCode: `{messageID, providerID, modelID}`). */
const InitInput = z.object({ messageID: MessageID.optional(), providerID: z.string(), modelID: z.string() }).meta({ id: "SessionInitInput" })

/** `POST /session/:id/summarize` (OpenCode: `{providerID, modelID, auto?}`). */
const SummarizeInput = z.object({ providerID: z.string(), modelID: z.string(), auto: z.boolean().optional() }).meta({ id: "SessionSummarizeInput" })

const MessageListQuery = z.object({
  limit: z.coerce.number().int().min(0).max(10_000).optional().describe("Newest messages per page (0 or absent: every message)"),
  before: z.string().optional().describe("Cursor from the previous page's X-Next-Cursor (needs limit)"),
})

/** `GET /session/:id/diff` query. */
const DiffQuery = z.object({ messageID: MessageID.optional().describe("Only the changes of this message's turn") })

/**
 * OpenCode's session routes (spec 11.3), with Spool's fixes: a cursor on the session list, archived
 * sessions hidden unless `archived=true`, 404 for every missing session/parent, 400 for malformed IDs
 * and bodies.
 */
export function sessionRoutes(deps: SessionRouteDeps) {
  const { sessions, prompts, reverter, status } = deps
  const app = new Hono()

  app.get("/session", doc({ operationId: "session.list", summary: "List sessions of the project, newest first", query: ListQuery, response: z.array(SessionInfo), errors: [400] }), async (c) => {
    const query = queryParams(c, ListQuery)
    const limit = query.limit ?? 100
    const options = {
      directory: requestDirectory(c, deps.cwd),
      exactDirectory: query.directory !== undefined,
      roots: query.roots,
      start: query.start,
      search: query.search,
      archived: query.archived,
      before: query.before ? decodeCursor(query.before) : undefined,
    }
    if (limit === 0) return c.json([])
    const first = await sessions.list({ ...options, limit: Math.min(limit, LIST_BATCH) })
    if (limit <= LIST_BATCH || !first.next) {
      setNextPage(c, first.next, limit)
      return c.json(first.items)
    }
    // A page larger than one batch (OpenCode clients ask for everything): its headers first, then the
    // sessions batch by batch as the client reads them, never the whole list in memory.
    setNextPage(c, await sessions.listNextCursor({ ...options, limit }), limit)
    return c.body(streamSessionPages(first, limit, (before, count) => sessions.list({ ...options, before, limit: count })), 200, { "content-type": "application/json" })
  })

  app.post("/session", doc({ operationId: "session.create", summary: "Create a session", query: DirectoryQuery, body: SessionCreateInput, response: SessionInfo }), async (c) => {
    const body = await jsonBody(c, SessionCreateInput)
    return c.json(await sessions.create({ ...body, directory: requestDirectory(c, deps.cwd) }))
  })

  app.get("/session/status", doc({ operationId: "session.status", summary: "Status of every non-idle session", response: z.record(z.string(), SessionStatus), errors: [] }), (c) =>
    c.json(status.all()),
  )

  app.get("/session/:sessionID", doc({ operationId: "session.get", summary: "Get a session", response: SessionInfo }), async (c) =>
    c.json(await sessions.get(idParam(c, "sessionID", "session"))),
  )

  app.patch("/session/:sessionID", doc({ operationId: "session.update", summary: "Update title, metadata, permission or archive time", body: SessionUpdateInput, response: SessionInfo }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    return c.json(await sessions.update(id, await jsonBody(c, SessionUpdateInput)))
  })

  app.delete("/session/:sessionID", doc({ operationId: "session.delete", summary: "Delete a session and its descendants", response: z.boolean() }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    await sessions.get(id)
    const abortTree = async (sessionID: string) => {
      prompts.abort(sessionID)
      for (const child of await sessions.children(sessionID)) await abortTree(child.id)
    }
    await abortTree(id)
    await sessions.remove(id)
    return c.json(true)
  })

  app.get("/session/:sessionID/children", doc({ operationId: "session.children", summary: "Child sessions", response: z.array(SessionInfo) }), async (c) =>
    c.json(await sessions.children(idParam(c, "sessionID", "session"))),
  )

  app.get("/session/:sessionID/stats", doc({ operationId: "session.stats", summary: "Per-step and per-session tokens, cost (USD; steps of models with no known price flagged `unpriced` and listed) and cache efficiency (Spool extension)", response: SessionStatsSchema }), async (c) =>
    c.json(await sessions.stats(idParam(c, "sessionID", "session"))),
  )

  app.get("/session/:sessionID/todo", doc({ operationId: "session.todo", summary: "The session's todo list", response: z.array(Todo) }), async (c) =>
    c.json(await sessions.todos(idParam(c, "sessionID", "session"))),
  )

  app.get("/session/:sessionID/diff", doc({ operationId: "session.diff", summary: "File changes of the session, or of one message's turn", query: DiffQuery, response: z.array(FileDiff) }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    const { messageID } = queryParams(c, DiffQuery)
    return c.json(await reverter.diff(id, messageID))
  })

  app.post("/session/:sessionID/revert", doc({ operationId: "session.revert", summary: "Restore the files changed at and after a message; hide those messages until the next prompt", body: RevertInput, response: SessionInfo, errors: [400, 404, 409] }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    return c.json(await reverter.revert(id, await jsonBody(c, RevertInput)))
  })

  app.post("/session/:sessionID/unrevert", doc({ operationId: "session.unrevert", summary: "Put back exactly the files the revert restored", body: UnrevertInput, response: SessionInfo, errors: [400, 404, 409] }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    return c.json(await reverter.unrevert(id, await jsonBody(c, UnrevertInput)))
  })

  app.get("/session/:sessionID/message", doc({ operationId: "session.messages", summary: "Messages with parts, oldest first; pages newest-first with limit/before", query: MessageListQuery, response: z.array(WithParts) }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    const query = queryParams(c, MessageListQuery)
    if (query.before && !query.limit) {
      throw new BadRequestError({ message: "`before` needs `limit`", kind: "Query" })
    }
    const before = query.before ? decodeCursor(query.before) : undefined
    const page = await sessions.messages(id, { limit: query.limit || undefined, before })
    if (query.limit) setNextPage(c, page.next, query.limit)
    return c.json(page.items)
  })

  // `?directory=` (not the header every client sends) names where a session whose directory is gone continues.
  const continueIn = (c: Context) => (c.req.query("directory") !== undefined ? { directory: requestDirectory(c, deps.cwd) } : {})

  app.post("/session/:sessionID/message", doc({ operationId: "session.prompt", summary: "Send a prompt and wait for the answer", query: DirectoryQuery, body: PromptInput, response: WithParts }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    return c.json(await prompts.prompt(id, await jsonBody(c, PromptInput), continueIn(c)))
  })

  app.post("/session/:sessionID/prompt_async", doc({ operationId: "session.prompt_async", summary: "Send a prompt without waiting", query: DirectoryQuery, body: PromptInput, status: 204 }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    await prompts.promptAsync(id, await jsonBody(c, PromptInput), continueIn(c))
    return c.body(null, 204)
  })

  app.get("/session/:sessionID/message/:messageID", doc({ operationId: "session.message", summary: "One message with its parts", response: WithParts }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    return c.json(await sessions.message(id, idParam(c, "messageID", "message")))
  })

  app.delete("/session/:sessionID/message/:messageID", doc({ operationId: "session.deleteMessage", summary: "Delete a message (409 while the session is busy)", response: z.boolean(), errors: [400, 404, 409] }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    await sessions.deleteMessage(id, idParam(c, "messageID", "message"))
    return c.json(true)
  })

  app.post("/session/:sessionID/fork", doc({ operationId: "session.fork", summary: "Fork at a message into a new root session", body: SessionForkInput, response: SessionInfo }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    const body = await jsonBody(c, SessionForkInput)
    return c.json(await sessions.fork(id, body.messageID))
  })

  app.post("/session/:sessionID/init", doc({ operationId: "session.init", summary: "Create or improve the project's AGENTS.md through an agent turn", body: InitInput, response: z.boolean() }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    const body = await jsonBody(c, InitInput)
    const result = await prompts.prompt(id, { messageID: body.messageID, model: { providerID: body.providerID, modelID: body.modelID }, parts: [{ type: "text", text: INIT_PROMPT }] })
    if (result.info.role === "assistant" && result.info.error) {
      throw new BadRequestError({ message: `Init failed: ${result.info.error.name}: ${String((result.info.error.data as { message?: unknown }).message ?? "")}`, kind: "Payload" })
    }
    return c.json(true)
  })

  app.post("/session/:sessionID/summarize", doc({ operationId: "session.summarize", summary: "Compact the session: summarise the conversation so far", body: SummarizeInput, response: z.boolean() }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    const body = await jsonBody(c, SummarizeInput)
    const result = await prompts.summarize(id, { providerID: body.providerID, modelID: body.modelID })
    if (result.info.role === "assistant" && result.info.error) {
      throw new BadRequestError({ message: `Summarize failed: ${result.info.error.name}: ${String((result.info.error.data as { message?: unknown }).message ?? "")}`, kind: "Payload" })
    }
    return c.json(true)
  })

  app.post("/session/:sessionID/abort", doc({ operationId: "session.abort", summary: "Abort the running turn", response: z.boolean() }), async (c) => {
    const id = idParam(c, "sessionID", "session")
    await sessions.get(id)
    prompts.abort(id)
    return c.json(true)
  })

  app.all("/session/:sessionID/*", (c) => {
    throw new NotFoundError({ message: `No route ${c.req.method} ${c.req.path}` })
  })

  return app
}
