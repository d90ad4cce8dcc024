import { z } from "zod"
import {
  AgentPart,
  AssistantMessage,
  CompactionPart,
  FilePart,
  PatchPart,
  ReasoningPart,
  RetryPart,
  SessionInfo,
  SnapshotPart,
  StepFinishPart,
  StepStartPart,
  SubtaskPart,
  TextPart,
  Tokens,
  ToolPart,
  UserMessage,
  type Message,
  type Part,
} from "../../session/schema.ts"
import type { ImportedSession, ImportProblem } from "../types.ts"
import { isOpenCodeId, mapOpenCodeId } from "./ids.ts"

/**
 * Conversion of one OpenCode session, as read from any of its three stores (export file, legacy JSON
 * tree, SQLite), to an `ImportedSession`. OpenCode's model is Spool's, so records are kept as they are
 * (unknown fields included) and only two things change:
 *
 * 1. IDs. Sessions, messages and parts get Spool IDs (`mapOpenCodeId`) and every reference follows:
 *    message `parentID`, part `sessionID`/`messageID`, session `parentID`, compaction `tail_start_id`,
 *    `revert.messageID/partID`, and the child-session ID a `task` tool part carries. A file written by
 *    `spool export` (marked `info.metadata.spool.exportVersion`) keeps its IDs: re-importing it restores
 *    the session exactly.
 * 2. Repairs. A record that fails Spool's schema is repaired when a safe default exists (older OpenCode
 *    versions lack fields added later, e.g. `agent`/`model` on user messages): missing required fields
 *    get defaults and invalid optional fields are dropped. A record that still fails, or cannot be
 *    repaired (unknown part type, text part without text, no ID), is a `problem` and is skipped; the rest
 *    of the session is imported. A valid record is never changed beyond its IDs.
 */

type Json = Record<string, unknown>

/** One part as read from the source, with the file it came from (for problems). */
export interface RawPart {
  value: unknown
  path: string
}

export interface RawMessage {
  value: unknown
  path: string
  parts: RawPart[]
}

export interface RawSession {
  info: unknown
  messages: RawMessage[]
  /** The todo list, when the source has one. */
  todos?: unknown
  /** Where the session came from (`metadata.import.path`, problems). */
  path: string
}

/** Resolves another session's original ID to its Spool ID, or undefined when it cannot be known. */
export type SessionResolver = (originalID: string) => string | undefined

export interface Converted {
  session?: ImportedSession
  problems: ImportProblem[]
}

/** Resolver for a single input: well-formed OpenCode IDs map without knowing the record. */
export function pureSessionResolver(known: Map<string, number> = new Map()): SessionResolver {
  return (originalID) => {
    if (isOpenCodeId("session", originalID)) return mapOpenCodeId("session", originalID)
    const created = known.get(originalID)
    return created === undefined ? undefined : mapOpenCodeId("session", originalID, undefined, created)
  }
}

/** True when `info` is the session of a file written by `spool export`. */
export function isSpoolExport(info: unknown): boolean {
  if (!isObject(info) || !isObject(info.metadata)) return false
  const marker = info.metadata.spool
  return isObject(marker) && typeof marker.exportVersion === "number"
}

const PART_SCHEMAS: Record<string, z.ZodObject> = {
  text: TextPart,
  reasoning: ReasoningPart,
  file: FilePart,
  agent: AgentPart,
  subtask: SubtaskPart,
  tool: ToolPart,
  "step-start": StepStartPart,
  "step-finish": StepFinishPart,
  snapshot: SnapshotPart,
  patch: PatchPart,
  compaction: CompactionPart,
  retry: RetryPart,
}

const TOOL_STATUSES = new Set(["pending", "running", "completed", "error"])
/** Tool metadata keys that hold a session ID (the `task` tool's child session). */
const SESSION_KEYS = ["sessionId", "sessionID", "parentSessionId", "parentSessionID"]

