import { runAgentTurn, type AgentEvent } from "../agent/index.ts"
import { classifyError, resolveModel, stepCost, type MessageError, type ResolvedModel } from "../provider/index.ts"
import { builtinTools, type ToolContext } from "../tool/index.ts"
import { createId } from "../id/index.ts"
import type { Config } from "../config/index.ts"
import type { Logger } from "../util/log.ts"
import { MessageEvent, SessionEvent } from "./events.ts"
import { orderByTurn, toModelMessages } from "./history.ts"
import { repository } from "./repository.ts"
import type { AssistantMessage, Part, SessionInfo, ToolPart, UserMessage, WithParts } from "./schema.ts"
import type { StatusMap } from "./status.ts"
import { systemPrompt } from "./system.ts"
import type { Writer } from "./writer.ts"
import type { Snapshot } from "../snapshot/index.ts"
import type { FileGuard } from "../tool/index.ts"
import { createStepSnapshots } from "./step-snapshots.ts"
import { chooseCachePlan, type CacheDecision, type PrefixTracker } from "./cache-policy.ts"
import { preparePrompt } from "../provider/cache.ts"

/** Dependencies of a turn, wired at the composition root. */
export interface TurnDeps {
  writer: Writer
  status: StatusMap
  config: () => Config
  log: Logger
  env: NodeJS.ProcessEnv
  /** Resolves models; injectable so tests can count calls. Defaults to `resolveModel`. */
  resolve?: typeof resolveModel
  /** Remembers each session's previous request to report prompt-prefix breaks. */
  prefixes?: PrefixTracker
  /** The instruction text (AGENTS.md and friends) for a session directory; part of the stable block. */
  instructions?: (directory: string, worktree: string) => Promise<string | undefined>
}

const TEXT_SAVE_INTERVAL_MS = 250
const DEFAULT_MAX_STEPS = 100

/**
 * Runs the agent for one user message and records everything: one assistant message per LLM step
 * (as OpenCode), text/reasoning parts with `message.part.delta` events, tool parts through
 * pending → running → completed | error, `step-start`/`step-finish` parts with tokens and cost, the
 * assistant's error when the turn fails, and the session's usage totals.
 *
 * Contract: never throws for provider, tool or abort failures; returns the last assistant message with
 * its parts (or undefined when none could be created).
 */
/** Per-turn inputs resolved by the caller. */
export interface TurnContext {
  session: SessionInfo
  user: UserMessage
  /** Repository worktree, or the session directory outside git (`AssistantMessage.path.root`). */
  worktree: string
  abort: AbortSignal
  /** Snapshot store of the work tree; absent when snapshots are unavailable. */
  snapshot?: Snapshot
  /** Stale-write protection for this session's file tools. */
  files?: FileGuard
}

