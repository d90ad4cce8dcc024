import type { ModelMessage } from "ai"
import { runAgentTurn, type StepUsage, type TurnResult } from "../agent/index.ts"
import type { Config } from "../config/index.ts"
import { createId } from "../id/index.ts"
import { preparePrompt } from "../provider/cache.ts"
import { classifyError, ContextOverflowError, resolveModel, type MessageError, type ResolvedModel } from "../provider/index.ts"
import type { Snapshot } from "../snapshot/index.ts"
import { builtinTools, type FileGuard, type PermissionRequest, type ToolDefinition } from "../tool/index.ts"
import { toolAllowed } from "../config/index.ts"
import {
  disabledTools,
  evaluate,
  PermissionDeniedError,
  PermissionRejectedError,
  rulesFromTools,
  turnRuleset,
  type AskInput,
  type PermissionRegistry,
} from "../permission/index.ts"
import type { Logger } from "../util/log.ts"
import { chooseCachePlan, type CacheDecision, type PrefixTracker } from "./cache-policy.ts"
import { COMPACTION_SYSTEM, CONTINUE_TEXT, compactionPrompt, contextSize, estimateTokens, filterCompacted, isCompactionRequest, usableContext } from "./compaction.ts"
import { SessionEvent } from "./events.ts"
import { orderByTurn, toModelMessages } from "./history.ts"
import { repository } from "./repository.ts"
import type { AssistantMessage, Part, SessionInfo, UserMessage, WithParts } from "./schema.ts"
import type { StatusMap } from "./status.ts"
import { systemPrompt } from "./system.ts"
import { assistantMessage, createTurnRecorder } from "./turn-recorder.ts"
import type { Writer } from "./writer.ts"

/** Dependencies of a turn, wired at the composition root. */
export interface TurnDeps {
  writer: Writer
  status: StatusMap
  config: () => Config
  log: Logger
  env: NodeJS.ProcessEnv
  /** The environment of the agent's shell commands (`ToolContext.env`; computed at the composition root). */
  shellEnv?: () => Record<string, string>
  /** Resolves models; injectable so tests can count calls. Defaults to `resolveModel`. */
  resolve?: typeof resolveModel
  /** Remembers each session's previous request to report prompt-prefix breaks. */
  prefixes?: PrefixTracker
  /** The instruction text (AGENTS.md and friends) for a session directory; part of the stable block. */
  instructions?: (directory: string, worktree: string) => Promise<string | undefined>
  /**
   * Pending permission requests: tool calls the rules say to `ask` about wait here for the user's reply.
   * Absent → rules are still enforced, and `ask` is refused (nobody could answer).
   */
  permissions?: PermissionRegistry
}

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

const DEFAULT_MAX_STEPS = 100

/**
 * Runs the agent for one user message and records everything (see `createTurnRecorder`). When the next
 * request would not fit the model's usable context — or the provider says it did not fit — the
 * conversation is compacted once and the turn continues from the summary; if it still does not fit,
 * the turn stops with `ContextOverflowError` instead of compacting again (OpenCode #27924, #16882).
 * A user message carrying a `compaction` part (`POST /summarize`) is answered with a summary only.
 *
 * Contract: never throws for provider, tool or abort failures; returns the last assistant message with
 * its parts (or undefined when none could be created).
 */
export async function runTurn(deps: TurnDeps, context: TurnContext): Promise<WithParts | undefined> {
  const { session, user, worktree } = context
  const { writer } = deps
  const directory = session.directory
  let model: ResolvedModel
  try {
    model = (deps.resolve ?? resolveModel)(user.model, deps.config(), deps.env)
  } catch (error) {
    const failed = assistantMessage(session, user, worktree, Date.now())
    failed.error = (error as { name?: string }).name === "ProviderAuthError" ? (error as { toObject(): MessageError }).toObject() : classifyError(error, user.model.providerID).error
    failed.time.completed = Date.now()
    failed.finish = "error"
    await writer.message(failed, directory)
    writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error: failed.error }, directory)
    return { info: failed, parts: [] }
  }

  const turn = new Turn(deps, context, model)
  return turn.run()
}

