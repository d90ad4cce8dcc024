import type { LanguageModel, ModelMessage, SystemModelMessage, ToolSet } from "ai"
import { aiSdk, classifyError, type ClassifiedError } from "../provider/index.ts"
import type { ToolContext, ToolDefinition, ToolResult } from "../tool/index.ts"
import { MAX_ATTEMPTS, retryDelay, sleep as defaultSleep } from "../util/retry.ts"
import type { AgentEvent, StepUsage, TurnResult } from "./events.ts"
import { toStepUsage } from "./usage.ts"

/** Everything one agent turn needs; the loop has no storage, bus or HTTP of its own. */
export interface AgentTurnInput {
  model: LanguageModel
  providerID: string
  /** System prompt blocks, sent in order before the history. */
  system: string[]
  /** History so far, ending with the user prompt of this turn. Extended in place as steps complete. */
  messages: ModelMessage[]
  tools: ToolDefinition[]
  /** Hard cap on LLM calls in this turn; the last allowed step is sent without tools. */
  maxSteps: number
  abort: AbortSignal
  /** Builds the context a tool call runs with. */
  toolContext(call: { callID: string; tool: string }): ToolContext
  /** Receives every event; awaited, so a slow sink applies back-pressure and keeps order. */
  emit(event: AgentEvent): Promise<void> | void
  /** Output token cap per step (tokens); the provider's default when absent. */
  maxOutputTokens?: number
  /** Provider options forwarded to `streamText` (prompt-cache keys and the like). */
  providerOptions?: Record<string, Record<string, unknown>>
  /**
   * Turns the system blocks and history into the request actually sent (cache breakpoints, prefix
   * diagnostics). Must not change the meaning of the prompt. Default: one system message per block.
   */
  prepare?(request: { step: number; system: string[]; messages: ModelMessage[] }): { instructions: SystemModelMessage[]; messages: ModelMessage[] }
  /**
   * Asked before every step with the previous step's usage (none before the first): `"stop"` ends the
   * turn with finish `"overflow"` before anything is sent (the session compacts, then starts again).
   */
  beforeStep?(input: { step: number; usage?: StepUsage }): Promise<"continue" | "stop"> | "continue" | "stop"
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

const MAX_STEPS_NOTE =
  "The maximum number of steps for this turn has been reached. Tools are disabled. Reply with text only: summarise what was done and what remains."

/**
 * Runs one agent turn: call the model, execute the tool calls it makes, feed the results back, and
 * repeat until the model stops calling tools, the step limit is hit, the turn is aborted or a step fails.
 * One provider call per step (the AI SDK never executes tools here).
 *
 * Contract: never throws for provider or tool failures — they are reported as events and in the
 * result (pi-mono's "errors are data"). Retryable provider failures that happen before a step produced
 * any output are retried up to 5 times with backoff, honouring `retry-after`.
 */
export async function runAgentTurn(input: AgentTurnInput): Promise<TurnResult> {
  const sleep = input.sleep ?? defaultSleep
  const toolsByName = new Map(input.tools.map((definition) => [definition.name, definition]))
  const toolSet: ToolSet = {}
  for (const definition of [...input.tools].sort((a, b) => a.name.localeCompare(b.name))) {
    toolSet[definition.name] = aiSdk().tool({ description: definition.description, inputSchema: definition.parameters })
  }

  let finish = "unknown"
  let usage: StepUsage | undefined
  for (let step = 1; step <= input.maxSteps; step++) {
    if (input.abort.aborted) return { finish: "aborted", steps: step - 1, error: classifyError(undefined, input.providerID, true).error }
    if (input.beforeStep && (await input.beforeStep({ step, usage })) === "stop") return { finish: "overflow", steps: step - 1 }
    const lastStep = step === input.maxSteps && input.tools.length > 0
    await input.emit({ type: "step-start", step })
    const outcome = await runStepWithRetry(input, step, lastStep ? {} : toolSet, lastStep, toolsByName, sleep)
    if (outcome.kind === "error") {
      await input.emit({ type: "step-error", step, error: outcome.error })
      return { finish: "error", steps: step, error: outcome.error.error }
    }
    finish = outcome.finishReason
    usage = outcome.usage
    if (input.abort.aborted) {
      return { finish: "aborted", steps: step, error: classifyError(undefined, input.providerID, true).error }
    }
    if (outcome.toolCalls === 0 || finish !== "tool-calls") return { finish, steps: step }
  }
  return { finish, steps: input.maxSteps }
}

type ToolResultContent = Extract<ModelMessage, { role: "tool" }>["content"]

type StepOutcome = { kind: "done"; finishReason: string; toolCalls: number; usage: StepUsage } | { kind: "error"; error: ClassifiedError }

async function runStepWithRetry(
  input: AgentTurnInput,
  step: number,
  toolSet: ToolSet,
  lastStep: boolean,
  toolsByName: Map<string, ToolDefinition>,
  sleep: NonNullable<AgentTurnInput["sleep"]>,
): Promise<StepOutcome> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await runStep(input, step, toolSet, lastStep, toolsByName)
    if (outcome.kind === "done" || !outcome.retryable || attempt >= MAX_ATTEMPTS || input.abort.aborted) {
      return outcome.kind === "done" ? outcome : { kind: "error", error: outcome.error }
    }
    const delay = retryDelay(attempt + 1, outcome.error.headers)
    await input.emit({ type: "retry", attempt: attempt + 1, error: outcome.error.error, next: Date.now() + delay })
    try {
      await sleep(delay, input.abort)
    } catch {
      return { kind: "error", error: classifyError(undefined, input.providerID, true) }
    }
  }
}

