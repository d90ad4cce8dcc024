import type { AssistantMessage, FilePart, Message, Part, SessionInfo, Tokens, ToolPart, UserMessage } from "../../session/schema.ts"
import type { ImportedSession } from "../types.ts"
import type { SessionBuilder } from "./builder.ts"
import type { AssistantDraft, Draft, ToolDraft } from "./drafts.ts"
import { count, finishReason, promptTitle, resultOutput, toolTitle, type Json, type KeptRecord } from "./records.ts"

/** What the caller learned about a session from its relatives (sub-agent linking, spec 1.10). */
export interface SessionLink {
  parentID?: string
  /** Agent of a sub-agent session (the Task call's `subagent_type`). */
  agent?: string
  /** Title from the spawning Task call, used when the session has no title record. */
  title?: string
  /** Child session of each Task/Agent tool call of this session: `state.metadata.sessionId`. */
  childSessions?: Map<string, string>
  /** Extra facts for `info.metadata.claude`. */
  metadata?: Json
}

const PROVIDER = "anthropic"
const DEFAULT_AGENT = "build"
const INTERRUPTED = "[Tool execution was interrupted]"

/** Turns a builder's drafts into the `ImportedSession` of the contract (`../types.ts`). */
export function finishSession(builder: SessionBuilder, link: SessionLink = {}): ImportedSession {
  builder.close()
  const { facts, init } = builder
  const drafts = builder.messages
  const sessionRecords: KeptRecord[] = []
  if (drafts.length > 0) drafts[0].records.unshift(...builder.leadingRecords)
  else sessionRecords.push(...builder.leadingRecords)
  moveOffTextless(drafts, sessionRecords)

  const agent = link.agent ?? DEFAULT_AGENT
  const cwd = facts.cwd ?? ""
  const models: string[] = []
  let next = facts.lastModel ?? "unknown"
  for (let index = drafts.length - 1; index >= 0; index--) {
    const draft = drafts[index]
    if (draft.role === "assistant" && draft.model && draft.model !== "<synthetic>") next = draft.model
    models[index] = next
  }

  const messages = drafts.map((draft, index) =>
    draft.role === "user" ? finishUser(builder, draft, agent, models[index]) : finishAssistant(builder, draft, agent, cwd, models[index], link.childSessions),
  )
  const tokens: Tokens = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
  let cost: number | undefined
  for (const message of messages) {
    if (message.info.role !== "assistant") continue
    tokens.input += message.info.tokens.input
    tokens.output += message.info.tokens.output
    tokens.cache.read += message.info.tokens.cache.read
    tokens.cache.write += message.info.tokens.cache.write
    if (message.info.cost > 0) cost = (cost ?? 0) + message.info.cost
  }

  const claude: Json = { ...link.metadata }
  if (facts.sessionIds.length > 0) claude.sessionIds = facts.sessionIds
  if (facts.versions.length > 1) claude.versions = facts.versions
  if (facts.gitBranch) claude.gitBranch = facts.gitBranch
  if (facts.agentId) claude.agentId = facts.agentId
  if (sessionRecords.length > 0) claude.records = sessionRecords
  const info: SessionInfo = {
    id: builder.sessionID,
    slug: facts.slug ?? "",
    projectID: "",
    directory: cwd,
    title: title(builder, link.title),
    version: "",
    time: { created: init.created, updated: Math.max(init.created, facts.lastTime) },
    tokens,
    metadata: {
      import: { source: "claude-code", sourceID: init.sourceID, path: init.path, version: facts.versions.at(-1) ?? "" },
      claude,
    },
  }
  if (link.parentID) info.parentID = link.parentID
  if (cost !== undefined) info.cost = cost
  if (facts.lastModel) info.model = { id: facts.lastModel, providerID: PROVIDER }
  if (link.agent) info.agent = link.agent
  return { info, messages }
}

/**
 * Title precedence (spec 1.3, after txcript): custom-title (`/rename`) > agent-name > ai-title > the
 * `summary` record anchored in this session (`leafUuid`), else the first summary > the spawning Task's
 * description (sub-agents) > the first typed prompt > a fallback naming the source id.
 */
function title(builder: SessionBuilder, linked: string | undefined): string {
  const facts = builder.facts
  const summary = facts.summaries.find((item) => item.leafUuid && facts.uuids.has(item.leafUuid)) ?? facts.summaries[0]
  const prompt = builder.messages.find((draft) => draft.role === "user" && draft.prompt?.trim())
  const fromPrompt = prompt?.role === "user" && prompt.prompt ? promptTitle(prompt.prompt) : undefined
  return facts.customTitle ?? facts.agentName ?? facts.aiTitle ?? summary?.summary ?? linked ?? (fromPrompt || `Claude Code session ${builder.init.sourceID}`)
}

/** A user message without a text part has no metadata to carry records: they move to a neighbour. */
function moveOffTextless(drafts: Draft[], sessionRecords: KeptRecord[]) {
  for (let index = 0; index < drafts.length; index++) {
    const draft = drafts[index]
    if (draft.role !== "user" || draft.parts.some((part) => part.type === "text")) continue
    if (draft.records.length + draft.lines.length + draft.blocks.length === 0) continue
    const target = drafts[index + 1] ?? drafts.slice(0, index).reverse().find((other) => other.role === "assistant" || other.parts.some((part) => part.type === "text"))
    if (target) {
      target.records.unshift(...draft.records)
      target.lines.unshift(...draft.lines)
      target.blocks.unshift(...draft.blocks)
    } else {
      sessionRecords.push(...draft.records, ...draft.blocks)
      for (const line of draft.lines) sessionRecords.push({ line: Number(line.line), record: line })
    }
    draft.records = []
    draft.lines = []
    draft.blocks = []
  }
}