/** One turn in progress: its model, stable prompt block, recorder and compaction state. */
class Turn {
  readonly deps: TurnDeps
  readonly context: TurnContext
  readonly model: ResolvedModel
  readonly usable: number | undefined
  readonly tools: ToolDefinition[]
  readonly agent: NonNullable<Config["agent"]>[string] | undefined
  readonly recorder
  #decision: CacheDecision | undefined
  #stable: string[] = []
  #compacted = false
  #answer: UserMessage

  constructor(deps: TurnDeps, context: TurnContext, model: ResolvedModel) {
    this.deps = deps
    this.context = context
    this.model = model
    this.usable = usableContext(model.info, deps.config())
    this.#answer = context.user
    // `agent.<name>` in config: its own prompt, allowed tools and step limit (OpenCode's agents, spec 10.3).
    this.agent = deps.config().agent?.[context.user.agent]
    // Tools the rules deny outright (and a prompt's `tools: {name: false}`) are not offered at all.
    const disabled = disabledTools(builtinTools().map((tool) => tool.name), this.#ruleset(context.session))
    this.tools = builtinTools().filter((tool) => toolAllowed(this.agent?.tools, tool.name) !== false && !disabled.has(tool.name))
    this.recorder = createTurnRecorder(deps, { ...context, model, decision: () => this.#decision, ask: (call, request) => this.#ask(call, request) })
  }

  /**
   * The turn's permission rules (OpenCode's order, later wins): defaults, agent, config `permission`,
   * `agent.<name>.permission`, the session's rules, then the prompt's `tools` map.
   */
  #ruleset(session: SessionInfo) {
    return turnRuleset(this.deps.config(), this.context.user.agent, session.permission, rulesFromTools(this.context.user.tools))
  }

  /**
   * A tool call's permission check. The session is re-read for each call, so rules added meanwhile (an
   * `always` reply, a `PATCH /session`) apply to the very next call. Rejects with the message the model sees.
   */
  async #ask(call: { callID: string; tool: string; messageID: string }, request: PermissionRequest): Promise<void> {
    const { session, abort } = this.context
    const latest = (await repository.getSession(this.deps.writer.db, session.id)) ?? session
    const input = {
      sessionID: session.id,
      directory: session.directory,
      ...request,
      tool: { messageID: call.messageID, callID: call.callID },
      ruleset: this.#ruleset(latest),
      abort,
    }
    if (this.deps.permissions) return this.deps.permissions.ask(input)
    return refuseAsk(input)
  }

  async run(): Promise<WithParts | undefined> {
    const { session, user } = this.context
    const instructions = await this.deps.instructions?.(session.directory, this.context.worktree)
    // The stable block first (identical for every session of the project), per-turn text after it.
    this.#stable = [
      systemPrompt({ model: this.model, directory: session.directory, worktree: this.context.worktree, prompt: this.agent?.prompt }),
      ...(instructions ? [instructions] : []),
    ]

    if (isCompactionRequest({ info: user, parts: await this.#parts(user.id) })) {
      const summary = await this.#summarise(user)
      return summary
    }

    for (;;) {
      const ordered = await this.#ordered()
      const result = await this.#agent(ordered)
      const overflowed = result.finish === "overflow" || result.error?.name === "ContextOverflowError"
      if (!overflowed) return this.#finish(result)
      if (this.#compacted || this.usable === undefined) {
        return this.#finish({ ...result, error: this.#overflowError(this.#compacted ? "The context is still too large after compacting it once" : "The context is too large for the model") })
      }
      const resumed = await this.#compact()
      if (!resumed) return this.recorder.last()
    }
  }

  /** Messages of the session up to this turn, in turn order. */
  async #ordered(): Promise<WithParts[]> {
    const stored = await repository.listMessages(this.deps.writer.db, this.context.session.id)
    return orderByTurn(stored.items, this.#answer.id)
  }

  async #parts(messageID: string): Promise<Part[]> {
    return (await repository.parts(this.deps.writer.db, [messageID])).get(messageID) ?? []
  }

  /** Runs the agent loop on the compaction-aware window of history. */
  async #agent(ordered: WithParts[]): Promise<TurnResult> {
    const { session } = this.context
    const history = toModelMessages(filterCompacted(ordered), this.model.providerID)
    const system = [...this.#stable, ...(this.context.user.system ? [this.context.user.system] : [])]
    const plan = chooseCachePlan(this.deps.config().cache?.ttl, ordered)
    const toolsSignature = JSON.stringify(this.tools.map((tool) => [tool.name, tool.description]))
    const lastUsage = previousUsage(ordered)
    return runAgentTurn({
      model: this.model.language,
      providerID: this.model.providerID,
      system,
      messages: history,
      tools: this.tools,
      maxSteps: this.agent?.steps ?? this.deps.config().steps ?? DEFAULT_MAX_STEPS,
      maxOutputTokens: maxOutputTokens(this.model),
      abort: this.context.abort,
      toolContext: this.recorder.toolContext,
      emit: this.recorder.handle,
      providerOptions: providerOptions(this.model, session),
      beforeStep: ({ step, usage }) => {
        const size = usage ? contextSize(usage) : step === 1 ? lastUsage : 0
        return this.usable !== undefined && size >= this.usable ? "stop" : "continue"
      },
      prepare: (request) => {
        const prepared = preparePrompt(this.model, { system: request.system, stableBlocks: this.#stable.length, messages: request.messages }, plan)
        const prefixBreak = this.deps.prefixes?.check(session.id, { tools: toolsSignature, instructions: prepared.instructions, messages: prepared.messages })
        if (prefixBreak) this.deps.log.warn({ sessionID: session.id, block: prefixBreak }, "prefix break: the prompt changed before the last cache breakpoint")
        this.#decision = { ...plan, breakpoints: prepared.breakpoints, ...(prefixBreak ? { prefixBreak } : {}) }
        return prepared
      },
    })
  }

  /**
   * Automatic compaction: a compaction request, its summary, and a synthetic "continue" message that
   * the rest of the turn answers. Returns false when the summary failed or does not shrink the context.
   */
  async #compact(): Promise<boolean> {
    const { session } = this.context
    const { writer } = this.deps
    const now = Date.now()
    const request: UserMessage = { ...this.#answer, id: createId("message"), time: { created: now }, agent: this.context.user.agent, system: undefined, tools: undefined }
    delete request.system
    delete request.tools
    delete request.summary
    await writer.message(request, session.directory)
    await writer.part({ id: createId("part"), sessionID: session.id, messageID: request.id, type: "compaction", auto: true, overflow: true }, session.directory)
    this.#compacted = true
    const summary = await this.#summarise(request)
    if (!summary || summary.info.role !== "assistant" || summary.info.error) return false

    const size = summary.info.tokens.output + estimateTokens(this.#stable.join("\n")) + estimateTokens(CONTINUE_TEXT)
    if (this.usable !== undefined && size >= this.usable) {
      const error = this.#overflowError("Compaction did not shrink the context below the model's limit")
      writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error }, session.directory)
      return false
    }
    const resume: UserMessage = { ...request, id: createId("message"), time: { created: Date.now() } }
    await writer.message(resume, session.directory)
    await writer.part(
      { id: createId("part"), sessionID: session.id, messageID: resume.id, type: "text", text: CONTINUE_TEXT, synthetic: true, metadata: { compaction_continue: true } },
      session.directory,
    )
    this.#answer = resume
    this.recorder.answer(resume)
    writer.bus.publish(SessionEvent.Compacted, { sessionID: session.id }, session.directory)
    return true
  }

  /** Writes the summary of the history before `request` as an assistant message with `summary: true`. */
  async #summarise(request: UserMessage): Promise<WithParts | undefined> {
    const { session } = this.context
    const stored = await repository.listMessages(this.deps.writer.db, session.id)
    const ordered = orderByTurn(stored.items, request.id)
    const before = ordered.filter((message) => message.info.id !== request.id)
    const recorder = createTurnRecorder(this.deps, {
      ...this.context,
      user: request,
      model: this.model,
      snapshot: undefined,
      decision: () => undefined,
      assistant: { summary: true, agent: "compaction", mode: "compaction" },
    })
    const messages: ModelMessage[] = compactionPrompt(filterCompacted(before))
    const result = await runAgentTurn({
      model: this.model.language,
      providerID: this.model.providerID,
      system: [COMPACTION_SYSTEM],
      messages,
      tools: [],
      maxSteps: 1,
      maxOutputTokens: maxOutputTokens(this.model),
      abort: this.context.abort,
      toolContext: recorder.toolContext,
      emit: recorder.handle,
    })
    const summary = recorder.last()
    if (result.error) {
      const error = result.error.name === "ContextOverflowError" ? this.#overflowError("The conversation is too large to compact") : result.error
      if (summary && summary.info.role === "assistant") await recorder.finishAssistant({ error, finish: "error" })
      this.deps.writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error }, session.directory)
      return recorder.last()
    }
    if (!this.#compacted) this.deps.writer.bus.publish(SessionEvent.Compacted, { sessionID: session.id }, session.directory)
    return summary
  }