type AttemptOutcome =
  | { kind: "done"; finishReason: string; toolCalls: number; usage: StepUsage }
  | { kind: "error"; error: ClassifiedError; retryable: boolean }

async function runStep(
  input: AgentTurnInput,
  step: number,
  toolSet: ToolSet,
  lastStep: boolean,
  toolsByName: Map<string, ToolDefinition>,
): Promise<AttemptOutcome> {
  const system = lastStep ? [...input.system, MAX_STEPS_NOTE] : input.system
  const prompt = input.prepare
    ? input.prepare({ step, system, messages: input.messages })
    : { instructions: system.map((content) => ({ role: "system" as const, content })), messages: input.messages }
  const result = aiSdk().streamText({
    model: input.model,
    instructions: prompt.instructions,
    messages: prompt.messages,
    tools: toolSet,
    maxRetries: 0,
    maxOutputTokens: input.maxOutputTokens,
    abortSignal: input.abort,
    providerOptions: input.providerOptions as never,
    // Failures arrive as `error` stream parts and are handled below; silence the SDK's console logging.
    onError: () => {},
  })

  const open = new Map<string, { kind: "text" | "reasoning"; text: string }>()
  const assistantContent: Exclude<Extract<ModelMessage, { role: "assistant" }>["content"], string> = []
  const pendingInputs = new Map<string, string>()
  const executions: Promise<void>[] = []
  // Results go back to the model in the order the calls were made, whatever order they finish in.
  const toolResults = new Map<string, ToolResultContent[number]>()
  const orderedResults = () => [...toolResults.entries()].sort(([a], [b]) => callOrder.indexOf(a) - callOrder.indexOf(b)).map(([, part]) => part)
  const callOrder: string[] = []
  let produced = false
  let failure: unknown
  let finishReason = "unknown"
  let toolCalls = 0

  const closeOpenBlocks = async () => {
    for (const [id, block] of open) {
      await input.emit({ type: block.kind === "text" ? "text-end" : "reasoning-end", id, text: block.text })
      assistantContent.push({ type: block.kind, text: block.text })
    }
    open.clear()
  }

  const failTool = async (callID: string, tool: string, toolInput: Record<string, unknown>, error: string, interrupted?: boolean) => {
    await input.emit({ type: "tool-error", callID, tool, input: toolInput, error, interrupted })
    if (!callOrder.includes(callID)) callOrder.push(callID)
    toolResults.set(callID, { type: "tool-result", toolCallId: callID, toolName: tool, output: { type: "error-text", value: error } })
  }

  try {
    for await (const part of result.fullStream) {
      switch (part.type) {
        case "text-start":
        case "reasoning-start": {
          produced = true
          const kind = part.type === "text-start" ? "text" : "reasoning"
          open.set(part.id, { kind, text: "" })
          await input.emit(kind === "text" ? { type: "text-start", id: part.id } : { type: "reasoning-start", id: part.id })
          break
        }
        case "text-delta":
        case "reasoning-delta": {
          const block = open.get(part.id)
          if (!block || part.text === "") break
          block.text += part.text
          await input.emit(
            block.kind === "text" ? { type: "text-delta", id: part.id, text: part.text } : { type: "reasoning-delta", id: part.id, text: part.text },
          )
          break
        }
        case "text-end":
        case "reasoning-end": {
          const block = open.get(part.id)
          if (!block) break
          open.delete(part.id)
          const metadata = part.providerMetadata as Record<string, unknown> | undefined
          await input.emit(
            block.kind === "text"
              ? { type: "text-end", id: part.id, text: block.text, providerMetadata: metadata }
              : { type: "reasoning-end", id: part.id, text: block.text, providerMetadata: metadata },
          )
          if (block.kind === "reasoning" || block.text !== "") {
            assistantContent.push({ type: block.kind, text: block.text, providerOptions: part.providerMetadata })
          }
          break
        }
        case "tool-input-start": {
          if (part.providerExecuted) break
          produced = true
          pendingInputs.set(part.id, part.toolName)
          await input.emit({ type: "tool-input-start", callID: part.id, tool: part.toolName })
          break
        }
        case "tool-call": {
          if (part.providerExecuted) break
          produced = true
          toolCalls++
          callOrder.push(part.toolCallId)
          pendingInputs.delete(part.toolCallId)
          const toolInput = (part.input && typeof part.input === "object" ? part.input : {}) as Record<string, unknown>
          assistantContent.push({ type: "tool-call", toolCallId: part.toolCallId, toolName: part.toolName, input: toolInput })
          const definition = toolsByName.get(part.toolName)
          if ("invalid" in part && part.invalid) {
            const reason = part.error instanceof Error ? part.error.message : String(part.error ?? "invalid input")
            await failTool(part.toolCallId, part.toolName, toolInput, definition ? `Invalid input for tool ${part.toolName}: ${reason}` : `Unknown tool: ${part.toolName}. Available tools: ${[...toolsByName.keys()].join(", ")}`)
            break
          }
          if (!definition) {
            await failTool(part.toolCallId, part.toolName, toolInput, `Unknown tool: ${part.toolName}`)
            break
          }
          await input.emit({ type: "tool-call", callID: part.toolCallId, tool: part.toolName, input: toolInput })
          const execution = executeTool(input, definition, part.toolCallId, toolInput, toolResults, failTool)
          // Awaited when the step ends; a failure before then (a throwing `emit`) must not count as unhandled.
          execution.catch(() => {})
          executions.push(execution)
          break
        }
        case "finish-step": {
          finishReason = part.finishReason
          await closeOpenBlocks()
          await Promise.all(executions)
          for (const [callID, tool] of pendingInputs) await failTool(callID, tool, {}, "Tool call was not completed by the model")
          input.messages.push({ role: "assistant", content: assistantContent })
          if (toolResults.size > 0) input.messages.push({ role: "tool", content: orderedResults() })
          const usage = toStepUsage(part.usage)
          await input.emit({
            type: "step-finish",
            step,
            finishReason,
            usage,
            providerMetadata: part.providerMetadata as Record<string, unknown> | undefined,
          })
          return { kind: "done", finishReason, toolCalls, usage }
        }
        case "error":
          failure = part.error
          break
        case "abort":
          failure = new DOMException("Aborted", "AbortError")
          break
      }
      if (failure !== undefined) break
    }
  } catch (error) {
    failure = error
  }

  // The stream failed or was aborted before `finish-step`: close everything that is open, stop the
  // tools, and report the failure.
  const aborted = input.abort.aborted
  const classified = classifyError(failure ?? new Error("The provider stream ended without finishing the step"), input.providerID, aborted)
  await closeOpenBlocks()
  await Promise.all(executions)
  for (const [callID, tool] of pendingInputs) await failTool(callID, tool, {}, "Tool execution aborted", true)
  if (assistantContent.length > 0) {
    input.messages.push({ role: "assistant", content: assistantContent })
    if (toolResults.size > 0) input.messages.push({ role: "tool", content: orderedResults() })
  }
  return { kind: "error", error: classified, retryable: classified.retryable && !produced && !aborted }
}

