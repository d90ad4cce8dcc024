import { basename } from "node:path"

/** A JSON object. */
export type JsonObject = Record<string, unknown>

/**
 * One rollout line in the shape of the current envelope (spec transcript-formats.md 2.2):
 * `{timestamp, type, payload}`. Envelope-less legacy lines (spec 2.1: a bare meta object first, bare
 * response items after, `record_type: "state"` lines) are mapped onto the same shape.
 */
export interface CodexRecord {
  /** 1-based line number in the file. */
  line: number
  type: string
  payload: JsonObject
  /** The line's `timestamp` as written (kept verbatim in metadata). */
  timestamp?: unknown
  /** Epoch ms of `timestamp`, when it parses. */
  time?: number
}

/** Envelope kinds whose payload must be an object with a `type` (response items and events). */
const TYPED_PAYLOADS = new Set(["response_item", "event_msg"])
const ENVELOPE_KINDS = new Set(["session_meta", "turn_context", "response_item", "event_msg", "compacted"])
/** Response item kinds a legacy, envelope-less file may hold as bare lines. */
const LEGACY_ITEMS = new Set([
  "message",
  "reasoning",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "local_shell_call",
  "web_search_call",
])

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined
}

/** Epoch ms of an RFC 3339 string or an epoch number (seconds or ms); undefined when unparseable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value > 10_000_000_000 ? value : value * 1000
  if (typeof value !== "string") return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** Maps a parsed line onto a record, or says why it cannot be interpreted. */
export function toRecord(value: unknown, line: number): { record: CodexRecord } | { problem: string } {
  if (!isObject(value)) return { problem: `not a JSON object (${Array.isArray(value) ? "array" : typeof value})` }
  const timestamp = value.timestamp
  const base = { line, timestamp, time: parseTime(timestamp) }
  const type = value.type
  if (typeof type === "string" && "payload" in value) {
    const payload = value.payload
    if (!isObject(payload)) return { problem: `"${type}" record whose payload is not an object` }
    if (TYPED_PAYLOADS.has(type) && typeof payload.type !== "string") return { problem: `"${type}" record without payload.type` }
    return { record: { ...base, type, payload } }
  }
  if (typeof type === "string" && LEGACY_ITEMS.has(type)) return { record: { ...base, type: "response_item", payload: value } }
  if (typeof value.record_type === "string") return { record: { ...base, type: "legacy_state", payload: value } }
  if (type === undefined && typeof value.id === "string" && "timestamp" in value) {
    return { record: { ...base, type: "session_meta", payload: value } }
  }
  if (typeof type === "string" && !ENVELOPE_KINDS.has(type)) {
    const { type: _type, timestamp: _timestamp, ...rest } = value
    return { record: { ...base, type, payload: rest } }
  }
  if (typeof type === "string") return { problem: `"${type}" record without payload` }
  return { problem: "record without a type" }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/**
 * The thread id a file stands for when it has no `session_meta` id (spec 2.8): the UUID at the end of
 * `rollout-<time>-<uuid>.jsonl`, else the file name without `.jsonl` (what ccusage uses, spec 4.3).
 */
export function threadIdFromPath(path: string): string {
  const name = basename(path).replace(/\.jsonl$/i, "")
  const matches = name.match(new RegExp(UUID.source, "gi"))
  return matches?.at(-1) ?? name
}

/** Creation time encoded in a UUID v7 thread id (Codex ≥ 0.58, spec 2.1), in epoch ms. */
export function uuidV7Time(id: string): number | undefined {
  return UUID_V7.test(id) ? parseInt(id.replace(/-/g, "").slice(0, 12), 16) : undefined
}