export function convertSession(raw: RawSession, resolveSession: SessionResolver): Converted {
  const problems: ImportProblem[] = []
  const problem = (path: string, message: string) => problems.push({ path, message })
  const source = raw.info
  if (!isObject(source) || typeof source.id !== "string" || source.id === "") {
    problem(raw.path, "session has no id; skipped")
    return { problems }
  }
  const originalID = source.id
  const keep = isSpoolExport(source)
  const label = `session ${originalID}`
  const sourceTime = isObject(source.time) ? source.time : {}
  const firstCreated = raw.messages.map((message) => createdOf(message.value)).find((time) => time !== undefined)
  const sessionCreated = num(sourceTime.created) ? sourceTime.created : (firstCreated ?? 0)
  // The resolver decides when it can, so that children computed with it point at this very ID.
  const sessionID = keep ? originalID : (resolveSession(originalID) ?? mapOpenCodeId("session", originalID, undefined, sessionCreated))
  const resolve = (id: string) => (id === originalID ? sessionID : resolveSession(id))

  const firstAssistant = raw.messages.map((message) => message.value).find((value) => isObject(value) && value.role === "assistant") as Json | undefined
  const sourceModel = isObject(source.model) ? source.model : {}
  const assistantModel = isObject(firstAssistant?.model) ? firstAssistant.model : {}
  const defaults = {
    model: {
      providerID: str(firstAssistant?.providerID) ?? str(assistantModel.providerID) ?? str(sourceModel.providerID) ?? "",
      modelID: str(firstAssistant?.modelID) ?? str(assistantModel.modelID) ?? str(sourceModel.id) ?? "",
    },
    agent: str(source.agent) ?? str(firstAssistant?.agent) ?? str(firstAssistant?.mode) ?? "build",
    directory: str(source.directory) ?? str(isObject(firstAssistant?.path) ? firstAssistant.path.cwd : firstAssistant?.path) ?? "",
  }
  let repaired = 0
  const finish = <T>(schema: z.ZodObject, value: Json, repair: (value: Json) => void): { value: T } | { error: string } => {
    if (schema.safeParse(value).success) return { value: value as T }
    repaired++
    repair(value)
    return settle<T>(schema, value)
  }

  // Pass 1: message IDs, so references between messages resolve whatever their order.
  interface Pending {
    raw: Json
    path: string
    parts: RawPart[]
    originalID: string
    id: string
    created: number
  }
  const messageIDs = new Map<string, string>()
  const pending: Pending[] = []
  let lastCreated = sessionCreated
  let lastIdTime = -Infinity
  for (const message of raw.messages) {
    const value = message.value
    const skipped = message.parts.length ? ` (with its ${message.parts.length} parts)` : ""
    if (!isObject(value)) {
      problem(message.path, `${label}: message is not an object; skipped${skipped}`)
      continue
    }
    if (typeof value.id !== "string" || value.id === "") {
      problem(message.path, `${label}: message has no id; skipped${skipped}`)
      continue
    }
    if (value.role !== "user" && value.role !== "assistant") {
      problem(message.path, `${label}: message ${value.id} has unknown role ${JSON.stringify(value.role)}; skipped${skipped}`)
      continue
    }
    if (messageIDs.has(value.id)) {
      problem(message.path, `${label}: duplicate message ${value.id}; skipped${skipped}`)
      continue
    }
    const created = createdOf(value) ?? lastCreated
    lastCreated = created
    let id = value.id
    if (!keep && isOpenCodeId("message", value.id)) id = mapOpenCodeId("message", value.id)
    else if (!keep) {
      // Not OpenCode's format: the time field comes from the message time, kept strictly increasing so
      // the new IDs sort in the source's order.
      lastIdTime = Math.max(created, lastIdTime + 1)
      id = mapOpenCodeId("message", value.id, undefined, lastIdTime)
    }
    messageIDs.set(value.id, id)
    pending.push({ raw: value, path: message.path, parts: message.parts, originalID: value.id, id, created })
  }

  // Pass 2: messages and their parts.
  const partIDs = new Map<string, string>()
  const partSeeds = new Set<string>()
  const messages: ImportedSession["messages"] = []
  let lastUserID: string | undefined
  let previousID: string | undefined
  for (const entry of pending) {
    const message: Json = { ...entry.raw, id: entry.id, sessionID }
    if (message.role === "assistant" && !keep) {
      const parent = typeof message.parentID === "string" ? messageIDs.get(message.parentID) : undefined
      message.parentID = parent ?? lastUserID ?? previousID
      if (message.parentID === undefined) delete message.parentID
    }
    const result = finish<Message>(message.role === "user" ? UserMessage : AssistantMessage, message, (value) =>
      repairMessage(value, { created: entry.created, lastUserID, previousID, defaults }),
    )
    if ("error" in result) {
      const skipped = entry.parts.length ? ` (with its ${entry.parts.length} parts)` : ""
      problem(entry.path, `${label}: message ${entry.originalID} is invalid (${result.error}); skipped${skipped}`)
      continue
    }
    const info = result.value
    previousID = info.id
    if (info.role === "user") lastUserID = info.id

    const parts: Part[] = []
    let lastPartTime = entry.created - 1
    for (const rawPart of entry.parts) {
      const value = rawPart.value
      if (!isObject(value)) {
        problem(rawPart.path, `${label}: part of message ${entry.originalID} is not an object; skipped`)
        continue
      }
      const partLabel = `${label}: part ${typeof value.id === "string" ? value.id : "(no id)"} of message ${entry.originalID}`
      if (typeof value.id !== "string" || value.id === "") {
        problem(rawPart.path, `${partLabel} has no id; skipped`)
        continue
      }
      const schema = typeof value.type === "string" ? PART_SCHEMAS[value.type] : undefined
      if (!schema) {
        problem(rawPart.path, `${partLabel} has unknown type ${JSON.stringify(value.type)}; skipped`)
        continue
      }
      // Part IDs are unique in real data; hand-made trees reuse names across messages, which then get
      // a seed qualified by the message. The same ID twice in one message is a duplicate record.
      let seed = `opencode:${value.id}`
      if (partSeeds.has(seed)) seed = `opencode:${entry.originalID}/${value.id}`
      if (partSeeds.has(seed) || (keep && partIDs.has(value.id))) {
        problem(rawPart.path, `${partLabel} is a duplicate; skipped`)
        continue
      }
      partSeeds.add(seed)
      const natural = partTime(value)
      lastPartTime = Math.max(natural ?? -Infinity, lastPartTime + 1)
      const id = keep ? value.id : mapOpenCodeId("part", value.id, seed, lastPartTime)
      if (!partIDs.has(value.id)) partIDs.set(value.id, id)

      const part: Json = { ...value, id, sessionID, messageID: info.id }
      if (!keep) rewritePartReferences(part, messageIDs, resolve)
      const converted = finish<Part>(schema, part, (candidate) => repairPart(candidate, value.id as string, natural ?? entry.created))
      if ("error" in converted) {
        problem(rawPart.path, `${partLabel} is invalid (${converted.error}); skipped`)
        continue
      }
      parts.push(converted.value)
    }
    messages.push({ info, parts })
  }

  // The session itself, last: its revert points at messages and parts.
  const info: Json = { ...source, id: sessionID }
  const lost: Json = {}
  if (keep) {
    const metadata = { ...(source.metadata as Json) }
    delete metadata.spool
    if (Object.keys(metadata).length === 0) delete info.metadata
    else info.metadata = metadata
  } else {
    if (source.parentID === null || source.parentID === undefined) delete info.parentID
    else if (typeof source.parentID === "string") {
      const parent = resolve(source.parentID)
      if (parent) info.parentID = parent
      else {
        delete info.parentID
        lost.parentID = source.parentID
      }
    }
    if (isObject(source.revert)) {
      const messageID = typeof source.revert.messageID === "string" ? messageIDs.get(source.revert.messageID) : undefined
      if (messageID) {
        const revert: Json = { ...source.revert, messageID }
        const partID = typeof revert.partID === "string" ? partIDs.get(revert.partID) : undefined
        if (partID) revert.partID = partID
        else delete revert.partID
        info.revert = revert
      } else {
        delete info.revert
        lost.revert = source.revert
      }
    }
  }
  const sessionRepair = (value: Json) => {
    const lastMessage = messages.at(-1)?.info.time.created
    for (const key of ["slug", "projectID", "version"]) if (typeof value[key] !== "string") value[key] = ""
    if (typeof value.directory !== "string") value.directory = defaults.directory
    if (typeof value.title !== "string") value.title = fallbackTitle(messages, originalID)
    const time: Json = isObject(value.time) ? { ...value.time } : {}
    if (!num(time.created)) time.created = sessionCreated
    if (!num(time.updated)) time.updated = Math.max(time.created as number, lastMessage ?? 0)
    for (const key of ["compacting", "archived"]) if (key in time && !num(time[key])) delete time[key]
    value.time = time
    if (value.parentID === null) delete value.parentID
  }
  const needsRepair = !SessionInfo.safeParse(info).success
  if (needsRepair) {
    repaired++
    sessionRepair(info)
  }
  if (!keep) {
    info.metadata = {
      ...(isObject(source.metadata) ? source.metadata : {}),
      import: { source: "opencode", sourceID: originalID, path: raw.path, originalID, ...lost, ...(repaired ? { repaired } : {}) },
    }
  }
  const settled = settle<ImportedSession["info"]>(SessionInfo, info)
  if ("error" in settled) {
    problem(raw.path, `${label} is invalid (${settled.error}); skipped with its ${messages.length} messages`)
    return { problems }
  }

  const session: ImportedSession = { info: settled.value, messages }
  if (raw.todos !== undefined && raw.todos !== null) {
    if (!Array.isArray(raw.todos)) problem(raw.path, `${label}: todos is not a list; skipped`)
    else {
      session.todos = []
      for (const todo of raw.todos) {
        if (!isObject(todo) || typeof todo.content !== "string") {
          problem(raw.path, `${label}: invalid todo ${JSON.stringify(todo)}; skipped`)
          continue
        }
        session.todos.push({ content: todo.content, status: str(todo.status) ?? "pending", priority: str(todo.priority) ?? "medium" })
      }
    }
  }
  return { session, problems }
}

