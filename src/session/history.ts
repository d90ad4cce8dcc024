import type { ModelMessage } from "ai"
import type { Part, WithParts } from "./schema.ts"

/** What a tool result that was cut short looks like to the model (OpenCode `message-v2.ts`). */
export const INTERRUPTED_TOOL_RESULT = "[Tool execution was interrupted]"
/** Replaces pruned tool output (OpenCode `message-v2.ts`). */
export const CLEARED_TOOL_RESULT = "[Old tool result content cleared]"

/**
 * Orders stored messages into turns: each user message followed by the assistant messages that answer
 * it (`parentID`). Prompts queued while an earlier turn was running are stored before that turn's later
 * steps; grouping by turn keeps each turn contiguous. Stops after the turn of `untilUserID` when given.
 */
export function orderByTurn(messages: WithParts[], untilUserID?: string): WithParts[] {
  const answers = new Map<string, WithParts[]>()
  for (const message of messages) {
    if (message.info.role !== "assistant") continue
    const list = answers.get(message.info.parentID) ?? []
    list.push(message)
    answers.set(message.info.parentID, list)
  }
  const ordered: WithParts[] = []
  for (const message of messages) {
    if (message.info.role !== "user") continue
    ordered.push(message, ...(answers.get(message.info.id) ?? []))
    if (message.info.id === untilUserID) break
  }
  return ordered
}

/**
 * Converts stored messages to AI SDK model messages (rules after OpenCode `message-v2.ts`
 * `toModelMessages`, spec 2.7): ignored/empty user text is dropped; assistant messages that failed are
 * dropped unless they were aborted after producing content; every tool call gets exactly one result —
 * pending or running calls become `[Tool execution was interrupted]` — so no `tool_use` ever reaches a
 * provider without its `tool_result`. Reasoning keeps its provider metadata (signatures) only for the
 * provider that produced it.
 */
export function toModelMessages(messages: WithParts[], providerID: string): ModelMessage[] {
  const result: ModelMessage[] = []
  for (const { info, parts } of messages) {
    if (info.role === "user") {
      const content = userContent(parts)
      if (content.length > 0) result.push({ role: "user", content })
      continue
    }
    if (info.error && !(info.error.name === "MessageAbortedError" && parts.some(hasContent))) continue
    const assistant: Exclude<Extract<ModelMessage, { role: "assistant" }>["content"], string> = []
    const tool: Extract<ModelMessage, { role: "tool" }>["content"] = []
    for (const part of parts) {
      if (part.type === "text" && part.text !== "" && !part.ignored) assistant.push({ type: "text", text: part.text })
      if (part.type === "reasoning" && part.text !== "") {
        const sameProvider = info.providerID === providerID
        assistant.push({ type: "reasoning", text: part.text, providerOptions: sameProvider ? part.metadata : undefined })
      }
      if (part.type === "tool") {
        assistant.push({ type: "tool-call", toolCallId: part.callID, toolName: part.tool, input: part.state.input })
        tool.push({ type: "tool-result", toolCallId: part.callID, toolName: part.tool, output: toolOutput(part) })
      }
    }
    if (assistant.length === 0) continue
    result.push({ role: "assistant", content: assistant })
    if (tool.length > 0) result.push({ role: "tool", content: tool })
  }
  return result
}

function hasContent(part: Part): boolean {
  return (part.type === "text" && part.text !== "") || part.type === "tool"
}

function toolOutput(part: Extract<Part, { type: "tool" }>) {
  const state = part.state
  if (state.status === "completed") {
    return { type: "text" as const, value: state.time.compacted ? CLEARED_TOOL_RESULT : state.output }
  }
  if (state.status === "error") return { type: "error-text" as const, value: state.error }
  return { type: "error-text" as const, value: INTERRUPTED_TOOL_RESULT }
}

function userContent(parts: Part[]) {
  const content: Exclude<Extract<ModelMessage, { role: "user" }>["content"], string> = []
  for (const part of parts) {
    if (part.type === "text" && !part.ignored && part.text !== "") content.push({ type: "text", text: part.text })
    if (part.type === "compaction") content.push({ type: "text", text: "What did we do so far?" })
    if (part.type === "file") {
      const data = dataUrl(part.url)
      if (data && data.mediaType.startsWith("text/")) {
        content.push({ type: "text", text: `File ${part.filename ?? ""}:\n${Buffer.from(data.base64, "base64").toString("utf8")}` })
      } else if (data) {
        content.push({ type: "file", data: data.base64, mediaType: data.mediaType, filename: part.filename })
      } else {
        content.push({ type: "text", text: `Attached file: ${part.filename ?? part.url} (${part.mime})` })
      }
    }
    if (part.type === "subtask") content.push({ type: "text", text: `The following task was requested: ${part.description}\n${part.prompt}` })
  }
  return content
}

function dataUrl(url: string): { mediaType: string; base64: string } | undefined {
  const match = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url)
  if (!match) return undefined
  const base64 = match[2] ? match[3] : Buffer.from(decodeURIComponent(match[3]), "utf8").toString("base64")
  return { mediaType: match[1], base64 }
}