function carried(draft: Draft): Json {
  const metadata: Json = {}
  if (draft.lines.length > 0) metadata.lines = draft.lines
  if (draft.records.length > 0) metadata.records = draft.records
  if (draft.blocks.length > 0) metadata.blocks = draft.blocks
  return metadata
}

function finishUser(builder: SessionBuilder, draft: Draft & { role: "user" }, agent: string, model: string): { info: Message; parts: Part[] } {
  const info: UserMessage = { id: draft.id, sessionID: builder.sessionID, role: "user", time: { created: draft.time }, agent, model: { providerID: PROVIDER, modelID: model } }
  const parts = draft.parts.map((part) => ({ ...part }))
  const carrier = parts.find((part) => part.type === "text")
  const metadata = carried(draft)
  if (carrier && carrier.type === "text" && Object.keys(metadata).length > 0) carrier.metadata = { ...carrier.metadata, ...metadata }
  return { info, parts }
}

function finishAssistant(
  builder: SessionBuilder, draft: AssistantDraft, agent: string, cwd: string, model: string, childSessions?: Map<string, string>,
): { info: Message; parts: Part[] } {
  const raw = draft.usage?.raw ?? {}
  const counted = draft.duplicateOf === undefined
  const tokens: Tokens = counted
    ? { input: count(raw.input_tokens), output: count(raw.output_tokens), reasoning: 0, cache: { read: count(raw.cache_read_input_tokens), write: count(raw.cache_creation_input_tokens) } }
    : { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
  const cost = counted ? (draft.usage?.cost ?? 0) : 0
  const finish = finishReason(draft.stopReason, draft.tools.length > 0)
  const info: AssistantMessage = {
    id: draft.id, sessionID: builder.sessionID, role: "assistant", time: { created: draft.created, completed: draft.completed },
    parentID: draft.parentID, modelID: draft.model ?? model, providerID: PROVIDER, mode: agent, agent, path: { cwd, root: cwd },
    cost, tokens, finish,
  }
  if (draft.error) info.error = draft.error
  if (draft.summary) info.summary = true
  const base = { sessionID: builder.sessionID, messageID: draft.id }
  const metadata: Json = { ...carried(draft) }
  if (draft.messageId) metadata.messageId = draft.messageId
  if (draft.requestId) metadata.requestId = draft.requestId
  if (draft.usage) metadata.usage = draft.usage.raw
  metadata.stopReason = draft.stopReason ?? null
  if (!counted) metadata.duplicateOf = draft.duplicateOf
  const parts: Part[] = [
    { ...base, id: stepId(builder, draft, "step-start", draft.created), type: "step-start" },
    ...draft.parts.map((part) => (part.type === "tool" ? finishTool(builder, draft.tools.find((tool) => tool.part === part)!, draft, childSessions) : { ...part })),
    { ...base, id: stepId(builder, draft, "step-finish", draft.completed), type: "step-finish", reason: finish, cost, tokens, metadata },
  ]
  return { info, parts }
}

function stepId(builder: SessionBuilder, draft: AssistantDraft, kind: string, time: number): string {
  return builder.id("part", `${draft.seed}:${kind}`, time)
}

/** A tool part's final state: completed/error from its `tool_result`, else interrupted. */
function finishTool(builder: SessionBuilder, tool: ToolDraft, draft: AssistantDraft, childSessions?: Map<string, string>): ToolPart {
  const stateMetadata: Json = {}
  const childSession = childSessions?.get(tool.part.callID)
  if (childSession) stateMetadata.sessionId = childSession
  const partMetadata: Json = {}
  const result = tool.result
  if (!result) {
    partMetadata.interrupted = true
    const end = Math.max(tool.start, draft.completed)
    return { ...tool.part, state: { status: "error", input: tool.input, error: INTERRUPTED, metadata: stateMetadata, time: { start: tool.start, end } }, metadata: partMetadata }
  }
  if (result.toolUseResult !== undefined) partMetadata.toolUseResult = result.toolUseResult
  partMetadata.result = result.line
  const { output, files } = resultOutput(result.content)
  const time = { start: tool.start, end: Math.max(tool.start, result.time) }
  if (result.isError) {
    if (files.length > 0) stateMetadata.files = files
    return { ...tool.part, state: { status: "error", input: tool.input, error: output, metadata: stateMetadata, time }, metadata: partMetadata }
  }
  const attachments: FilePart[] = files.map((file, index) => ({
    id: builder.id("part", `${tool.part.id}:attachment:${index}`, result.time), sessionID: tool.part.sessionID, messageID: tool.part.messageID, type: "file", ...file,
  }))
  return {
    ...tool.part,
    state: { status: "completed", input: tool.input, output, title: toolTitle(tool.input), metadata: stateMetadata, time, ...(attachments.length > 0 ? { attachments } : {}) },
    metadata: partMetadata,
  }
}
