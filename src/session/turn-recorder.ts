import type { AgentEvent } from "../agent/index.ts"
import { createId } from "../id/index.ts"
import { stepCost, type MessageError, type ResolvedModel } from "../provider/index.ts"
import type { Snapshot } from "../snapshot/index.ts"
import { builtinTools, type FileGuard, type PermissionRequest, type ToolContext } from "../tool/index.ts"
import type { CacheDecision } from "./cache-policy.ts"
import { MessageEvent } from "./events.ts"
import { repository } from "./repository.ts"
import type { AssistantMessage, Part, SessionInfo, ToolPart, UserMessage, WithParts } from "./schema.ts"
import { createStepSnapshots } from "./step-snapshots.ts"
import { StorageFullError, UnknownError } from "../util/named-error.ts"
import { toStorageError } from "../util/storage-full.ts"
import type { TurnDeps } from "./turn.ts"

const TEXT_SAVE_INTERVAL_MS = 250

/** What the recorder needs about the turn it records. */
export interface RecorderContext {
  session: SessionInfo
  /** The user message the assistant messages answer (`parentID`). */
  user: UserMessage
  worktree: string
  abort: AbortSignal
  model: ResolvedModel
  snapshot?: Snapshot
  files?: FileGuard
  /** The cache decision of the request in flight, recorded on its `step-finish`. */
  decision(): CacheDecision | undefined
  /** Fields every assistant message gets (compaction summaries: `summary`, `agent`, `mode`). */
  assistant?: Partial<Pick<AssistantMessage, "summary" | "agent" | "mode">>
  /**
   * Checks a tool call's permission request against the turn's rules (see `permission/`); absent →
   * everything is allowed. Rejects with the message the model sees when denied or rejected.
   */
  ask?(call: { callID: string; tool: string; messageID: string }, request: PermissionRequest): Promise<void>
}

/**
 * Turns agent events into stored messages and parts (spec 2.3-2.5), each stored before its event is
 * published: one assistant message per LLM step, `step-start`/`step-finish` with snapshots, tokens
 * and cost, text/reasoning parts with `message.part.delta` events (text saved every 250 ms and at its
 * end), tool parts through pending → running → completed | error, `patch` parts for changed files.
 */