interface MessageContext {
  created: number
  lastUserID?: string
  previousID?: string
  defaults: { model: { providerID: string; modelID: string }; agent: string; directory: string }
}

function repairMessage(message: Json, context: MessageContext) {
  const time: Json = isObject(message.time) ? { ...message.time } : {}
  if (!num(time.created)) time.created = context.created
  if ("completed" in time && !num(time.completed)) delete time.completed
  message.time = time
  if (message.role === "user") {
    if (typeof message.agent !== "string") message.agent = context.defaults.agent
    const model = isObject(message.model) ? message.model : {}
    if (typeof model.providerID !== "string" || typeof model.modelID !== "string") {
      message.model = {
        ...model,
        providerID: str(model.providerID) ?? context.defaults.model.providerID,
        modelID: str(model.modelID) ?? context.defaults.model.modelID,
      }
    }
    if (isObject(message.summary)) {
      const summary: Json = { ...message.summary }
      if (typeof summary.title !== "string") delete summary.title
      if (typeof summary.body !== "string") delete summary.body
      if (!Array.isArray(summary.diffs)) summary.diffs = []
      message.summary = summary
    }
    return
  }
  if (typeof message.parentID !== "string" || !message.parentID.startsWith("msg_")) {
    message.parentID = context.lastUserID ?? context.previousID
    if (message.parentID === undefined) delete message.parentID
  }
  const model = isObject(message.model) ? message.model : {}
  if (typeof message.modelID !== "string") message.modelID = str(model.modelID) ?? context.defaults.model.modelID
  if (typeof message.providerID !== "string") message.providerID = str(model.providerID) ?? context.defaults.model.providerID
  if (typeof message.mode !== "string") message.mode = str(message.agent) ?? context.defaults.agent
  if (typeof message.agent !== "string") message.agent = message.mode
  const path = message.path
  if (!isObject(path) || typeof path.cwd !== "string" || typeof path.root !== "string") {
    const directory = typeof path === "string" ? path : context.defaults.directory
    message.path = { cwd: directory, root: directory }
  }
  if (!num(message.cost)) message.cost = 0
  if (!Tokens.safeParse(message.tokens).success) message.tokens = normalizeTokens(message.tokens)
}

