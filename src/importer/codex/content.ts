import { basename, extname } from "node:path"
import { isObject, stringOf, type JsonObject } from "./records.ts"

/** The text of a Responses API `content` array (`input_text`, `output_text`, `text` items), joined. */
export function textOfContent(content: unknown): string {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  const texts: string[] = []
  for (const item of content) {
    if (typeof item === "string") texts.push(item)
    else if (isObject(item) && typeof item.text === "string" && item.type !== "encrypted_content") texts.push(item.text)
  }
  return texts.join("\n")
}

/** An image to become a `file` part. */
export interface ImageRef {
  url: string
  mime: string
  filename?: string
}

const MIME_BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".bmp": "image/bmp",
}

/** An image reference from a data URL, an http(s) URL or a local path; undefined for anything else. */
export function imageRef(value: unknown): ImageRef | undefined {
  const url = stringOf(value)
  if (!url) return undefined
  const data = /^data:([^;,]+)[;,]/.exec(url)
  if (data) return { url, mime: data[1] }
  if (/^(https?|file):\/\//.test(url)) {
    let pathname = ""
    try {
      pathname = new URL(url).pathname
    } catch {
      // keep the URL as written; no file name
    }
    return { url, mime: MIME_BY_EXTENSION[extname(pathname).toLowerCase()] ?? "image/*", filename: basename(pathname) || undefined }
  }
  if (url.startsWith("/") || /^[A-Za-z]:[\\/]/.test(url)) {
    const fileUrl = `file://${url.startsWith("/") ? "" : "/"}${url.replace(/\\/g, "/")}`
    return { url: fileUrl, mime: MIME_BY_EXTENSION[extname(url).toLowerCase()] ?? "image/*", filename: basename(url) }
  }
  return undefined
}

/** The images of a `content` array (`input_image` items with an `image_url`). */
export function imagesOfContent(content: unknown): ImageRef[] {
  if (!Array.isArray(content)) return []
  return content.flatMap((item) => {
    const ref = isObject(item) && (item.type === "input_image" || item.type === "image") ? imageRef(item.image_url ?? item.url) : undefined
    return ref ? [ref] : []
  })
}

/**
 * A comparison key for the same text recorded twice (the `user_message` event vs the user `message`
 * item, `agent_message` vs the assistant item): trimmed text. Sanitized fixtures replace texts with
 * `[REDACTED_<FIELD> len=N sha=H]`, naming the field differently in each copy, so such a marker keys
 * on `len` and `sha` only.
 */
export function matchKey(text: string): string {
  const trimmed = text.trim()
  const redacted = /^\[REDACTED_[A-Z_]+ (len=\d+ sha=[0-9a-f]+)\]$/.exec(trimmed)
  return redacted ? `redacted:${redacted[1]}` : trimmed
}

/**
 * Context Codex injects as user-role messages (spec 2.3: `<environment_context>`, AGENTS.md
 * `<INSTRUCTIONS>`, `<user_instructions>`, `<permissions instructions>`, skills…) plus similar
 * wrappers of newer builds; used when no `user_message` event says which item is the prompt.
 */
const INJECTED =
  /^\s*(<(environment_context|user_instructions|permissions instructions|INSTRUCTIONS|turn_aborted|user_shell_command|skills?_instructions|skill|collaboration_mode|personality_spec|subagent_notification|model_switch|apps_instructions|developer_instructions)\b|# AGENTS\.md instructions)/

export function isInjectedContext(text: string): boolean {
  return INJECTED.test(text)
}

/** Copy of `object` without `keys` (the fields mapped elsewhere); undefined when nothing is left. */
export function rest(object: JsonObject, keys: readonly string[]): JsonObject | undefined {
  const out: JsonObject = {}
  let any = false
  for (const [key, value] of Object.entries(object)) {
    if (keys.includes(key)) continue
    out[key] = value
    any = true
  }
  return any ? out : undefined
}

/**
 * A tool call's input as an object: a JSON-object string is parsed (`function_call.arguments` is a
 * JSON string, spec 2.3); anything else is wrapped under `key` so it is kept as written.
 */
export function toolInput(raw: unknown, key: string): JsonObject {
  if (isObject(raw)) return raw
  if (raw === undefined || raw === null || raw === "") return {}
  if (typeof raw === "string") {
    try {
      const parsed: unknown = JSON.parse(raw)
      if (isObject(parsed)) return parsed
    } catch {
      // not JSON: freeform input (apply_patch text, sanitized fixtures)
    }
  }
  return { [key]: raw }
}

/** A tool result in OpenCode's terms. */
export interface ToolResult {
  text: string
  images: ImageRef[]
  /** `false` when Codex marked the call failed. */
  success?: boolean
  /** Structured extras (old shell `metadata: {exit_code, duration_seconds}`, …). */
  metadata?: JsonObject
}

/**
 * Reads a `*_output` payload's `output`: a string (for the old `shell` tool a JSON string
 * `{"output", "metadata"}`, spec 2.3), `{content, success}`, one content item, or an array of content
 * items (text and images).
 */
export function toolResult(output: unknown): ToolResult {
  if (typeof output === "string") {
    if (output.startsWith("{")) {
      try {
        const parsed: unknown = JSON.parse(output)
        if (isObject(parsed) && typeof parsed.output === "string" && isObject(parsed.metadata)) {
          return { text: parsed.output, images: [], metadata: parsed.metadata }
        }
      } catch {
        // plain text that happens to start with "{"
      }
    }
    return { text: output, images: [] }
  }
  if (Array.isArray(output)) return { text: textOfContent(output), images: imagesOfContent(output) }
  if (isObject(output)) {
    if ("content" in output || "success" in output) {
      const inner = toolResult(output.content ?? "")
      return { ...inner, success: typeof output.success === "boolean" ? output.success : undefined }
    }
    if (typeof output.text === "string" || "image_url" in output) return { text: textOfContent([output]), images: imagesOfContent([output]) }
    return { text: JSON.stringify(output), images: [] }
  }
  if (output === undefined || output === null) return { text: "", images: [] }
  return { text: JSON.stringify(output), images: [] }
}

/** A short title for a completed tool call: the command it ran, else the tool name. */
export function toolTitle(tool: string, input: JsonObject): string {
  let title = tool
  if (typeof input.cmd === "string") title = input.cmd
  else if (typeof input.command === "string") title = input.command
  else if (Array.isArray(input.command)) title = input.command.map(String).join(" ")
  else if (typeof input.query === "string") title = input.query
  title = title.replace(/\s+/g, " ").trim() || tool
  return title.length > 100 ? `${title.slice(0, 97)}...` : title
}
