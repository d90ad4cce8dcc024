import { imagesOfContent, rest, textOfContent } from "./content.ts"
import { Echoes } from "./echoes.ts"
import type { ThreadIdentity } from "./identity.ts"
import { meaningful, Prompts, unmappedContent } from "./prompts.ts"
import { isObject, stringOf, type CodexRecord, type JsonObject } from "./records.ts"
import { TokenLedger } from "./tokens.ts"
import { TOOL_CALLS, TOOL_OUTPUTS, ToolCalls } from "./tools.ts"
import { Transcript, type Step } from "./transcript.ts"

/** Replayed history is written in one burst; a pause longer than this ends it (spec 2.6, ccusage `detect_replay_second`). */
const REPLAY_GAP_MS = 1000

/**
 * Builds one Codex thread (one rollout file) as an OpenCode session, record by record (spec
 * transcript-formats.md 2.2–2.6):
 * - prompts and injected context: `Prompts`;
 * - assistant: one message per model call — its output items (reasoning, `output_text`, tool calls)
 *   up to the `token_count` whose total advanced (`TokenLedger`); an output after an input (tool
 *   output, context) also starts a new call; `agent_*` event copies fold in (`Echoes`);
 * - tools: `ToolCalls`;
 * - compaction: `compacted` → a user message with a `compaction` part and a `summary: true` reply;
 * - turns: `task_complete` / `turn_aborted` / `error` close the turn, failures become the reply's error;
 * - replay: from a copied parent `session_meta` (another id) to the end of its write burst, records
 *   are the parent's history: imported with `metadata.codex.replayed`, usage not counted;
 * - everything else is kept verbatim on the nearest part (`Transcript.keep`).
 */
export class CodexSessionBuilder extends Transcript {
  readonly copiedMetas: Array<{ line: number; payload: JsonObject }> = []
  readonly duplicateMetas: Array<{ line: number; payload: JsonObject }> = []
  readonly turnContexts: Array<{ line: number; timestamp?: unknown; payload: JsonObject; repeats: number }> = []
  readonly replays: Array<{ fromLine: number; toLine: number }> = []
  readonly skippedTokenCounts: JsonObject[] = []
  readonly prompts = new Prompts(this)
  threadName: string | undefined
  private readonly ledger: TokenLedger
  private readonly echoes = new Echoes(this)
  private readonly tools = new ToolCalls(this)
  private replayLast: number | undefined
  private lastRateLimits = ""

  constructor(identity: ThreadIdentity) {
    super(identity)
    this.ledger = new TokenLedger(identity.seeded)
  }

  add(record: CodexRecord): void {
    this.trackReplay(record)
    if (record.time !== undefined) {
      this.lastTime = record.time
      this.updated = Math.max(this.updated, record.time)
    }
    switch (record.type) {
      case "session_meta":
        return this.onSessionMeta(record)
      case "turn_context":
        return this.onTurnContext(record)
      case "response_item":
        return this.onResponseItem(record)
      case "event_msg":
        return this.onEvent(record)
      case "compacted":
        return this.onCompacted(record)
      default:
        return this.keep(record)
    }
  }

  /** Ends the file: decides what is still pending and closes calls that never got a result. */
  finish(): void {
    this.prompts.resolve()
    this.closeStep()
    this.echoes.flush()
    this.flushContext()
    this.tools.interruptAll(this.lastTime)
    const firstReply = new Map<string, string>()
    for (const message of this.messages) {
      if (message.info.role === "assistant" && !firstReply.has(message.info.parentID)) firstReply.set(message.info.parentID, message.info.modelID)
    }
    for (const message of this.messages) {
      if (message.info.role === "user" && !message.info.model.modelID) message.info.model.modelID = firstReply.get(message.info.id) ?? this.settings.model ?? "unknown"
    }
  }

  protected override endTurn(): void {
    this.echoes.flush()
  }

  private trackReplay(record: CodexRecord): void {
    if (!this.replaying) return
    if (record.time !== undefined && this.replayLast !== undefined && record.time - this.replayLast > REPLAY_GAP_MS) {
      this.replaying = false
      return
    }
    this.replays.at(-1)!.toLine = record.line
    if (record.time !== undefined) this.replayLast = record.time
  }

