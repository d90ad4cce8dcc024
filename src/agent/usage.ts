import type { LanguageModelUsage } from "ai"
import type { StepUsage } from "./events.ts"

/**
 * Converts the AI SDK's usage to OpenCode's step tokens (`Session.getUsage`, spec 2.5):
 * `input = inputTokens − cacheRead − cacheWrite` (the SDK's `inputTokens` is the total prompt),
 * `output = outputTokens − reasoning`. Missing or negative values count as 0.
 */
export function toStepUsage(usage: LanguageModelUsage | undefined): StepUsage {
  const n = (value: number | undefined) => (value !== undefined && Number.isFinite(value) && value > 0 ? value : 0)
  const read = n(usage?.inputTokenDetails?.cacheReadTokens)
  const write = n(usage?.inputTokenDetails?.cacheWriteTokens)
  const noCache = usage?.inputTokenDetails?.noCacheTokens
  const input = noCache !== undefined ? n(noCache) : Math.max(0, n(usage?.inputTokens) - read - write)
  const reasoning = n(usage?.outputTokenDetails?.reasoningTokens)
  const output = Math.max(0, n(usage?.outputTokens) - reasoning)
  return { input, output, reasoning, cache: { read, write }, total: input + output + reasoning + read + write }
}
