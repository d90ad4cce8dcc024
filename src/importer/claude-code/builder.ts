import { stableId } from "../ids.ts"
import type { AssistantDraft, Draft, ToolDraft, UserDraft } from "./drafts.ts"
import type { UsageLedger } from "./ledger.ts"
import { addAssistantBlock, addUserParts, type PartContext } from "./parts.ts"
import {
  blocksOf, count, envelope, isContinuationSummary, isInterruption, isLocalOutput, isObject, joinedText, parseTime, recordType, text,
  type Json, type KeptRecord,
} from "./records.ts"

export interface BuilderInit {
  /** The session's source id (`<claude session id>` or `<parent>:agent-<id>` / `<parent>:sidechain-<uuid>`). */
  sourceID: string
  /** First timestamp of the session: the time field of its ID. */
  created: number
  path: string
  ledger: UsageLedger
  /** Sub-agent/sidechain session (matters for replay dedupe). */
  child: boolean
}

/** Facts about the session gathered from the line envelopes. */
export interface SessionFacts {
  cwd?: string
  slug?: string
  gitBranch?: string
  versions: string[]
  sessionIds: string[]
  agentId?: string
  lastTime: number
  lastModel?: string
  customTitle?: string
  agentName?: string
  aiTitle?: string
  summaries: Array<{ summary: string; leafUuid?: string }>
  uuids: Set<string>
  /** `agent_progress` links: sub-agent id → the parent's Task/Agent tool call id (spec 1.10 layout 3). */
  agentCalls: Map<string, string>
}

/**
 * Folds the lines of ONE Claude Code session (in file order) into drafts of OpenCode messages and parts.
 * `add` never throws: it returns a problem message for a line it cannot interpret (the line is then
 * skipped). Rules, with the spec sections of `transcript-formats.md`:
 * - a typed prompt → a user message with text/file parts; `isMeta` lines, local-command output and
 *   caveats → `synthetic` text parts of the prompt they belong to (its child line, or the next prompt);
 * - `tool_result`-only user lines are not messages: they complete the matching tool part (1.5);
 * - "[Request interrupted by user…]" marks the last assistant message aborted (`MessageAbortedError`);
 * - assistant lines sharing `message.id` (and `requestId`) while no other response or prompt intervened
 *   are ONE response: Claude Code writes one line per content block, repeating the usage on each with a
 *   growing `output_tokens` (spec 1.4, "streaming split"). Parts are appended in line order; the usage is
 *   that of the line with the largest token total — the final line, as totals only grow (ccusage keeps
 *   the max line too; keeping the first line under-counts output, ccusage #797). The same key seen
 *   again later (or in another file) is a copy: kept, counted once (`UsageLedger`);
 * - `compact_boundary` → a user message with a `compaction` part; the `isCompactSummary` line → an
 *   assistant message with `summary: true` (1.9);
 * - every other record (system, progress, attachment, snapshots, queue operations, titles…) is kept
 *   verbatim in the metadata of the nearest message (1.3, 1.11: preserve unknown types).
 */
export class SessionBuilder implements PartContext {
  readonly sessionID: string
  readonly messages: Draft[] = []
  readonly tools = new Map<string, ToolDraft>()
  readonly facts: SessionFacts = { versions: [], sessionIds: [], lastTime: 0, summaries: [], uuids: new Set(), agentCalls: new Map() }
  /** Records seen before the first message. */
  readonly leadingRecords: KeptRecord[] = []
  private readonly prefix: string
  private readonly seeds = new Set<string>()
  private readonly owner = new Map<string, Draft>()
  private readonly parentOf = new Map<string, string>()
  private pendingMeta: Array<{ blocks: Json[]; line: number; time: number; key: string; envelope: Json; uuid?: string }> = []
  private openAssistant?: AssistantDraft
  private lastUser?: UserDraft
  private pendingCompaction?: UserDraft

  readonly init: BuilderInit

  constructor(init: BuilderInit) {
    this.init = init
    this.prefix = `claude-code:${init.sourceID}`
    this.sessionID = stableId("session", this.prefix, init.created)
    this.facts.lastTime = init.created
  }