  /** A later `session_meta`: the same thread (kept), or a copied parent's, which starts a replay (spec 2.6). */
  private onSessionMeta(record: CodexRecord): void {
    if (record.line === this.identity.metaLine) return
    const id = stringOf(record.payload.id)
    if (!id || id === this.identity.threadID) {
      this.duplicateMetas.push({ line: record.line, payload: record.payload })
      return
    }
    this.copiedMetas.push({ line: record.line, payload: record.payload })
    if (!this.replaying) this.replays.push({ fromLine: record.line, toLine: record.line })
    this.replaying = true
    this.replayLast = record.time ?? this.replayLast
  }

  /** Model, cwd, effort and mode of the following calls; kept in session metadata (identical repeats counted). */
  private onTurnContext(record: CodexRecord): void {
    const payload = record.payload
    const mode = isObject(payload.collaboration_mode) ? payload.collaboration_mode.mode : undefined
    this.settings = {
      model: stringOf(payload.model) ?? this.settings.model,
      cwd: stringOf(payload.cwd) ?? this.settings.cwd,
      effort: stringOf(payload.effort) ?? this.settings.effort,
      agent: mode === "plan" ? "plan" : "build",
    }
    const last = this.turnContexts.at(-1)
    if (last && JSON.stringify(last.payload) === JSON.stringify(payload)) last.repeats++
    else this.turnContexts.push({ line: record.line, timestamp: record.timestamp, payload, repeats: 0 })
  }

  private onResponseItem(record: CodexRecord): void {
    const item = record.payload
    const type = item.type as string
    if (type === "message") {
      const role = stringOf(item.role)
      if (role === "user") return this.prompts.item(record)
      if (role === "assistant") return this.onAssistantText(record)
      if (role === "developer" || role === "system") return this.addContext(record, textOfContent(item.content), role, rest(item, ["type", "role", "content"]))
      return this.keep(record)
    }
    if (type === "reasoning") return this.onReasoning(record)
    if (TOOL_CALLS.has(type)) return this.tools.call(record, this.stepFor(record))
    if (TOOL_OUTPUTS.has(type)) {
      if (this.step) this.step.inputSeen = true
      if (!this.tools.output(record)) this.keep(record)
      return
    }
    if (type === "agent_message") {
      // inter-agent message (0.14x+): input from another agent, imported as a prompt
      this.prompts.resolve()
      this.codexOf(this.prompts.prompt(record, item.content).part).agentMessage = true
      return
    }
    this.keep(record)
  }

  private onEvent(record: CodexRecord): void {
    const event = record.payload
    switch (event.type) {
      case "user_message":
        return this.prompts.event(record)
      case "agent_message":
        return this.echoes.event(record, "text", stringOf(event.message) ?? "", meaningful(rest(event, ["type", "message", "phase"])))
      case "agent_reasoning":
      case "agent_reasoning_raw_content":
        return this.echoes.event(record, "reasoning", stringOf(event.text) ?? "", meaningful(rest(event, ["type", "text"])))
      case "token_count":
        return this.onTokenCount(record)
      case "task_started":
        this.keep(record)
        // 0.14x records the prompt before `task_started`: a prompt with no reply yet belongs to this turn
        if (!(this.user && this.turnHasPrompt && !this.turnAssistant)) {
          this.turnOpen = false
          this.turnHasPrompt = false
        }
        return
      case "task_complete":
      case "turn_aborted":
      case "error": {
        this.keep(record)
        if (event.type !== "error") this.turnOpen = false
        if (event.type === "turn_aborted") return this.setTurnError(record, { name: "MessageAbortedError", data: { message: stringOf(event.reason) ?? "aborted" } })
        const message = stringOf(event.message) ?? (isObject(event.error) ? stringOf(event.error.message) : undefined)
        if (message) this.setTurnError(record, { name: "UnknownError", data: { message } })
        return
      }
      case "thread_name_updated":
        if (!this.replaying) this.threadName = stringOf(event.thread_name) ?? this.threadName
        return this.keep(record)
      default:
        if (!this.tools.event(record)) this.keep(record)
    }
  }

