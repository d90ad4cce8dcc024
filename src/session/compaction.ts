import type { ModelMessage } from "ai"
import type { Config } from "../config/index.ts"
import type { ModelInfo } from "../provider/index.ts"
import type { Part, Tokens, WithParts } from "./schema.ts"

/** System prompt of the summariser (the hidden `compaction` agent). */
export const COMPACTION_SYSTEM = `You summarise a coding session so that it can continue in a fresh context window. You cannot call tools. Write only the summary.`

/** Text of the synthetic message that resumes an automatically compacted turn (OpenCode's wording). */
export const CONTINUE_TEXT = "Continue if you have next steps, or stop and ask for clarification if you are unsure how to proceed."

const TEMPLATE = `Summarise the conversation above as a compact, anchored state of the work, using exactly these Markdown sections (terse bullets, no preamble):

## Objective
## Important Details
## Work State
### Completed
### Active
### Blocked
## Next Move
## Relevant Files

Keep every fact the next assistant needs to continue without re-reading the conversation: file paths, commands, decisions and their reasons, errors seen, what the user asked for. Drop pleasantries and repetition.`

const TOOL_OUTPUT_LIMIT = 2000

/** True when the message asks for a compaction (it carries a `compaction` part). */
export function isCompactionRequest(message: WithParts): boolean {
  return message.info.role === "user" && message.parts.some((part) => part.type === "compaction")
}

/**
 * The window of history the model sees (OpenCode `filterCompacted`, spec 4.5 step 8): everything
 * from the latest compaction request whose summary completed without error; before any compaction,
 * everything. Older messages stay stored; they are only left out of the prompt.
 */
export function filterCompacted(ordered: WithParts[]): WithParts[] {
  for (let index = ordered.length - 1; index >= 0; index--) {
    const message = ordered[index]
    if (!isCompactionRequest(message)) continue
    const summary = ordered.slice(index + 1).find((next) => next.info.role === "assistant" && next.info.parentID === message.info.id)
    if (summary && summary.info.role === "assistant" && summary.info.summary && !summary.info.error && summary.info.time.completed) {
      return ordered.slice(index)
    }
  }
  return ordered
}

/**
 * The summariser's request: the conversation so far as a plain transcript (OpenCode 1.18's format,
 * spec 4.5 step 5: `[User]:`, `[Assistant]:`, `[Assistant tool call]: name(input)`, `[Tool result]:`
 * truncated to 2,000 characters) followed by the summary template. A previous summary in the window
 * is part of the transcript, so the new summary updates it.
 */
export function compactionPrompt(window: WithParts[]): ModelMessage[] {
  const lines: string[] = []
  for (const { info, parts } of window) {
    if (info.role === "user") {
      for (const part of parts) {
        if (part.type === "text" && !part.ignored && part.text) lines.push(`[User]: ${part.text}`)
        if (part.type === "file") lines.push(`[Attached ${part.mime}: ${part.filename ?? part.url.slice(0, 80)}]`)
      }
      continue
    }
    if (info.summary) {
      const text = parts.find((part): part is Extract<Part, { type: "text" }> => part.type === "text")?.text
      if (text) lines.push(`[Previous summary]: ${text}`)
      continue
    }
    for (const part of parts) {
      if (part.type === "text" && part.text) lines.push(`[Assistant]: ${part.text}`)
      if (part.type === "reasoning" && part.text) lines.push(`[Assistant reasoning]: ${part.text}`)
      if (part.type === "tool") {
        lines.push(`[Assistant tool call]: ${part.tool}(${JSON.stringify(part.state.input)})`)
        if (part.state.status === "completed") lines.push(`[Tool result]: ${truncate(part.state.output)}`)
        if (part.state.status === "error") lines.push(`[Tool error]: ${truncate(part.state.error)}`)
      }
    }
  }
  return [{ role: "user", content: `Here is the conversation so far:\n<conversation>\n${lines.join("\n")}\n</conversation>\n\n${TEMPLATE}` }]
}

function truncate(text: string): string {
  return text.length > TOOL_OUTPUT_LIMIT ? `${text.slice(0, TOOL_OUTPUT_LIMIT)} [truncated]` : text
}

/**
 * Tokens available for the prompt (spec 4.5 `overflow.ts`): the context limit minus the reserved
 * output (`compaction.reserved`, default min(20,000, the model's output limit)). Undefined when the
 * model's context limit is unknown or automatic compaction is off.
 */
export function usableContext(info: ModelInfo, config: Config): number | undefined {
  const settings = (config as { compaction?: { auto?: boolean; reserved?: number } }).compaction
  if (settings?.auto === false || !info.limit?.context) return undefined
  const reserved = settings?.reserved ?? Math.min(20_000, info.limit.output || 20_000)
  return Math.max(0, info.limit.context - reserved)
}

/** Size of the context after a step: its whole prompt plus its output, which the next request carries (tokens). */
export function contextSize(tokens: Pick<Tokens, "input" | "output" | "reasoning" | "cache">): number {
  return tokens.input + tokens.cache.read + tokens.cache.write + tokens.output + tokens.reasoning
}

/** A rough token estimate for text not yet sent (4 characters per token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4)
}