  /** Adds one parsed line; returns a problem message when the line cannot be interpreted. */
  add(record: Json, line: number): string | undefined {
    const type = recordType(record)
    if (!type) return "unrecognized record: no type and no message role"
    const time = parseTime(record.timestamp)
    if (time !== undefined) this.facts.lastTime = Math.max(this.facts.lastTime, time)
    const at = time ?? this.facts.lastTime
    this.observe(record)
    switch (type) {
      case "user":
        return this.user(record, line, at)
      case "assistant":
        return this.assistant(record, line, at)
      case "system":
        if (record.subtype === "compact_boundary") return this.boundary(record, line, at)
        break
      case "summary":
        if (text(record.summary)) this.facts.summaries.push({ summary: record.summary as string, leafUuid: text(record.leafUuid) })
        break
      case "custom-title":
        this.facts.customTitle = text(record.customTitle) ?? text(record.title) ?? this.facts.customTitle
        break
      case "agent-name":
        this.facts.agentName = text(record.agentName) ?? this.facts.agentName
        break
      case "ai-title":
        this.facts.aiTitle = text(record.aiTitle) ?? text(record.title) ?? this.facts.aiTitle
        break
      case "progress": {
        const data = isObject(record.data) ? record.data : {}
        if (data.type === "agent_progress" && text(data.agentId) && text(record.parentToolUseID)) {
          this.facts.agentCalls.set(data.agentId as string, record.parentToolUseID as string)
        }
        break
      }
    }
    this.keep(record, line)
    return undefined
  }

  private observe(record: Json) {
    const facts = this.facts
    facts.cwd ??= text(record.cwd)
    facts.slug ??= text(record.slug)
    if (text(record.gitBranch)) facts.gitBranch = record.gitBranch as string
    facts.agentId ??= text(record.agentId)
    const version = text(record.version)
    if (version && !facts.versions.includes(version)) facts.versions.push(version)
    const sessionId = text(record.sessionId)
    if (sessionId && !facts.sessionIds.includes(sessionId)) facts.sessionIds.push(sessionId)
    const uuid = text(record.uuid)
    if (uuid) {
      facts.uuids.add(uuid)
      const parent = text(record.parentUuid)
      if (parent && !this.parentOf.has(uuid)) this.parentOf.set(uuid, parent)
    }
  }

  /** A record with no place in the model: kept on the latest message (or before the first). */
  private keep(record: unknown, line: number) {
    const last = this.messages.at(-1)
    if (last) last.records.push({ line, record })
    else this.leadingRecords.push({ line, record })
  }

  private user(record: Json, line: number, at: number): string | undefined {
    if (!isObject(record.message)) return "user record without a message"
    const blocks = blocksOf(record.message.content)
    const lineEnvelope = envelope(record, line)
    const body = joinedText(blocks)
    if (record.isCompactSummary === true || isContinuationSummary(body)) return this.compactSummary(record, line, at, blocks, lineEnvelope)
    const results = blocks.filter((block) => block.type === "tool_result")
    const rest = blocks.filter((block) => block.type !== "tool_result")
    if (results.length > 0) {
      results.forEach((block, index) => this.toolResult(block, record, line, at, lineEnvelope, index === 0))
      const meaningful = rest.some((block) => block.type !== "text" || (typeof block.text === "string" && block.text.trim() !== ""))
      if (!meaningful) return undefined
    }
    const uuid = text(record.uuid)
    const last = this.messages.at(-1)
    if (isInterruption(body) && last?.role === "assistant") {
      last.error = { name: "MessageAbortedError", data: { message: body } }
      last.records.push({ line, record })
      if (uuid) this.owner.set(uuid, last)
      return undefined
    }
    if (rest.length === 0) {
      this.keep(record, line)
      return undefined
    }
    const key = uuid ?? `line:${line}`
    if (record.isMeta === true || isLocalOutput(body) || isInterruption(body)) {
      const parent = this.owner.get(text(record.parentUuid) ?? "")
      if (parent && parent === last && parent.role === "user" && this.pendingMeta.length === 0) {
        addUserParts(this, parent, rest, key, at, true, line)
        parent.lines.push(lineEnvelope)
        if (uuid) this.owner.set(uuid, parent)
      } else {
        this.pendingMeta.push({ blocks: rest, line, time: at, key, envelope: lineEnvelope, uuid })
      }
      return undefined
    }
    const draft = this.newUser(`${this.prefix}:${key}`, at)
    this.pendingCompaction = undefined
    this.flushMetaInto(draft)
    addUserParts(this, draft, rest, key, at, false, line)
    draft.lines.push(lineEnvelope)
    draft.prompt = body
    if (uuid) this.owner.set(uuid, draft)
    return undefined
  }