  #overflowError(message: string): MessageError {
    return new ContextOverflowError({ message: `${message} (usable context: ${this.usable ?? "unknown"} tokens)` }).toObject() as MessageError
  }

  /** Records a failed turn's error on its last assistant message and publishes `session.error`. */
  async #finish(result: TurnResult): Promise<WithParts | undefined> {
    const { session } = this.context
    // A turn whose record could not be stored (disk full) ends with that error, not the abort it caused.
    const error = this.recorder.failure() ?? result.error
    if (error) {
      const last = this.recorder.last()
      if (last && last.info.role === "assistant" && !(last.info as AssistantMessage).error) await this.recorder.finishAssistant({ error, finish: "error" })
      if (!last) {
        const failed = { ...assistantMessage(session, this.#answer, this.context.worktree, Date.now(), this.model), error, finish: "error" }
        failed.time.completed = Date.now()
        await this.deps.writer.message(failed, session.directory)
        this.deps.writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error }, session.directory)
        return { info: failed, parts: [] }
      }
      this.deps.writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error }, session.directory)
    }
    return this.recorder.last()
  }
}

/** Context size left by the latest finished assistant step in history (tokens; 0 when none). */
function previousUsage(ordered: WithParts[]): number {
  for (let index = ordered.length - 1; index >= 0; index--) {
    const message = ordered[index]
    if (isCompactionRequest(message)) return 0
    const info = message.info
    // A summary's own request held the whole old conversation; what remains of it is its output.
    if (info.role === "assistant" && info.summary) return info.tokens.output
    if (info.role === "assistant" && info.time.completed && !info.error) return contextSize(info.tokens as StepUsage)
  }
  return 0
}

/** Output cap per step: min(model output limit, 32,000) tokens, 32,000 when unknown (OpenCode 9.5). */
function maxOutputTokens(model: ResolvedModel): number {
  return Math.min(model.info.limit?.output || 32_000, 32_000)
}

/** Per-provider request options: OpenAI's prompt cache key is the session id (OpenCode `transform.ts`). */
function providerOptions(model: ResolvedModel, session: SessionInfo): Record<string, Record<string, unknown>> | undefined {
  if (model.api === "openai") return { openai: { promptCacheKey: session.id, store: false } }
  return undefined
}

/** Without a permission registry: rules are enforced, and what would be asked is refused. */
async function refuseAsk(input: AskInput): Promise<void> {
  for (const pattern of input.patterns) {
    const rule = evaluate(input.permission, pattern, input.ruleset)
    if (rule.action === "deny") throw new PermissionDeniedError(input.permission, pattern, rule)
    if (rule.action === "ask") throw new PermissionRejectedError(input.permission, input.patterns, "nobody can answer permission requests here")
  }
}
