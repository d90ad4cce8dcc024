import type { Config } from "../config/index.ts"
import { catalogModel, type ModelCost, type Rates } from "./price-catalog.ts"

export type { ModelCost, Rates } from "./price-catalog.ts"

/**
 * What Spool knows of a model: its price in USD per million tokens and its limits in tokens.
 * `cost` undefined means *unpriced* (no price known): its steps are recorded with `cost: 0` on the
 * wire (OpenCode's field is a number) and flagged as unpriced by the stats. `limit.output` 0 means
 * unknown (callers use their own default).
 */
export interface ModelInfo {
  cost?: ModelCost
  limit?: { context: number; output: number }
}

/**
 * Spool's own limits, in tokens, for models it is often run with: they win over the catalogue's
 * context window (the catalogue lists Claude 4.6's 1M beta window; Spool plans for 200k), and the
 * catalogue has no output limits. Prices are never here: they come from the catalogue or config.
 */
const limits: Record<string, { context: number; output: number }> = {
  "claude-opus-4": { context: 200_000, output: 32_000 },
  "claude-opus-4-1": { context: 200_000, output: 32_000 },
  "claude-opus-4-5": { context: 200_000, output: 64_000 },
  "claude-opus-4-6": { context: 200_000, output: 64_000 },
  "claude-sonnet-4": { context: 200_000, output: 64_000 },
  "claude-sonnet-4-5": { context: 200_000, output: 64_000 },
  "claude-sonnet-4-6": { context: 200_000, output: 64_000 },
  "claude-haiku-4-5": { context: 200_000, output: 64_000 },
  "claude-3-7-sonnet": { context: 200_000, output: 64_000 },
  "claude-3-5-haiku": { context: 200_000, output: 8_192 },
  "gpt-4.1": { context: 1_047_576, output: 32_768 },
  "gpt-4.1-mini": { context: 1_047_576, output: 32_768 },
  "gpt-4o": { context: 128_000, output: 16_384 },
  "gpt-5": { context: 400_000, output: 128_000 },
  "gpt-5-mini": { context: 400_000, output: 128_000 },
  o3: { context: 200_000, output: 100_000 },
}

/**
 * Facts for a model: limits from Spool's table above (a dated id such as
 * `claude-sonnet-4-5-20250929` falls back to its undated family), else the context window from the
 * catalogue; the price from the bundled catalogue (`@pydantic/genai-prices`, offline), in force at
 * `at` (epoch ms, default now). `providerID` picks the catalogue's provider when it knows it.
 * Config (`provider.<id>.models.<model>`) is applied on top by `resolveModel`.
 *
 * An unknown model has no `cost` (unpriced) and no `limit`.
 */
export function modelInfo(modelID: string, providerID?: string, at?: number): ModelInfo {
  const catalogued = catalogModel(modelID, { providerID, at })
  const own = limits[modelID] ?? limits[modelID.replace(/-\d{8}$/, "").replace(/-latest$/, "")]
  const limit = own ?? (catalogued?.context ? { context: catalogued.context, output: 0 } : undefined)
  return { ...(catalogued?.cost ? { cost: catalogued.cost } : {}), ...(limit ? { limit: { ...limit } } : {}) }
}

/** Whether a price is known for the model (`cost` present): steps of other models are *unpriced*. */
export function isPriced(info: ModelInfo): boolean {
  return info.cost !== undefined
}

/**
 * The price known for `provider/model`: config's (`provider.<id>.models.<model>.cost`, which may be 0
 * for a free local model; missing cache prices fall back to the catalogue's, else 0) over the bundled
 * catalogue's. Undefined when neither knows the model. The stats use it to tell an unpriced step (a
 * recorded `cost: 0` for tokens whose price was not known) from a free one.
 */
export function knownPrice(providerID: string, modelID: string, config?: Pick<Config, "provider">): ModelCost | undefined {
  if (!modelID) return undefined
  const catalogued = catalogModel(modelID, { providerID })?.cost
  const configured = config?.provider?.[providerID]?.models?.[modelID]?.cost
  if (!configured) return catalogued
  return {
    input: configured.input,
    output: configured.output,
    cacheRead: configured.cache_read ?? catalogued?.cacheRead ?? 0,
    cacheWrite: configured.cache_write ?? catalogued?.cacheWrite ?? 0,
  }
}

/**
 * Cost in USD of one step's tokens: input, output and reasoning (billed at the output price, as
 * OpenCode `Session.getUsage`), cache reads, 5-minute and 1-hour cache writes, each at its rate; a
 * step whose prompt (input + cache read + cache write) exceeds a long-context tier's `above` is
 * billed at that tier's rates. 0 for an unpriced model (check `isPriced`). Non-finite or negative
 * token counts count as 0.
 */
export function stepCost(
  info: ModelInfo,
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } },
  /** Of `tokens.cache.write`, how many were 1-hour writes (Anthropic `cache_creation.ephemeral_1h_input_tokens`). */
  write1h = 0,
): number {
  if (!info.cost) return 0
  const safe = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0)
  const prompt = safe(tokens.input) + safe(tokens.cache.read) + safe(tokens.cache.write)
  let rates: Rates = info.cost
  for (const tier of info.cost.tiers ?? []) if (prompt > tier.above) rates = tier
  const oneHour = Math.min(safe(write1h), safe(tokens.cache.write))
  return (
    (safe(tokens.input) * rates.input +
      (safe(tokens.output) + safe(tokens.reasoning)) * rates.output +
      safe(tokens.cache.read) * rates.cacheRead +
      (safe(tokens.cache.write) - oneHour) * rates.cacheWrite +
      oneHour * (rates.cacheWrite1h ?? rates.input * 2)) /
    1_000_000
  )
}