  private newUser(seed: string, time: number): UserDraft {
    const draft: UserDraft = { role: "user", id: this.id("message", seed, time), seed, time, parts: [], records: [], lines: [], blocks: [] }
    this.messages.push(draft)
    this.lastUser = draft
    this.openAssistant = undefined
    return draft
  }

  /** Meta lines waiting for a prompt go into `draft` first, as synthetic parts. */
  private flushMetaInto(draft: UserDraft) {
    for (const meta of this.pendingMeta) {
      addUserParts(this, draft, meta.blocks, meta.key, meta.time, true, meta.line)
      draft.lines.push(meta.envelope)
      if (meta.uuid) this.owner.set(meta.uuid, draft)
    }
    this.pendingMeta = []
  }

  /**
   * Meta lines with no prompt after them: inside an assistant turn they stay records of that turn's
   * latest message (injected context is not a new prompt); otherwise they form a synthetic user message.
   */
  private flushMeta() {
    if (this.pendingMeta.length === 0) return
    const last = this.messages.at(-1)
    if (last?.role === "assistant") {
      for (const meta of this.pendingMeta) {
        last.lines.push(meta.envelope)
        for (const block of meta.blocks) last.blocks.push({ line: meta.line, record: block })
        if (meta.uuid) this.owner.set(meta.uuid, last)
      }
      this.pendingMeta = []
      return
    }
    const first = this.pendingMeta[0]
    this.flushMetaInto(this.newUser(`${this.prefix}:${first.key}`, first.time))
  }

  private toolResult(block: Json, record: Json, line: number, at: number, lineEnvelope: Json, first: boolean) {
    const callID = text(block.tool_use_id) ?? text(record.sourceToolUseID)
    let tool = callID ? this.tools.get(callID) : undefined
    if (!tool) {
      // Fallback for results without a known id: the first unanswered call of the line they answer.
      const source = this.owner.get(text(record.sourceToolAssistantUUID) ?? text(record.parentUuid) ?? "")
      tool = source?.role === "assistant" ? source.tools.find((candidate) => !candidate.result) : undefined
    }
    const uuid = text(record.uuid)
    if (!tool || tool.result) {
      if (first) this.keep(record, line)
      else this.messages.at(-1)?.blocks.push({ line, record: block })
      return
    }
    tool.result = { content: block.content, isError: block.is_error === true, time: at, line: lineEnvelope }
    if (first && record.toolUseResult !== undefined) tool.result.toolUseResult = record.toolUseResult
    if (uuid) this.owner.set(uuid, tool.message)
  }

  private assistant(record: Json, line: number, at: number): string | undefined {
    const message = record.message
    if (!isObject(message)) return "assistant record without a message"
    this.flushMeta()
    const messageId = text(message.id)
    const requestId = text(record.requestId)
    const uuid = text(record.uuid)
    const key = uuid ?? `line:${line}`
    const open = this.openAssistant
    let draft = open && messageId && open.messageId === messageId && open.requestId === requestId ? open : undefined
    if (!draft) draft = this.newAssistant(record, key, at, messageId, requestId)
    draft.lines.push(envelope(record, line))
    draft.completed = Math.max(draft.completed, at)
    const model = text(message.model)
    if (model) {
      draft.model ??= model
      if (model !== "<synthetic>") this.facts.lastModel = model
    }
    if (isObject(message.usage)) {
      const usage = message.usage
      const total = count(usage.input_tokens) + count(usage.output_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens)
      if (!draft.usage || total >= draft.usage.total) {
        draft.usage = { raw: usage, total, cost: typeof record.costUSD === "number" ? record.costUSD : draft.usage?.cost }
      }
    }
    if (text(message.stop_reason)) draft.stopReason = message.stop_reason as string
    if (record.isApiErrorMessage === true) {
      draft.error = { name: "APIError", data: { message: joinedText(blocksOf(message.content)) || text(record.error) || "API error", isRetryable: false } }
    }
    blocksOf(message.content).forEach((block, index) => addAssistantBlock(this, draft, block, `${key}:${index}`, at, line))
    if (uuid) this.owner.set(uuid, draft)
    return undefined
  }