function repairPart(part: Json, originalID: string, time: number) {
  switch (part.type) {
    case "reasoning": {
      const current = isObject(part.time) ? part.time : {}
      part.time = num(current.start) ? (num(current.end) || !("end" in current) ? current : { start: current.start }) : { start: time }
      break
    }
    case "file":
      if (typeof part.mime !== "string") part.mime = "application/octet-stream"
      break
    case "subtask":
      if (typeof part.description !== "string") part.description = ""
      if (typeof part.agent !== "string") part.agent = "general"
      break
    case "tool":
      if (typeof part.callID !== "string") part.callID = originalID
      if (isObject(part.state)) part.state = repairToolState({ ...part.state }, time)
      break
    case "step-finish":
      if (typeof part.reason !== "string") part.reason = "unknown"
      if (!num(part.cost)) part.cost = 0
      if (!Tokens.safeParse(part.tokens).success) part.tokens = normalizeTokens(part.tokens)
      break
    case "patch":
      part.files = Array.isArray(part.files) ? part.files.filter((file) => typeof file === "string") : []
      break
    case "compaction":
      if (typeof part.auto !== "boolean") part.auto = false
      break
    case "retry":
      if (!num(part.attempt)) part.attempt = 0
      if (!isObject(part.time) || !num(part.time.created)) part.time = { created: time }
      break
  }
}

