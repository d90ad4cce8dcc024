import type { Config } from "./schema.ts"

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

/**
 * Deep merge of two JSON values: objects are merged key by key (recursively), anything else in `over`
 * replaces `base` (arrays included). Inputs are not modified.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over
  const result: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    result[key] = key in base ? deepMerge(base[key], value) : value
  }
  return result
}

/**
 * Merges a later (higher-precedence) config over an earlier one as OpenCode does (spec 10.1): a deep
 * merge, except that the top-level `instructions` arrays are concatenated and de-duplicated (first
 * occurrence kept).
 */
export function mergeConfig(base: Config, over: Config): Config {
  const merged = deepMerge(base, over) as Config
  if (base.instructions || over.instructions) {
    merged.instructions = [...new Set([...(base.instructions ?? []), ...(over.instructions ?? [])])]
  }
  return merged
}
