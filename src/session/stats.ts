import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import { knownPrice, stepCost, type ModelCost } from "../provider/index.ts"
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
   * True when the step used tokens but recorded `cost` 0 without a price that makes it free (no price
   * known for its model in config or the bundled catalogue, or none when it was recorded): its `cost`
   * 0 means "unknown", not "free".
   */
  unpriced: boolean
  cacheEfficiency: number
  /** The cache decision recorded for the step (TTLs, breakpoints, reason, prefix break). */
  cache?: unknown
  /** True when the step lost the cached prefix the previous step left (see `prefixBreak`). */
  prefixBreak: boolean
  /** Why, when `prefixBreak`: the block Spool saw change, or the cache read that fell short. */
  prefixBreakReason?: string
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
 * Whether a step is *unpriced*: it recorded `cost` 0 for tokens it used, and the price known now
 * (`priceOf`: config, else the bundled catalogue) is none, or would not make it free — a model no one
 * prices, or a step recorded before its model had a price (an import made by an older Spool: `spool
 * import --force` prices it again).
 */
export function unpricedStep(
  step: { cost: number; tokens: Tokens },
  providerID: string,
  modelID: string,
  priceOf: (providerID: string, modelID: string) => ModelCost | undefined,
): boolean {
  if (step.cost > 0) return false
  const used = step.tokens.input + step.tokens.output + step.tokens.reasoning + step.tokens.cache.read + step.tokens.cache.write
  if (used <= 0) return false
  const cost = priceOf(providerID, modelID)
  return cost === undefined || stepCost({ cost }, step.tokens) > 0
}

/** `knownPrice` memoized per `provider/model` for one report. */
export function priceLookup(config?: Pick<Config, "provider">): (providerID: string, modelID: string) => ModelCost | undefined {
  const known = new Map<string, ModelCost | undefined>()
  return (providerID, modelID) => {
    const key = `${providerID}/${modelID}`
    if (!known.has(key)) known.set(key, knownPrice(providerID, modelID, config))
    return known.get(key)
  }
}

/**
 * Whether a step lost the cached prompt prefix the previous step of the session left, and why:
 * - Spool recorded a prefix break for it (`metadata.cache.prefixBreak`: a block before the previous
 *   request's last cache breakpoint changed, see `createPrefixTracker`), or
 * - its cache read is below what the previous step read plus wrote: a provider serves a request the
 *   longest cached prefix, which holds at least the previous request's cached part while that prefix is
 *   unchanged and unexpired (same model). So a drop means the prefix changed (edited history, another
 *   model, compaction) or the cache expired.
 * The first step, and steps after one that cached nothing, are never breaks.
 */
export function prefixBreak(step: { tokens: Tokens; modelID: string; cache?: unknown }, previous: { tokens: Tokens; modelID: string } | undefined): string | undefined {
  const recorded = (step.cache as { prefixBreak?: unknown } | undefined)?.prefixBreak
  if (typeof recorded === "string" && recorded !== "") return `prefix changed at ${recorded}`
  if (!previous) return undefined
  const cached = previous.tokens.cache.read + previous.tokens.cache.write
  if (cached <= 0 || step.tokens.cache.read >= cached) return undefined
  const model = previous.modelID !== step.modelID ? ` (model changed from ${previous.modelID} to ${step.modelID})` : ""
  return `cache read ${step.tokens.cache.read} < ${cached} tokens the previous step read or wrote${model}`
}

/**
 * Computes a session's stats from its `step-finish` parts. `config` (optional) adds the prices of
 * `provider.<id>.models.<model>.cost` (possibly 0: a free model's steps are then priced at 0) to the
 * catalogue's when telling unpriced steps.
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
    prefixBreak: false,
  }))
  steps.forEach((step, index) => {
    const reason = prefixBreak(step, steps[index - 1])
    if (reason) Object.assign(step, { prefixBreak: true, prefixBreakReason: reason })
  })
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