function repairToolState(state: Json, time: number): Json {
  if (!TOOL_STATUSES.has(state.status as string)) return state
  if (!isObject(state.input)) state.input = {}
  const current = isObject(state.time) ? state.time : {}
  const start = num(current.start) ? current.start : time
  const end = num(current.end) ? current.end : start
  switch (state.status) {
    case "pending":
      if (typeof state.raw !== "string") state.raw = JSON.stringify(state.input)
      break
    case "running":
      state.time = { ...current, start }
      if ("title" in state && typeof state.title !== "string") delete state.title
      if ("metadata" in state && !isObject(state.metadata)) delete state.metadata
      break
    case "completed":
      if (typeof state.output !== "string") state.output = state.output === undefined || state.output === null ? "" : JSON.stringify(state.output)
      if (typeof state.title !== "string") state.title = ""
      if (!isObject(state.metadata)) state.metadata = {}
      state.time = { ...current, start, end }
      if ("compacted" in current && !num(current.compacted)) delete (state.time as Json).compacted
      if ("attachments" in state && !z.array(FilePart).safeParse(state.attachments).success) delete state.attachments
      break
    case "error":
      if (typeof state.error !== "string") state.error = state.error === undefined || state.error === null ? "" : JSON.stringify(state.error)
      if ("metadata" in state && !isObject(state.metadata)) delete state.metadata
      state.time = { ...current, start, end }
      break
  }
  return state
}

