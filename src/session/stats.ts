import type { Kysely } from "kysely"
import type { Database } from "../storage/index.ts"
import { repository } from "./repository.ts"
import type { Tokens } from "./schema.ts"

/**
 * Cache efficiency of some usage: cache read / (input + cache read + cache write), the share of the
 * prompt served from the provider's cache (seed 000's table). 0 when no prompt tokens were sent.
 */
export function cacheEfficiency(tokens: Pick<Tokens, "input" | "cache">): number {
  const prompt = tokens.input + tokens.cache.read + tokens.cache.write
  return prompt > 0 ? tokens.cache.read / prompt : 0
}

/** One LLM step as `GET /session/:id/stats` and `spool stats` show it. Tokens in tokens, cost in USD. */
export interface StepStats {
  messageID: string
  partID: string
  time: number
  providerID: string
  modelID: string
  reason: string
  tokens: Tokens
  cost: number
  cacheEfficiency: number
  /** The cache decision recorded for the step (TTLs, breakpoints, reason, prefix break). */
  cache?: unknown
}

/** Per-step and per-session usage of a session (issue 4). */
export interface SessionStats {
  sessionID: string
  steps: StepStats[]
  total: { steps: number; tokens: Tokens; cost: number; cacheEfficiency: number }
}

/** Computes a session's stats from its `step-finish` parts. */
export async function sessionStats(db: Kysely<Database>, sessionID: string): Promise<SessionStats> {
  const rows = await repository.steps(db, sessionID)
  const steps: StepStats[] = rows.map(({ part, message, time }) => ({
    messageID: part.messageID,
    partID: part.id,
    time,
    providerID: message.role === "assistant" ? message.providerID : "",
    modelID: message.role === "assistant" ? message.modelID : "",
    reason: part.reason,
    tokens: part.tokens,
    cost: part.cost,
    cacheEfficiency: cacheEfficiency(part.tokens),
    ...((part.metadata as { cache?: unknown } | undefined)?.cache ? { cache: (part.metadata as { cache?: unknown }).cache } : {}),
  }))
  const tokens: Tokens = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
  let cost = 0
  for (const step of steps) {
    tokens.input += step.tokens.input
    tokens.output += step.tokens.output
    tokens.reasoning += step.tokens.reasoning
    tokens.cache.read += step.tokens.cache.read
    tokens.cache.write += step.tokens.cache.write
    cost += step.cost
  }
  return { sessionID, steps, total: { steps: steps.length, tokens, cost, cacheEfficiency: cacheEfficiency(tokens) } }
}