  private newAssistant(record: Json, key: string, at: number, messageId?: string, requestId?: string): AssistantDraft {
    const seed = messageId ? `${this.prefix}:msg:${messageId}:${requestId ?? ""}` : `${this.prefix}:${key}`
    const draft: AssistantDraft = {
      role: "assistant", id: this.id("message", seed, at), seed, messageId, requestId, created: at, completed: at,
      parentID: this.parentUser(text(record.parentUuid), key, at).id, parts: [], tools: [], records: [], lines: [], blocks: [],
    }
    this.pendingCompaction = undefined
    draft.duplicateOf = this.init.ledger.claim(this.init.sourceID, messageId, requestId, this.init.child)
    this.messages.push(draft)
    this.openAssistant = draft
    return draft
  }

  /** The user message an assistant line answers: up its `parentUuid` chain, else the latest prompt. */
  private parentUser(parentUuid: string | undefined, key: string, at: number): UserDraft {
    const seen = new Set<string>()
    for (let uuid = parentUuid; uuid && !seen.has(uuid); uuid = this.parentOf.get(uuid)) {
      seen.add(uuid)
      const owner = this.owner.get(uuid)
      if (owner?.role === "user") return owner
    }
    if (this.lastUser) return this.lastUser
    // No prompt recorded (usage-only files, a cut-off head): a placeholder keeps `parentID` valid.
    const placeholder = this.newUser(`${this.prefix}:placeholder:${key}`, at)
    placeholder.parts.push({
      id: this.id("part", `${placeholder.seed}:text`, at), sessionID: this.sessionID, messageID: placeholder.id, type: "text",
      text: "", synthetic: true, ignored: true, metadata: { placeholder: "no user prompt recorded before this response" },
    })
    return placeholder
  }

  private boundary(record: Json, line: number, at: number): undefined {
    this.flushMeta()
    const metadata = isObject(record.compactMetadata) ? record.compactMetadata : {}
    const trigger = text(metadata.trigger) ?? text(record.trigger)
    const draft = this.newUser(`${this.prefix}:${text(record.uuid) ?? `line:${line}`}`, at)
    draft.parts.push({ id: this.id("part", `${draft.seed}:compaction`, at), sessionID: this.sessionID, messageID: draft.id, type: "compaction", auto: trigger !== "manual" })
    draft.records.push({ line, record })
    const uuid = text(record.uuid)
    if (uuid) this.owner.set(uuid, draft)
    this.pendingCompaction = draft
    return undefined
  }

  private compactSummary(record: Json, line: number, at: number, blocks: Json[], lineEnvelope: Json): undefined {
    this.flushMeta()
    const key = text(record.uuid) ?? `line:${line}`
    let compaction = this.pendingCompaction
    if (!compaction) {
      compaction = this.newUser(`${this.prefix}:${key}:compaction`, at)
      compaction.parts.push({ id: this.id("part", `${compaction.seed}:compaction`, at), sessionID: this.sessionID, messageID: compaction.id, type: "compaction", auto: true })
    }
    this.pendingCompaction = undefined
    const seed = `${this.prefix}:${key}`
    const summary: AssistantDraft = {
      role: "assistant", id: this.id("message", seed, at), seed, created: at, completed: at, parentID: compaction.id, model: this.facts.lastModel,
      parts: [], tools: [], records: [], lines: [lineEnvelope], blocks: [], summary: true, stopReason: "end_turn",
    }
    this.messages.push(summary)
    this.openAssistant = undefined
    blocks.forEach((block, index) => addAssistantBlock(this, summary, block, `${key}:${index}`, at, line))
    const uuid = text(record.uuid)
    if (uuid) this.owner.set(uuid, summary)
    return undefined
  }

  /** Ends the session: meta lines still waiting become a synthetic message or records. */
  close() {
    this.flushMeta()
  }

  /** A deterministic ID; a repeated seed (duplicated uuids in a damaged file) gets a numbered suffix. */
  id(kind: "message" | "part", seed: string, time: number): string {
    let unique = seed
    for (let index = 2; this.seeds.has(unique); index++) unique = `${seed}#${index}`
    this.seeds.add(unique)
    return stableId(kind, unique, time)
  }
}