export function createTurnRecorder(deps: TurnDeps, context: RecorderContext) {
  const { session, worktree, abort, model } = context
  const { writer } = deps
  const directory = session.directory
  let user = context.user
  // Per-turn diffs belong to the turn's first user message, also after a compaction switched `user`.
  const steps = createStepSnapshots({ snapshot: context.snapshot, writer, log: deps.log, session, user: () => context.user })
  let stepStart: string | undefined
  let stepChangesFiles = false
  const readOnly = new Set(builtinTools().filter((tool) => tool.readOnly).map((tool) => tool.name))
  let assistant: AssistantMessage | undefined
  let parts: Part[] = []
  const open = new Map<string, Extract<Part, { type: "text" | "reasoning" }>>()
  const lastSaved = new Map<string, number>()
  const tools = new Map<string, ToolPart>()

  // The first write of the turn that fails (a full disk: `StorageFullError`) ends the recording: nothing
  // more is stored, and the turn's error becomes this one. The prompt runner aborts the turn on the same
  // failure (see `watchWrites`), so the model and the tools stop instead of running on unrecorded.
  let failure: MessageError | undefined
  const failed = (error: unknown) => {
    if (failure) return
    failure = storageFailure(error)
    deps.log.error({ err: error, sessionID: session.id }, "storing the turn failed; the turn stops")
  }

  // Every part write of the turn goes through one queue, so a tool's progress update can never land
  // after (and overwrite) the tool's final state.
  let writes: Promise<void> = Promise.resolve()
  const savePart = (part: Part): Promise<void> => {
    const index = parts.findIndex((existing) => existing.id === part.id)
    if (index === -1) parts.push(part)
    else parts[index] = part
    if (failure) return Promise.resolve()
    const snapshot = structuredClone(part)
    const write = writes.then(() => (failure ? undefined : writer.part(snapshot, directory)))
    writes = write.catch(failed)
    return write
  }

  const toolPart = (callID: string, tool: string): ToolPart => {
    const existing = tools.get(callID)
    if (existing) return existing
    const created: ToolPart = {
      id: createId("part"),
      sessionID: session.id,
      messageID: assistant!.id,
      type: "tool",
      callID,
      tool,
      state: { status: "pending", input: {}, raw: "" },
    }
    tools.set(callID, created)
    return created
  }

  const toolContext = (call: { callID: string; tool: string }): ToolContext => ({
    sessionID: session.id,
    messageID: assistant!.id,
    callID: call.callID,
    directory,
    abort,
    metadata(update) {
      const part = tools.get(call.callID)
      if (!part || part.state.status !== "running") return
      const group = part.state.metadata?.process
      part.state = { ...part.state, ...update }
      // The recorded process group stays in the metadata however the tool updates it (crash recovery).
      if (group !== undefined && update.metadata) part.state.metadata = { ...update.metadata, process: group }
      void savePart(part).catch((error) => deps.log.warn({ err: error }, "tool metadata update failed"))
    },
    process: async (group) => {
      const part = tools.get(call.callID)
      if (!part || part.state.status !== "running") return
      part.state = { ...part.state, metadata: { ...part.state.metadata, process: group } }
      await savePart(part)
    },
    todos: {
      read: () => repository.todos(writer.db, session.id),
      write: (todos) => writer.todos(session.id, todos, directory),
    },
    files: context.files,
    env: deps.shellEnv?.(),
    ask: (request) => context.ask?.({ callID: call.callID, tool: call.tool, messageID: assistant!.id }, request) ?? Promise.resolve(),
    ...(deps.config().sandbox?.enabled ? { sandbox: { network: deps.config().sandbox?.network ?? false, writable: deps.config().sandbox?.writable ?? [], workTree: worktree } } : {}),
  })

  /**
   * Completes the latest assistant message. After a failed write it ends with the failure instead (e.g.
   * `StorageFullError`, not the `MessageAbortedError` of the abort the failure caused), stored if the
   * database takes it, else only in memory (`last()`).
   */
  const finishAssistant = async (patch: Partial<AssistantMessage>) => {
    if (!assistant) return
    assistant = { ...assistant, ...patch, ...(failure ? { error: failure, finish: "error" } : {}), time: { ...assistant.time, completed: Date.now() } }
    if (!failure) return writer.message(assistant, directory)
    await closeParts()
    await writer.message(assistant, directory).catch((error) => deps.log.warn({ err: error, sessionID: session.id }, "could not store the failed turn's error"))
  }

  /**
   * After a failed write: the step's parts are stored as they are in memory (the failed write may have
   * been a tool's result), those left open closed as crash recovery would close them (a tool still
   * `running` when the turn was aborted becomes `error` "Tool execution aborted", interrupted; a text gets
   * its end). Best effort: the first write that fails stops it (recovery at the next start closes what
   * is left open).
   */
  const closeParts = async () => {
    const now = Date.now()
    for (const [index, part] of parts.entries()) {
      let closed: Part = part
      if (part.type === "tool" && (part.state.status === "pending" || part.state.status === "running")) {
        const start = part.state.status === "running" ? part.state.time.start : now
        const metadata = part.state.status === "running" ? part.state.metadata : undefined
        closed = { ...part, state: { status: "error", input: part.state.input, error: "Tool execution aborted", metadata: { ...metadata, interrupted: true }, time: { start, end: now } } }
      } else if ((part.type === "text" || part.type === "reasoning") && part.time && part.time.end === undefined) {
        closed = { ...part, time: { start: part.time.start, end: now } }
      }
      parts[index] = closed
      try {
        await writer.part(closed, directory)
      } catch (error) {
        deps.log.warn({ err: error, sessionID: session.id }, "could not store the failed turn's parts")
        return
      }
    }
  }

  /** Records one agent event; never throws: a failed write ends the recording (see `failed`). */
  const handle = async (event: AgentEvent) => {
    if (failure) {
      if (event.type === "step-error") await finishAssistant({ finish: "error" })
      return
    }
    try {
      await record(event)
    } catch (error) {
      failed(error)
    }
  }

  const record = async (event: AgentEvent) => {
    switch (event.type) {
      case "step-start": {
        assistant = { ...assistantMessage(session, user, worktree, Date.now(), model), ...context.assistant }
        parts = []
        tools.clear()
        await writer.message(assistant, directory)
        stepChangesFiles = false
        stepStart = await steps.start()
        await savePart({
          id: createId("part"),
          sessionID: session.id,
          messageID: assistant.id,
          type: "step-start",
          ...(stepStart ? { snapshot: stepStart } : {}),
        })
        return
      }
      case "retry":
        deps.status.set(session, { type: "retry", attempt: event.attempt, message: errorMessage(event.error), next: event.next })
        return
      case "text-start":
      case "reasoning-start": {
        if (deps.status.get(session.id).type === "retry") deps.status.set(session, { type: "busy" })
        const part = {
          id: createId("part"),
          sessionID: session.id,
          messageID: assistant!.id,
          type: event.type === "text-start" ? ("text" as const) : ("reasoning" as const),
          text: "",
          time: { start: Date.now() },
        }
        open.set(event.id, part)
        await savePart(part)
        return
      }
      case "text-delta":
      case "reasoning-delta": {
        const part = open.get(event.id)
        if (!part) return
        part.text += event.text
        writer.bus.publish(
          MessageEvent.PartDelta,
          { sessionID: session.id, messageID: part.messageID, partID: part.id, field: "text", delta: event.text },
          directory,
        )
        const now = Date.now()
        if (now - (lastSaved.get(part.id) ?? part.time!.start) >= TEXT_SAVE_INTERVAL_MS) {
          lastSaved.set(part.id, now)
          await writer.savePart(part)
        }
        return
      }
      case "text-end":
      case "reasoning-end": {
        const part = open.get(event.id)
        if (!part) return
        open.delete(event.id)
        part.text = event.text
        part.time = { start: part.time!.start, end: Date.now() }
        if (event.providerMetadata) part.metadata = event.providerMetadata
        await savePart(part)
        return
      }
      case "tool-input-start":
        await savePart(toolPart(event.callID, event.tool))
        return
      case "tool-call": {
        if (!readOnly.has(event.tool)) stepChangesFiles = true
        const part = toolPart(event.callID, event.tool)
        part.state = { status: "running", input: event.input, time: { start: Date.now() } }
        await savePart(part)
        return
      }
      case "tool-result": {
        const part = toolPart(event.callID, event.tool)
        const start = part.state.status === "running" ? part.state.time.start : Date.now()
        part.state = {
          status: "completed",
          input: event.input,
          output: event.result.output,
          title: event.result.title,
          metadata: event.result.metadata,
          time: { start, end: Date.now() },
        }
        await savePart(part)
        return
      }
      case "tool-error": {
        const part = toolPart(event.callID, event.tool)
        const start = part.state.status === "running" ? part.state.time.start : Date.now()
        const metadata = part.state.status === "running" ? part.state.metadata : undefined
        part.state = {
          status: "error",
          input: event.input,
          error: event.error,
          metadata: event.interrupted ? { ...metadata, interrupted: true } : metadata,
          time: { start, end: Date.now() },
        }
        await savePart(part)
        return
      }
      case "step-finish": {
        const tokens = { ...event.usage }
        const write1h = oneHourWrites(event.providerMetadata)
        const cost = stepCost(model.info, tokens, write1h)
        const changes = await steps.finish(stepStart, stepChangesFiles)
        await savePart({
          id: createId("part"),
          sessionID: session.id,
          messageID: assistant!.id,
          type: "step-finish",
          reason: event.finishReason,
          ...(changes ? { snapshot: changes.tree } : {}),
          cost,
          tokens,
          metadata: {
            ...(context.decision() ? { cache: { ...context.decision(), ...(write1h > 0 ? { write1h } : {}) } } : {}),
            ...(changes && changes.skipped.length > 0 ? { snapshot: { skipped: changes.skipped, reason: "larger than the snapshot size cap" } } : {}),
          },
        })
        if (changes && stepStart && changes.files.length > 0) {
          await savePart({ id: createId("part"), sessionID: session.id, messageID: assistant!.id, type: "patch", hash: stepStart, files: changes.files })
        }
        await finishAssistant({ finish: event.finishReason, cost: assistant!.cost + cost, tokens })
        await writer.refreshUsage(session.id)
        if (changes && changes.files.length > 0) await steps.summarise()
        return
      }
      case "step-error": {
        await finishAssistant({ error: event.error.error, finish: "error" })
        return
      }
    }
  }

  return {
    handle,
    toolContext,
    finishAssistant,
    /** The error of the write that ended the recording (`StorageFullError` for a full disk), if any. */
    failure(): MessageError | undefined {
      return failure
    },
    /** The assistant message of the latest step with its parts. */
    last(): WithParts | undefined {
      return assistant ? { info: assistant, parts } : undefined
    },
    /** Later steps answer this message (after a compaction, the synthetic "continue" message). */
    answer(next: UserMessage) {
      user = next
    },
  }
}
export type TurnRecorder = ReturnType<typeof createTurnRecorder>