/** Rewrites the IDs a part refers to: compaction `tail_start_id`, the `task` tool's child session. */
function rewritePartReferences(part: Json, messageIDs: Map<string, string>, resolve: SessionResolver) {
  if (part.type === "compaction" && "tail_start_id" in part) {
    const tail = typeof part.tail_start_id === "string" ? messageIDs.get(part.tail_start_id) : undefined
    if (tail) part.tail_start_id = tail
    else delete part.tail_start_id
  }
  if (part.type !== "tool" || !isObject(part.state) || !isObject(part.state.metadata)) return
  const state: Json = { ...part.state }
  const metadata: Json = { ...(state.metadata as Json) }
  const replaced = new Map<string, string>()
  for (const key of SESSION_KEYS) {
    const value = metadata[key]
    if (typeof value !== "string") continue
    const mapped = resolve(value)
    if (!mapped) continue
    metadata[key] = mapped
    replaced.set(value, mapped)
  }
  if (replaced.size === 0) return
  state.metadata = metadata
  // The task tool's output ("task_id: ses_…") and a resumed call's input name the child session too.
  const swap = (text: string) => [...replaced].reduce((result, [from, to]) => result.split(from).join(to), text)
  if (typeof state.output === "string") state.output = swap(state.output)
  if (isObject(state.input) && typeof state.input.task_id === "string") state.input = { ...state.input, task_id: swap(state.input.task_id) }
  part.state = state
}

/**
 * Parses `value`; on failure drops the top-level optional fields the issues point at and tries again.
 * Returns the value itself (unknown fields kept), not zod's stripped copy.
 */
function settle<T>(schema: z.ZodObject, value: Json): { value: T } | { error: string } {
  const optional = optionalKeys(schema)
  for (;;) {
    const result = schema.safeParse(value)
    if (result.success) return { value: value as T }
    let dropped = false
    for (const issue of result.error.issues) {
      const key = issue.path[0]
      if (typeof key === "string" && optional.has(key) && key in value) {
        delete value[key]
        dropped = true
      }
    }
    if (!dropped) {
      return {
        error: result.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
          .join("; "),
      }
    }
  }
}

const optionalCache = new WeakMap<z.ZodObject, Set<string>>()
function optionalKeys(schema: z.ZodObject): Set<string> {
  let keys = optionalCache.get(schema)
  if (!keys) {
    keys = new Set(Object.entries(schema.shape).filter(([, field]) => (field as z.ZodType).safeParse(undefined).success).map(([key]) => key))
    optionalCache.set(schema, keys)
  }
  return keys
}

function normalizeTokens(value: unknown): Tokens {
  const tokens = isObject(value) ? value : {}
  const cache = isObject(tokens.cache) ? tokens.cache : {}
  return {
    ...(num(tokens.total) ? { total: tokens.total } : {}),
    input: num(tokens.input) ? tokens.input : 0,
    output: num(tokens.output) ? tokens.output : 0,
    reasoning: num(tokens.reasoning) ? tokens.reasoning : 0,
    cache: { read: num(cache.read) ? cache.read : 0, write: num(cache.write) ? cache.write : 0 },
  }
}

/** A title for a session that has none: its first prompt's first line, else its source ID. */
function fallbackTitle(messages: ImportedSession["messages"], originalID: string): string {
  for (const message of messages) {
    if (message.info.role !== "user") continue
    const text = message.parts.find((part) => part.type === "text" && !part.synthetic)
    if (text?.type === "text") {
      const line = text.text.trim().split("\n")[0].trim()
      if (line) return line.length > 100 ? `${line.slice(0, 99)}…` : line
    }
  }
  return `OpenCode session ${originalID}`
}

function createdOf(value: unknown): number | undefined {
  return isObject(value) && isObject(value.time) && num(value.time.created) ? value.time.created : undefined
}

/** The time a part carries (start of text/reasoning/tool, creation of a retry). */
function partTime(part: Json): number | undefined {
  const time = isObject(part.time) ? part.time : isObject(part.state) && isObject(part.state.time) ? part.state.time : undefined
  if (!time) return undefined
  return num(time.start) ? time.start : num(time.created) ? time.created : undefined
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function num(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value)
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined
}