export async function runTurn(deps: TurnDeps, context: TurnContext): Promise<WithParts | undefined> {
  const { session, user, worktree, abort } = context
  const { writer } = deps
  const directory = session.directory
  let model: ResolvedModel
  try {
    model = (deps.resolve ?? resolveModel)(user.model, deps.config(), deps.env)
  } catch (error) {
    const failed = assistantMessage(session, user, worktree, Date.now())
    failed.error = classifyError(error, user.model.providerID).error
    if ((error as { name?: string }).name === "ProviderAuthError") failed.error = (error as { toObject(): MessageError }).toObject()
    failed.time.completed = Date.now()
    failed.finish = "error"
    await writer.message(failed, directory)
    writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error: failed.error }, directory)
    return { info: failed, parts: [] }
  }

  const stored = await repository.listMessages(writer.db, session.id)
  const history = toModelMessages(orderByTurn(stored.items, user.id), model.providerID)

  // The stable block first (identical for every session of the project), per-turn text after it.
  const instructions = await deps.instructions?.(directory, worktree)
  const stable = [systemPrompt({ model, directory, worktree }), ...(instructions ? [instructions] : [])]
  const system = [...stable, ...(user.system ? [user.system] : [])]
  const ordered = orderByTurn(stored.items, user.id)
  const plan = chooseCachePlan(deps.config().cache?.ttl, ordered)
  const toolset = builtinTools()
  const toolsSignature = JSON.stringify(toolset.map((tool) => [tool.name, tool.description]))
  let decision: CacheDecision = plan
  const prepare = (request: { system: string[]; messages: typeof history }) => {
    const prepared = preparePrompt(model, { system: request.system, stableBlocks: stable.length, messages: request.messages }, plan)
    const prefixBreak = deps.prefixes?.check(session.id, { tools: toolsSignature, instructions: prepared.instructions, messages: prepared.messages })
    if (prefixBreak) deps.log.warn({ sessionID: session.id, block: prefixBreak }, "prefix break: the prompt changed before the last cache breakpoint")
    decision = { ...plan, breakpoints: prepared.breakpoints, ...(prefixBreak ? { prefixBreak } : {}) }
    return prepared
  }

  const steps = createStepSnapshots({ snapshot: context.snapshot, writer, log: deps.log, session, user })
  let stepStart: string | undefined
  let stepChangesFiles = false
  const readOnly = new Set(builtinTools().filter((tool) => tool.readOnly).map((tool) => tool.name))
  let assistant: AssistantMessage | undefined
  let parts: Part[] = []
  const open = new Map<string, Extract<Part, { type: "text" | "reasoning" }>>()
  const lastSaved = new Map<string, number>()
  const tools = new Map<string, ToolPart>()

  // Every part write of the turn goes through one queue, so a tool's progress update can never land
  // after (and overwrite) the tool's final state.
  let writes: Promise<void> = Promise.resolve()
  const savePart = (part: Part): Promise<void> => {
    const index = parts.findIndex((existing) => existing.id === part.id)
    if (index === -1) parts.push(part)
    else parts[index] = part
    const snapshot = structuredClone(part)
    const write = writes.then(() => writer.part(snapshot, directory))
    writes = write.catch((error) => deps.log.error({ err: error }, "part write failed"))
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
      part.state = { ...part.state, ...update }
      void savePart(part).catch((error) => deps.log.warn({ err: error }, "tool metadata update failed"))
    },
    todos: {
      read: () => repository.todos(writer.db, session.id),
      write: (todos) => writer.todos(session.id, todos, directory),
    },
    files: context.files,
  })

  const finishAssistant = async (patch: Partial<AssistantMessage>) => {
    if (!assistant) return
    assistant = { ...assistant, ...patch, time: { ...assistant.time, completed: Date.now() } }
    await writer.message(assistant, directory)
  }

  const handle = async (event: AgentEvent) => {
    switch (event.type) {
      case "step-start": {
        assistant = assistantMessage(session, user, worktree, Date.now(), model)
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
            cache: { ...decision, ...(write1h > 0 ? { write1h } : {}) },
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

  const result = await runAgentTurn({
    model: model.language,
    providerID: model.providerID,
    system,
    messages: history,
    tools: toolset,
    maxSteps: deps.config().steps ?? DEFAULT_MAX_STEPS,
    abort,
    toolContext,
    emit: handle,
    providerOptions: providerOptions(model, session),
    prepare,
  })

  if (result.error) {
    if (assistant && !assistant.error) await finishAssistant({ error: result.error, finish: "error" })
    writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error: result.error }, directory)
  }
  return assistant ? { info: assistant, parts } : undefined
}

function assistantMessage(session: SessionInfo, user: UserMessage, worktree: string, now: number, model?: ResolvedModel): AssistantMessage {
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

/** Per-provider request options: OpenAI's prompt cache key is the session id (OpenCode `transform.ts`). */
function providerOptions(model: ResolvedModel, session: SessionInfo): Record<string, Record<string, unknown>> | undefined {
  if (model.api === "openai") return { openai: { promptCacheKey: session.id, store: false } }
  return undefined
}

/** 1-hour cache-write tokens from Anthropic's raw usage (`cache_creation.ephemeral_1h_input_tokens`). */
function oneHourWrites(providerMetadata: Record<string, unknown> | undefined): number {
  const usage = (providerMetadata?.anthropic as { usage?: { cache_creation?: { ephemeral_1h_input_tokens?: number } } } | undefined)?.usage
  const value = usage?.cache_creation?.ephemeral_1h_input_tokens
  return typeof value === "number" && value > 0 ? value : 0
}

function errorMessage(error: MessageError): string {
  const data = error.data as { message?: unknown }
  return typeof data.message === "string" ? data.message : error.name
}

