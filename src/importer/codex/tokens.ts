import type { Tokens } from "../../session/schema.ts"
import { isObject } from "./records.ts"

/** Codex `TokenUsage` (spec transcript-formats.md 2.4): `input` includes cached, `output` includes reasoning. */
export interface CodexUsage {
  input_tokens: number
  cached_input_tokens: number
  output_tokens: number
  reasoning_output_tokens: number
  total_tokens: number
  /** 2026 addition; taken as a subset of `input_tokens`, like `cached_input_tokens`. */
  cache_write_input_tokens: number
}

const FIELDS = ["input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens", "cache_write_input_tokens"] as const

/** Reads a `TokenUsage` object; undefined when it has no numeric field at all. */
export function readUsage(value: unknown): CodexUsage | undefined {
  if (!isObject(value)) return undefined
  let numeric = false
  const usage = {} as CodexUsage
  for (const field of FIELDS) {
    const raw = value[field]
    const number = typeof raw === "number" && Number.isFinite(raw) ? raw : typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : undefined
    if (number !== undefined) numeric = true
    usage[field] = number ?? 0
  }
  if (!numeric) return undefined
  if (!("total_tokens" in value)) usage.total_tokens = usage.input_tokens + usage.output_tokens
  return usage
}

/**
 * Codex usage in OpenCode's terms (brief and spec 2.4): `input = input − cached − cache_write`,
 * `cache.read = cached`, `cache.write = cache_write` (0 unless the 2026 field is present),
 * `output = output − reasoning`, `reasoning = reasoning`; `total` is the sum (= Codex `total_tokens`).
 */
export function toTokens(usage: CodexUsage | undefined): Tokens {
  if (!usage) return { total: 0, input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
  const cacheRead = usage.cached_input_tokens
  const cacheWrite = usage.cache_write_input_tokens
  const input = Math.max(0, usage.input_tokens - cacheRead - cacheWrite)
  const reasoning = usage.reasoning_output_tokens
  const output = Math.max(0, usage.output_tokens - reasoning)
  return { total: input + output + reasoning + cacheRead + cacheWrite, input, output, reasoning, cache: { read: cacheRead, write: cacheWrite } }
}

function same(a: CodexUsage, b: CodexUsage): boolean {
  return FIELDS.every((field) => a[field] === b[field])
}

function isZero(usage: CodexUsage): boolean {
  return FIELDS.every((field) => usage[field] === 0)
}

function minus(a: CodexUsage, b: CodexUsage): CodexUsage {
  const out = {} as CodexUsage
  for (const field of FIELDS) out[field] = a[field] - b[field]
  return out
}

/** What one `token_count` row means for accounting. */
export type TokenObservation =
  /** `info: null` (a rate-limit refresh) or no usage object at all. */
  | { kind: "rate-limits" }
  /** Same `total_token_usage` as the previous row: a re-emission (spec 2.4 "duplicates are the norm"). */
  | { kind: "repeat" }
  /** The total advanced by nothing (e.g. all zeros): moves the baseline, counts nothing. */
  | { kind: "zero" }
  /** Usage of one model call. `replayed`: copied parent history (spec 2.6), not counted. */
  | { kind: "usage"; usage: CodexUsage; via: "delta" | "last" | "total"; replayed: boolean }

/**
 * Token accounting for ONE rollout file, fed its `event_msg/token_count` rows in order.
 *
 * Rule (spec transcript-formats.md 2.4 "Correct rule: per rollout file, take deltas of
 * `total_token_usage`, skip rows whose total did not advance, treat a drop as a reset (fall back to
 * `last`)"; 2.6 for forks/sub-agents; ccusage issues #876 #884 #1288 #1349 for why summing every
 * row's `last_token_usage` overcounts by 30–200 %):
 * 1. `info: null` rows carry only `rate_limits`: not usage.
 * 2. A row whose `total_token_usage` equals the previous row's is a re-emission (UI / rate-limit
 *    refresh, or the zero-`last` row Codex writes at a compaction): skipped.
 * 3. Otherwise the model call's usage is `total − previous total` (normally equal to
 *    `last_token_usage`; it also covers calls whose row was lost). When any field went down (a reset)
 *    `last_token_usage` is used. The first row of a file counts its whole `total` (a fresh thread starts
 *    at 0) — except in a fork / sub-agent file, whose totals Codex seeds from the parent
 *    (codex-rs `last_token_info_from_rollout` on `InitialHistory::Forked`), where `last` is used.
 * 4. Rows inside a replay region (the parent's history and token rows copied into a fork / sub-agent
 *    file at creation, spec 2.6) only move the baseline; their usage is reported as `replayed` so the
 *    caller can keep it in metadata without counting it.
 * 5. Rows without `total_token_usage` (older shapes) use `last_token_usage`, skipped when identical
 *    to the previous row's `last`.
 * So, without replay, the counted usage of a file sums to its last `total_token_usage`.
 */
export class TokenLedger {
  private previousTotal: CodexUsage | undefined
  private previousLast: CodexUsage | undefined
  private readonly seeded: boolean

  /** `seeded`: the file is a fork or sub-agent thread whose totals may start at the parent's. */
  constructor(seeded: boolean) {
    this.seeded = seeded
  }

  observe(info: unknown, replayed: boolean): TokenObservation {
    if (!isObject(info)) return { kind: "rate-limits" }
    const total = readUsage(info.total_token_usage)
    const last = readUsage(info.last_token_usage)
    if (!total && !last) return { kind: "rate-limits" }
    if (!total) {
      const repeat = this.previousLast !== undefined && same(last!, this.previousLast)
      this.previousLast = last
      if (repeat) return { kind: "repeat" }
      return isZero(last!) ? { kind: "zero" } : { kind: "usage", usage: last!, via: "last", replayed }
    }
    const previous = this.previousTotal
    if (previous && same(total, previous)) return { kind: "repeat" }
    this.previousTotal = total
    this.previousLast = last
    let usage: CodexUsage
    let via: "delta" | "last" | "total"
    if (!previous) {
      if (this.seeded && last) [usage, via] = [last, "last"]
      else [usage, via] = [total, "total"]
    } else {
      const delta = minus(total, previous)
      if (FIELDS.some((field) => delta[field] < 0)) [usage, via] = [last ?? total, "last"]
      else [usage, via] = [delta, "delta"]
    }
    if (isZero(usage)) return { kind: "zero" }
    return { kind: "usage", usage, via, replayed }
  }
}