async function executeTool(
  input: AgentTurnInput,
  definition: ToolDefinition,
  callID: string,
  toolInput: Record<string, unknown>,
  toolResults: Map<string, ToolResultContent[number]>,
  failTool: (callID: string, tool: string, toolInput: Record<string, unknown>, error: string, interrupted?: boolean) => Promise<void>,
): Promise<void> {
  if (input.abort.aborted) return failTool(callID, definition.name, toolInput, "Tool execution aborted", true)
  const context = input.toolContext({ callID, tool: definition.name })
  try {
    const parsed = definition.parameters.safeParse(toolInput)
    if (!parsed.success) throw new Error(`Invalid input for tool ${definition.name}: ${parsed.error.message}`)
    const result: ToolResult = await abortable(definition.execute(parsed.data, context), input.abort)
    await input.emit({ type: "tool-result", callID, tool: definition.name, input: toolInput, result })
    toolResults.set(callID, { type: "tool-result", toolCallId: callID, toolName: definition.name, output: { type: "text", value: result.output } })
  } catch (error) {
    if (input.abort.aborted) return failTool(callID, definition.name, toolInput, "Tool execution aborted", true)
    await failTool(callID, definition.name, toolInput, error instanceof Error ? error.message : String(error))
  }
}

/** Rejects as soon as `signal` aborts, even when the tool ignores its signal. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      },
    )
  })
}
