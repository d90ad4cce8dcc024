import type { AssistantMessage, FilePart, Part, StepFinishPart, TextPart, UserMessage } from "../../session/schema.ts"
import { stableId } from "../ids.ts"
import type { ImageRef } from "./content.ts"
import type { ThreadIdentity } from "./identity.ts"
import type { CodexRecord, JsonObject } from "./records.ts"
import { toTokens, type TokenObservation } from "./tokens.ts"

export type UserDraft = { info: UserMessage; parts: Part[] }
export type AssistantDraft = { info: AssistantMessage; parts: Part[] }
export type Draft = UserDraft | AssistantDraft
/** Parts that carry a `metadata` record (where records with no place of their own are kept). */
export type MetadataPart = Extract<Part, { metadata?: Record<string, unknown> }>

/** A record kept verbatim because it has no place in OpenCode's model. */
export interface KeptRecord {
  line: number
  timestamp?: unknown
  type: string
  payload: JsonObject
}

/** One model call being assembled into an assistant message. */
export interface Step {
  draft: AssistantDraft
  line: number
  start: number
  last: number
  /** An input (tool output, context) was recorded since the call's last output: the next output is a new call. */
  inputSeen: boolean
  /** The call asked for client-side tools (finish reason `tool-calls`). */
  clientTools: boolean
}

/** Injected context (AGENTS.md, `<environment_context>`, developer messages) waiting for its user message. */
interface ContextDraft {
  record: CodexRecord
  text: string
  role: string
  item?: JsonObject
}

export const INTERRUPTED = "[Tool execution was interrupted]"

/**
 * The message/part primitives of one Codex thread in OpenCode's model: user messages (with injected
 * context as synthetic text parts), one assistant message per model call bracketed by `step-start` /
 * `step-finish`, and a metadata anchor (the last part that has `metadata`) where records with no place
 * of their own are kept verbatim. IDs are `stableId`s seeded by thread id + line number, so a file that
 * grew keeps the IDs of its old records.
 */
export class Transcript {
  readonly identity: ThreadIdentity
  readonly seed: string
  readonly messages: Draft[] = []
  /** Settings of the latest `turn_context` (the model of a turn is only there, spec 2.3). */
  settings: { model?: string; cwd?: string; effort?: string; agent: string } = { agent: "build" }
  user: UserDraft | undefined
  step: Step | undefined
  /** The assistant message of the current turn (the latest since `user`). */
  turnAssistant: AssistantDraft | undefined
  lastStepFinish: StepFinishPart | undefined
  turnOpen = false
  /** The current turn had a prompt (a `compacted` record in a turn without one was a manual `/compact`). */
  turnHasPrompt = false
  replaying = false
  lastTime: number
  updated: number
  readonly preamble: KeptRecord[] = []
  private anchor: MetadataPart | undefined
  private pendingContext: ContextDraft[] = []

  constructor(identity: ThreadIdentity) {
    this.identity = identity
    this.seed = `codex:${identity.threadID}`
    this.lastTime = identity.created
    this.updated = identity.created
  }

  /** The record's time, else the last time seen (some lines carry no parseable timestamp). */
  time(record: CodexRecord): number {
    return record.time ?? this.lastTime
  }

  id(kind: "message" | "part", suffix: string, time: number): string {
    return stableId(kind, `${this.seed}:${suffix}`, time)
  }

  /** The `codex` namespace of a part's metadata, created on demand. */
  codexOf(part: MetadataPart): JsonObject {
    part.metadata ??= {}
    return ((part.metadata as JsonObject).codex ??= {}) as JsonObject
  }

  addPart<T extends Part>(draft: Draft, part: T): T {
    draft.parts.push(part)
    if ("metadata" in part || part.type === "text" || part.type === "reasoning" || part.type === "tool" || part.type === "step-finish") {
      const withMetadata = part as MetadataPart
      if (this.replaying) this.codexOf(withMetadata).replayed = true
      this.anchor = withMetadata
    }
    return part
  }

  /** Keeps a record verbatim in the metadata of the nearest (last) part, or the session's before any part. */
  keep(record: CodexRecord): void {
    const kept: KeptRecord = { line: record.line, timestamp: record.timestamp, type: record.type, payload: record.payload }
    if (!this.anchor) {
      this.preamble.push(kept)
      return
    }
    const codex = this.codexOf(this.anchor)
    ;((codex.records ??= []) as KeptRecord[]).push(kept)
  }

  /** A new user message (closing the open model call); injected context waiting for it goes first. */
  newUser(record: CodexRecord, suffix: string, takeContext = true): UserDraft {
    this.closeStep()
    this.endTurn()
    const time = this.time(record)
    const draft: UserDraft = {
      info: {
        id: this.id("message", `${record.line}:${suffix}`, time),
        sessionID: this.identity.sessionID,
        role: "user",
        time: { created: time },
        agent: this.settings.agent,
        model: { providerID: this.identity.providerID, modelID: this.settings.model ?? "" },
      },
      parts: [],
    }
    this.messages.push(draft)
    this.user = draft
    this.turnAssistant = undefined
    if (takeContext) for (const context of this.pendingContext.splice(0)) this.materializeContext(draft, context)
    return draft
  }

  /** Called when a new user message starts a turn, before the turn's reply is forgotten. */
  protected endTurn(): void {}

  /** A text part for a record; `codex` goes to `metadata.codex` (with the record's line). */
  textPart(draft: Draft, record: CodexRecord, suffix: string, text: string, codex: JsonObject, flags: Pick<TextPart, "synthetic" | "ignored"> = {}): TextPart {
    const time = this.time(record)
    return this.addPart(draft, {
      id: this.id("part", `${record.line}:${suffix}`, time),
      sessionID: this.identity.sessionID,
      messageID: draft.info.id,
      type: "text",
      text,
      ...flags,
      time: { start: time, end: time },
      metadata: { codex: { line: record.line, ...codex } },
    })
  }

