/**
 * Reading Claude Code JSONL records (spec `transcript-formats.md` 1.2-1.5): typed accessors for the
 * loosely shaped lines, the line envelope, content blocks and the small classifications the importer
 * needs. Pure functions; nothing here throws on odd input.
 */

export type Json = Record<string, unknown>

/** A record kept verbatim (with its 1-based line number) where the model has no place for it. */
export interface KeptRecord {
  line: number
  record: unknown
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

/** A non-empty string, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined
}

/** A finite number, else 0. */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0
}

/** Epoch ms of an ISO timestamp, undefined when missing or unparseable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined
  const time = Date.parse(value)
  return Number.isFinite(time) ? time : undefined
}

/** Line types that belong to the conversation (and so to a sidechain when flagged). */
const CONVERSATION_TYPES = new Set(["user", "assistant", "system", "progress", "attachment"])

/**
 * The record kind: `type`, or — for minimal usage-only lines such as ccusage's fixtures, which carry no
 * `type` — the `message.role`.
 */
export function recordType(record: Json): string | undefined {
  const type = text(record.type)
  if (type) return type
  return isObject(record.message) ? text(record.message.role) : undefined
}

/**
 * True when a line of a session file belongs to an inline sidechain (spec 1.10 layout 1): a
 * conversation line flagged `isSidechain`. In an agent file (`agent-*.jsonl`) every line is the
 * agent's own, so nothing is routed away.
 */
export function isSidechainLine(record: Json, agentFile: boolean): boolean {
  if (agentFile || record.isSidechain !== true) return false
  const type = recordType(record)
  return type !== undefined && CONVERSATION_TYPES.has(type)
}

/** The line without its bulky payloads (`message.content`, `toolUseResult`), tagged with its line number. */
export function envelope(record: Json, line: number): Json {
  const { message, toolUseResult: _result, ...rest } = record
  const out: Json = { line, ...rest }
  if (isObject(message)) {
    const { content: _content, ...fields } = message
    out.message = fields
  }
  return out
}

/** Content blocks of a message: a plain string becomes one text block; non-objects are dropped. */
export function blocksOf(content: unknown): Json[] {
  if (typeof content === "string") return [{ type: "text", text: content }]
  if (!Array.isArray(content)) return []
  return content.filter(isObject)
}

/** The text blocks of a block list joined by newlines. */
export function joinedText(blocks: Json[]): string {
  return blocks
    .filter((block) => block.type === "text" && typeof block.text === "string")
    .map((block) => block.text as string)
    .join("\n")
}

/** An image or document block as a data/URL file, or undefined for other blocks. */
export function fileOf(block: Json): { mime: string; url: string; filename?: string } | undefined {
  if (block.type !== "image" && block.type !== "document") return undefined
  const source = isObject(block.source) ? block.source : {}
  const mime = text(source.media_type) ?? (block.type === "image" ? "image/png" : "application/octet-stream")
  if (source.type === "url" && text(source.url)) return { mime, url: source.url as string }
  if (source.type === "text" && typeof source.data === "string") return { mime: "text/plain", url: `data:text/plain,${encodeURIComponent(source.data)}` }
  if (typeof source.data === "string") return { mime, url: `data:${mime};base64,${source.data}`, ...(text(block.title) ? { filename: block.title as string } : {}) }
  return undefined
}

/**
 * A `tool_result`'s model-facing content as text (structured content stringified: text blocks joined,
 * other non-image blocks as JSON) plus its image/document blocks.
 */
export function resultOutput(content: unknown): { output: string; files: Array<{ mime: string; url: string; filename?: string }> } {
  if (content === undefined || content === null) return { output: "", files: [] }
  if (typeof content === "string") return { output: content, files: [] }
  if (!Array.isArray(content)) return { output: JSON.stringify(content), files: [] }
  const pieces: string[] = []
  const files: Array<{ mime: string; url: string; filename?: string }> = []
  for (const block of content) {
    if (isObject(block) && block.type === "text" && typeof block.text === "string") pieces.push(block.text)
    else if (isObject(block) && fileOf(block)) files.push(fileOf(block)!)
    else pieces.push(typeof block === "string" ? block : JSON.stringify(block))
  }
  return { output: pieces.join("\n"), files }
}

/** "[Request interrupted by user]" / "… for tool use]": Claude Code's marker for an aborted response. */
export function isInterruption(value: string): boolean {
  return value.startsWith("[Request interrupted by user")
}

/**
 * Harness output echoed as user lines, not typed by the user: local slash-command stdout/stderr and the
 * caveat before them, bash-mode output (spec 1.3 `local_command`).
 */
export function isLocalOutput(value: string): boolean {
  return /^\s*<(local-command-(stdout|stderr|caveat)|bash-(stdout|stderr))>/.test(value)
}

/** The continuation summary written after a compaction (spec 1.9), recognisable also without `isCompactSummary`. */
export function isContinuationSummary(value: string): boolean {
  return value.startsWith("This session is being continued from a previous conversation")
}

/**
 * OpenCode's finish reason (AI SDK vocabulary) for an Anthropic `stop_reason`. A missing stop reason —
 * Claude Code leaves it `null` on most streamed lines — is inferred: tool calls → "tool-calls", else
 * "stop".
 */
export function finishReason(stopReason: string | undefined, hasToolCalls: boolean): string {
  switch (stopReason) {
    case undefined:
      return hasToolCalls ? "tool-calls" : "stop"
    case "tool_use":
      return "tool-calls"
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "refusal":
      return "content-filter"
    default:
      return "other"
  }
}

/** A short title for a prompt: slash commands as "/name args", whitespace collapsed, at most 100 characters. */
export function promptTitle(value: string): string {
  const command = /<command-name>([^<]*)<\/command-name>/.exec(value)
  let title = value
  if (command) {
    const args = /<command-args>([^<]*)<\/command-args>/.exec(value)
    title = `${command[1].trim()} ${args ? args[1] : ""}`
  }
  title = title.replace(/\s+/g, " ").trim()
  return title.length > 100 ? `${title.slice(0, 99)}…` : title
}

/** A short title for a tool call from its input (description, path, pattern, command, url, query). */
export function toolTitle(input: Json): string {
  for (const key of ["description", "file_path", "path", "notebook_path", "pattern", "command", "url", "query", "prompt"]) {
    const value = text(input[key])
    if (value) return value.length > 100 ? `${value.slice(0, 99)}…` : value
  }
  return ""
}
