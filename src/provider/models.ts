/**
 * Bundled model facts: price in USD per million tokens and context/output limits in tokens. Prices
 * from the providers' pricing pages (Anthropic: docs.anthropic.com/en/docs/about-claude/pricing;
 * OpenAI: openai.com/api/pricing). Cache write is the 5-minute write price (1.25× input); a 1-hour
 * write costs 2× input (Anthropic pricing). Overridable per model in config
 * (`provider.<id>.models.<model>.cost`).
 */
export interface ModelInfo {
  /** USD per million tokens; `cacheWrite` is the 5-minute write, `cacheWrite1h` the 1-hour write. */
  cost?: { input: number; output: number; cacheRead: number; cacheWrite: number; cacheWrite1h?: number }
  limit?: { context: number; output: number }
}

const table: Record<string, ModelInfo> = {
  "claude-opus-4": { cost: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 }, limit: { context: 200_000, output: 32_000 } },
  "claude-opus-4-1": { cost: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 }, limit: { context: 200_000, output: 32_000 } },
  "claude-opus-4-6": { cost: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }, limit: { context: 200_000, output: 64_000 } },
  "claude-sonnet-4-6": { cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, limit: { context: 200_000, output: 64_000 } },
  "claude-3-7-sonnet": { cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, limit: { context: 200_000, output: 64_000 } },
  "claude-opus-4-5": { cost: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 }, limit: { context: 200_000, output: 64_000 } },
  "claude-sonnet-4": { cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, limit: { context: 200_000, output: 64_000 } },
  "claude-sonnet-4-5": { cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, limit: { context: 200_000, output: 64_000 } },
  "claude-haiku-4-5": { cost: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 }, limit: { context: 200_000, output: 64_000 } },
  "claude-3-5-haiku": { cost: { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 }, limit: { context: 200_000, output: 8_192 } },
  "gpt-4.1": { cost: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 }, limit: { context: 1_047_576, output: 32_768 } },
  "gpt-4.1-mini": { cost: { input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0 }, limit: { context: 1_047_576, output: 32_768 } },
  "gpt-4o": { cost: { input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 0 }, limit: { context: 128_000, output: 16_384 } },
  "gpt-5": { cost: { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 }, limit: { context: 400_000, output: 128_000 } },
  "gpt-5-mini": { cost: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 }, limit: { context: 400_000, output: 128_000 } },
  "o3": { cost: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 }, limit: { context: 200_000, output: 100_000 } },
}

/**
 * Facts for a model id; a dated id (`claude-sonnet-4-5-20250929`) falls back to its undated family.
 * Unknown models have no price (cost 0) and no limits.
 */
export function modelInfo(modelID: string): ModelInfo {
  if (table[modelID]) return table[modelID]
  const undated = modelID.replace(/-\d{8}$/, "").replace(/-latest$/, "")
  return table[undated] ?? {}
}

/**
 * Cost in USD of one step's tokens (reasoning billed at the output price, as OpenCode
 * `Session.getUsage`). Non-finite or negative inputs count as 0.
 */
export function stepCost(
  info: ModelInfo,
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } },
  /** Of `tokens.cache.write`, how many were 1-hour writes (Anthropic `cache_creation.ephemeral_1h_input_tokens`). */
  write1h = 0,
): number {
  if (!info.cost) return 0
  const safe = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0)
  const { cost } = info
  const oneHour = Math.min(safe(write1h), safe(tokens.cache.write))
  return (
    (safe(tokens.input) * cost.input +
      (safe(tokens.output) + safe(tokens.reasoning)) * cost.output +
      safe(tokens.cache.read) * cost.cacheRead +
      (safe(tokens.cache.write) - oneHour) * cost.cacheWrite +
      oneHour * (cost.cacheWrite1h ?? cost.input * 2)) /
    1_000_000
  )
}
