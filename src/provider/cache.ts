import type { ModelMessage, SystemModelMessage } from "ai"
import type { ResolvedModel } from "./registry.ts"

/** Anthropic cache lifetimes (`cache_control.ttl`); see prompt-caching spec A7. */
export type CacheTtl = "5m" | "1h"

/** Where breakpoints go and with which TTLs; chosen per step by the session (see `session/cache-policy.ts`). */
export interface CachePlan {
  /** TTL of the breakpoint closing the stable block (tools + system + instructions). */
  stable: CacheTtl
  /** TTL of the rolling breakpoints on the conversation. */
  messages: CacheTtl
}

/** A request ready for `streamText`: system messages and conversation with cache markers applied. */
export interface PreparedPrompt {
  instructions: SystemModelMessage[]
  messages: ModelMessage[]
  /** Number of `cache_control` breakpoints placed (Anthropic allows 4). */
  breakpoints: number
}

/** True when the model is reached through Anthropic's Messages API (explicit cache breakpoints). */
export function usesCacheBreakpoints(model: Pick<ResolvedModel, "api" | "modelID">): boolean {
  return model.api === "anthropic"
}

/**
 * Places Anthropic prompt-cache breakpoints so each request reads everything the previous one wrote
 * (rules: `shared/spec/prompt-caching.md` A1–A8; Anthropic "Prompt caching" docs):
 * 1. on the last stable system block — tools, system prompt and instructions, identical for every
 *    session of a project, so a new session reads what another wrote;
 * 2. on the last message the previous request ended with (the last user/tool message before the
 *    newest assistant message) — exactly where the previous request wrote, so it is read back even
 *    when the newest step added more than the 20-block lookback (many parallel tool calls);
 * 3. on the last message — written for the next request.
 * At most 3 breakpoints; longer TTLs come first (A7: a 1h entry may not follow a 5m one).
 * Messages are copied, never mutated. Providers without explicit breakpoints get the prompt unchanged.
 */
export function preparePrompt(model: Pick<ResolvedModel, "api" | "modelID">, input: { system: string[]; stableBlocks: number; messages: ModelMessage[] }, plan: CachePlan): PreparedPrompt {
  const explicit = usesCacheBreakpoints(model)
  const control = (ttl: CacheTtl) => ({ anthropic: { cacheControl: ttl === "1h" ? { type: "ephemeral", ttl: "1h" } : { type: "ephemeral" } } })
  let breakpoints = 0
  const instructions: SystemModelMessage[] = input.system.map((content, index) => {
    if (!explicit || index !== input.stableBlocks - 1) return { role: "system", content }
    breakpoints++
    return { role: "system", content, providerOptions: control(plan.stable) }
  })
  if (!explicit) return { instructions, messages: input.messages, breakpoints }

  const messageTtl: CacheTtl = plan.stable === "5m" ? "5m" : plan.messages
  const messages = [...input.messages]
  const last = messages.length - 1
  const marks = new Set<number>()
  if (last >= 0) marks.add(last)
  const lastAssistant = messages.findLastIndex((message) => message.role === "assistant")
  for (let index = lastAssistant - 1; index >= 0; index--) {
    if (messages[index].role === "user" || messages[index].role === "tool") {
      marks.add(index)
      break
    }
  }
  for (const index of marks) {
    const message = messages[index]
    if (!hasCacheableContent(message)) continue
    messages[index] = { ...message, providerOptions: { ...message.providerOptions, ...control(messageTtl) } } as ModelMessage
    breakpoints++
  }
  return { instructions, messages, breakpoints }
}

/** Anthropic rejects `cache_control` on empty text and on thinking blocks (A12). */
function hasCacheableContent(message: ModelMessage): boolean {
  if (typeof message.content === "string") return message.content !== ""
  const lastPart = message.content.at(-1) as { type: string; text?: string } | undefined
  if (!lastPart) return false
  if (lastPart.type === "reasoning") return false
  return !(lastPart.type === "text" && lastPart.text === "")
}