  /** `file` parts for images of a record. */
  addFiles(draft: Draft, record: CodexRecord, images: ImageRef[]): void {
    for (const file of this.files(draft.info.id, record, images, "file")) this.addPart(draft, file)
  }

  /** File parts (for a message, or a tool result's `attachments`), IDs seeded by the record's line. */
  files(messageID: string, record: CodexRecord, images: ImageRef[], kind: "file" | "attachment"): FilePart[] {
    const time = this.time(record)
    return images.map((image, index) => ({
      id: this.id("part", `${record.line}:${kind}:${index}`, time),
      sessionID: this.identity.sessionID,
      messageID,
      type: "file" as const,
      mime: image.mime,
      url: image.url,
      ...(image.filename ? { filename: image.filename } : {}),
    }))
  }

  /**
   * Injected context: appended to the current turn's user message while the turn is open, else held
   * for the next user message (`forNext` forces that: context recorded just before a prompt).
   */
  addContext(record: CodexRecord, text: string, role: string, item: JsonObject | undefined, forNext = false): void {
    if (this.step) this.step.inputSeen = true
    const context = { record, text, role, item }
    if (this.user && this.turnOpen && !forNext) return this.materializeContext(this.user, context)
    // user items are classified as context only once their turn's prompt is known: keep file order
    const after = this.pendingContext.findIndex((pending) => pending.record.line > record.line)
    this.pendingContext.splice(after < 0 ? this.pendingContext.length : after, 0, context)
  }

  /** Context still waiting at the end of the file: into the last user message, or one of its own. */
  flushContext(): void {
    if (this.pendingContext.length === 0) return
    const target = this.user ?? this.newUser(this.pendingContext[0].record, "context")
    for (const context of this.pendingContext.splice(0)) this.materializeContext(target, context)
  }

  private materializeContext(draft: UserDraft, context: ContextDraft): void {
    this.textPart(draft, context.record, "context", context.text, { context: context.role, ...(context.item ? { item: context.item } : {}) }, { synthetic: true })
  }

  /** Opens an assistant message for a model call; its parent is the turn's user message (or a placeholder). */
  openStep(record: CodexRecord): Step {
    this.closeStep()
    const time = this.time(record)
    const parent = this.user ?? this.placeholderUser(record)
    const draft: AssistantDraft = {
      info: {
        id: this.id("message", `${record.line}:assistant`, time),
        sessionID: this.identity.sessionID,
        role: "assistant",
        time: { created: time },
        parentID: parent.info.id,
        modelID: this.settings.model ?? "unknown",
        providerID: this.identity.providerID,
        mode: this.settings.agent,
        agent: this.settings.agent,
        path: { cwd: this.settings.cwd ?? this.identity.cwd, root: this.identity.cwd },
        cost: 0,
        tokens: toTokens(undefined),
      },
      parts: [],
    }
    if (this.settings.effort) draft.info.variant = this.settings.effort
    this.messages.push(draft)
    this.turnAssistant = draft
    this.addPart(draft, { id: this.id("part", `${record.line}:step-start`, time), sessionID: this.identity.sessionID, messageID: draft.info.id, type: "step-start" })
    this.step = { draft, line: record.line, start: time, last: time, inputSeen: false, clientTools: false }
    return this.step
  }

  /** A user message for replies Codex recorded without one (usage-only rows, replays, sub-agents). */
  private placeholderUser(record: CodexRecord): UserDraft {
    const hadContext = this.pendingContext.length > 0
    const draft = this.newUser(record, "placeholder")
    if (!hadContext) this.textPart(draft, record, "placeholder", "[no user message recorded before this reply]", { placeholder: true }, { synthetic: true, ignored: true })
    return draft
  }

  /**
   * Closes the open model call with a `step-finish`. `usage` is the call's token observation; replayed
   * usage (history copied from a parent thread) is kept in metadata with zero tokens so it is not
   * counted twice. The part's ID depends only on the step's first line, so the same step keeps its ID
   * when a grown file closes it differently.
   */
  closeStep(record?: CodexRecord, usage?: Extract<TokenObservation, { kind: "usage" }>, info?: JsonObject): void {
    const step = this.step
    if (!step) return
    this.step = undefined
    const time = record ? this.time(record) : step.last
    const counted = usage && !usage.replayed ? usage.usage : undefined
    const tokens = toTokens(counted)
    const message = step.draft.info
    const reason = message.error ? "error" : step.clientTools ? "tool-calls" : "stop"
    const codex: JsonObject = {}
    if (usage) {
      codex.usage = usage.usage
      codex.usageFrom = usage.via
      if (usage.replayed) codex.usageReplayed = true
    }
    if (record && info) codex.tokenCount = { line: record.line, timestamp: record.timestamp, ...info }
    if (typeof info?.model === "string" && info.model) message.modelID = info.model
    message.tokens = tokens
    message.time.completed = Math.max(time, message.time.created)
    message.finish = reason
    this.lastStepFinish = this.addPart(step.draft, {
      id: this.id("part", `${step.line}:step-finish`, step.start),
      sessionID: this.identity.sessionID,
      messageID: message.id,
      type: "step-finish",
      reason,
      cost: 0,
      tokens,
      metadata: { codex },
    })
  }

  /** Marks the current turn's model call as failed (an error-only assistant message when it has none). */
  setTurnError(record: CodexRecord, error: NonNullable<AssistantMessage["error"]>): void {
    const target = this.step?.draft ?? this.turnAssistant
    if (target) {
      target.info.error ??= error
      return
    }
    this.openStep(record).draft.info.error = error
    this.closeStep(record)
  }
}
