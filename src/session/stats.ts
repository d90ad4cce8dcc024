import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import { hasPrice } from "../provider/index.ts"
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
  /** USD; 0 for an unpriced step (see `unpriced`). */
  cost: number
  /**
   * True when the step used tokens but no price is known for its model (neither config nor the
   * bundled catalogue): its `cost` 0 means "unknown", not "free".
   */
  unpriced: boolean
  cacheEfficiency: number
  /** The cache decision recorded for the step (TTLs, breakpoints, reason, prefix break). */
  cache?: unknown
}

/** Per-step and per-session usage of a session (issue 4). */
export interface SessionStats {
  sessionID: string
  steps: StepStats[]
  /** `cost` is the sum over priced steps; `unpricedSteps` counts the steps left out of it. */
  total: { steps: number; tokens: Tokens; cost: number; cacheEfficiency: number; unpricedSteps: number }
  /** `provider/model` of every model with unpriced steps, sorted (empty when all are priced). */
  unpriced: string[]
}

/**
 * Whether a step is *unpriced*: it recorded `cost` 0 for tokens it used and no price is known for
 * its model (config, when given, or the bundled catalogue). Memoized per model by `priced`.
 */
export function unpricedStep(
  step: { cost: number; tokens: Tokens },
  providerID: string,
  modelID: string,
  priced: (providerID: string, modelID: string) => boolean,
): boolean {
  if (step.cost > 0) return false
  const used = step.tokens.input + step.tokens.output + step.tokens.reasoning + step.tokens.cache.read + step.tokens.cache.write
  return used > 0 && !priced(providerID, modelID)
}

/** `hasPrice` memoized per `provider/model` for one report. */
export function priceLookup(config?: Pick<Config, "provider">): (providerID: string, modelID: string) => boolean {
  const known = new Map<string, boolean>()
  return (providerID, modelID) => {
    const key = `${providerID}/${modelID}`
    let value = known.get(key)
    if (value === undefined) known.set(key, (value = hasPrice(providerID, modelID, config)))
    return value
  }
}

/**
 * Computes a session's stats from its `step-finish` parts. `config` (optional) counts models priced
 * in config (`provider.<id>.models.<model>.cost`, possibly 0) as priced; without it only the
 * catalogue's prices count.
 */
export async function sessionStats(db: Kysely<Database>, sessionID: string, options: { config?: Pick<Config, "provider"> } = {}): Promise<SessionStats> {
  const priced = priceLookup(options.config)
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
    unpriced: message.role === "assistant" && unpricedStep(part, message.providerID, message.modelID, priced),
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
  const unpriced = [...new Set(steps.filter((step) => step.unpriced).map((step) => `${step.providerID}/${step.modelID}`))].sort()
  const unpricedSteps = steps.filter((step) => step.unpriced).length
  return { sessionID, steps, total: { steps: steps.length, tokens, cost, cacheEfficiency: cacheEfficiency(tokens), unpricedSteps }, unpriced }
}