  /** The model call an output item belongs to: the open one, or a new one after an input. */
  private stepFor(record: CodexRecord): Step {
    this.prompts.resolve()
    const step = this.step && !this.step.inputSeen ? this.step : this.openStep(record)
    step.last = this.time(record)
    return step
  }

  private onAssistantText(record: CodexRecord): void {
    const item = record.payload
    const step = this.stepFor(record)
    const text = textOfContent(item.content)
    const extra = rest(item, ["type", "role", "content"])
    const unmapped = unmappedContent(item.content)
    const part = this.textPart(step.draft, record, "text", text, { ...(extra ? { item: extra } : {}), ...(unmapped ? { content: unmapped } : {}) })
    this.addFiles(step.draft, record, imagesOfContent(item.content))
    this.echoes.register(part, "text", [text])
  }

  /** A `reasoning` item: its summary (or raw content) as text; `encrypted_content` and the rest in metadata. */
  private onReasoning(record: CodexRecord): void {
    const item = record.payload
    const step = this.stepFor(record)
    const time = this.time(record)
    const summaries = texts(item.summary)
    const contents = texts(item.content)
    const usesContent = summaries.length === 0 && contents.length > 0
    const extra = rest(item, usesContent ? ["type", "summary", "content"] : ["type", "summary"])
    const part = this.addPart(step.draft, {
      id: this.id("part", `${record.line}:reasoning`, time),
      sessionID: this.identity.sessionID,
      messageID: step.draft.info.id,
      type: "reasoning",
      text: (usesContent ? contents : summaries).join("\n\n"),
      time: { start: time, end: time },
      metadata: { codex: { line: record.line, ...(extra ? { item: extra } : {}) } },
    })
    this.echoes.register(part, "reasoning", [...summaries, ...contents])
  }

  /** Closes the model call with its usage; rows that count nothing are noted on the last `step-finish`. */
  private onTokenCount(record: CodexRecord): void {
    const info = record.payload.info
    const rateLimits = record.payload.rate_limits
    const observation = this.ledger.observe(info, this.replaying)
    if (observation.kind === "usage") {
      this.prompts.resolve()
      const usageOnly = !this.step
      if (usageOnly) this.openStep(record)
      this.closeStep(record, observation, { ...(info as JsonObject), ...(rateLimits !== undefined ? { rate_limits: rateLimits } : {}) })
      if (usageOnly) this.codexOf(this.lastStepFinish!).usageOnly = true
      this.lastRateLimits = JSON.stringify(rateLimits ?? null)
      return
    }
    const note: JsonObject = { line: record.line, timestamp: record.timestamp, skipped: observation.kind }
    const limits = JSON.stringify(rateLimits ?? null)
    if (limits !== this.lastRateLimits) note.rate_limits = rateLimits
    this.lastRateLimits = limits
    const target = this.lastStepFinish ? ((this.codexOf(this.lastStepFinish).skippedTokenCounts ??= []) as JsonObject[]) : this.skippedTokenCounts
    target.push(note)
  }

  /** `compacted` (spec 2.5): a user message with a `compaction` part, then the summary as a `summary: true` reply. */
  private onCompacted(record: CodexRecord): void {
    this.prompts.resolve()
    const compacted = record.payload
    const auto = this.turnHasPrompt
    const user = this.newUser(record, "compaction", false)
    const time = this.time(record)
    this.addPart(user, { id: this.id("part", `${record.line}:compaction`, time), sessionID: this.identity.sessionID, messageID: user.info.id, type: "compaction", auto })
    const step = this.openStep(record)
    Object.assign(step.draft.info, { summary: true, mode: "compaction", agent: "compaction" })
    const summary = stringOf(compacted.message)
    const extra = rest(compacted, ["message"])
    const codex = { autoInferred: true, ...(extra ? { compacted: extra } : {}) }
    if (summary) this.textPart(step.draft, record, "summary", summary, codex)
    else this.textPart(step.draft, record, "summary", "[remote compaction: the summary is encrypted; the replacement history is in metadata]", codex, { synthetic: true })
    this.closeStep(record)
  }
}

function texts(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item) => (isObject(item) && typeof item.text === "string" ? [item.text] : typeof item === "string" ? [item] : []))
}