/** A new, empty assistant message answering `user`. */
export function assistantMessage(session: SessionInfo, user: UserMessage, worktree: string, now: number, model?: ResolvedModel): AssistantMessage {
  return {
    id: createId("message"),
    sessionID: session.id,
    role: "assistant",
    time: { created: now },
    parentID: user.id,
    modelID: model?.modelID ?? user.model.modelID,
    providerID: model?.providerID ?? user.model.providerID,
    mode: user.agent,
    agent: user.agent,
    path: { cwd: session.directory, root: worktree },
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
  }
}

/** 1-hour cache-write tokens from Anthropic's raw usage (`cache_creation.ephemeral_1h_input_tokens`). */
function oneHourWrites(providerMetadata: Record<string, unknown> | undefined): number {
  const usage = (providerMetadata?.anthropic as { usage?: { cache_creation?: { ephemeral_1h_input_tokens?: number } } } | undefined)?.usage
  const value = usage?.cache_creation?.ephemeral_1h_input_tokens
  return typeof value === "number" && value > 0 ? value : 0
}

/** A failed write as the turn's error: `StorageFullError` for a full disk, else `UnknownError` with the cause. */
function storageFailure(error: unknown): MessageError {
  const mapped = toStorageError(error)
  if (StorageFullError.isInstance(mapped)) return mapped.toObject()
  const message = error instanceof Error ? error.message : String(error)
  return new UnknownError({ message: `Could not store the turn: ${message}` }).toObject()
}

function errorMessage(error: MessageError): string {
  const data = error.data as { message?: unknown }
  return typeof data.message === "string" ? data.message : error.name
}
