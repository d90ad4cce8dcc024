import type { Part } from "../../session/schema.ts"
import type { AssistantDraft, ToolDraft, UserDraft } from "./drafts.ts"
import { fileOf, isObject, text, type Json } from "./records.ts"

/** What part construction needs from the session being built. */
export interface PartContext {
  readonly sessionID: string
  /** Open tool calls by `callID`. */
  readonly tools: Map<string, ToolDraft>
  id(kind: "message" | "part", seed: string, time: number): string
}

/**
 * Parts of a user line: text blocks → text parts (`synthetic` for meta/harness lines), image and
 * document blocks → file parts (data URLs); other blocks are kept verbatim in the message metadata.
 */
export function addUserParts(context: PartContext, draft: UserDraft, blocks: Json[], key: string, time: number, synthetic: boolean, line: number) {
  blocks.forEach((block, index) => {
    const seed = `${draft.seed}:${key}:${index}`
    const file = fileOf(block)
    if (block.type === "text" && typeof block.text === "string") {
      const part: Part = { id: context.id("part", seed, time), sessionID: context.sessionID, messageID: draft.id, type: "text", text: block.text }
      if (synthetic) part.synthetic = true
      draft.parts.push(part)
    } else if (file) {
      draft.parts.push({ id: context.id("part", seed, time), sessionID: context.sessionID, messageID: draft.id, type: "file", ...file })
    } else {
      draft.blocks.push({ line, record: block })
    }
  })
}

/**
 * Parts of one assistant content block (spec 1.4): `text` → text, `thinking`/`redacted_thinking` →
 * reasoning (signature and redacted data in metadata), `tool_use` (and server/MCP tool uses) → a
 * pending tool part completed later by its `tool_result`; server-side `*_tool_result` blocks complete
 * their call in place; unknown blocks are kept verbatim in the message metadata.
 */
export function addAssistantBlock(context: PartContext, draft: AssistantDraft, block: Json, key: string, at: number, line: number) {
  const base = { id: "", sessionID: context.sessionID, messageID: draft.id }
  const seed = `${draft.seed}:${key}`
  switch (block.type) {
    case "text":
      draft.parts.push({ ...base, id: context.id("part", seed, at), type: "text", text: typeof block.text === "string" ? block.text : "", time: { start: at, end: at } })
      return
    case "thinking":
    case "redacted_thinking": {
      const metadata: Json = {}
      if (block.signature !== undefined) metadata.signature = block.signature
      if (block.type === "redacted_thinking") metadata.redacted = block.data ?? true
      const body = typeof block.thinking === "string" ? block.thinking : ""
      draft.parts.push({ ...base, id: context.id("part", seed, at), type: "reasoning", text: body, metadata, time: { start: at, end: at } })
      return
    }
    case "tool_use":
    case "server_tool_use":
    case "mcp_tool_use": {
      const callID = text(block.id) ?? seed
      const input = isObject(block.input) ? block.input : block.input === undefined ? {} : { value: block.input }
      const part = {
        ...base, id: context.id("part", `${draft.seed}:tool:${callID}`, at), type: "tool" as const, callID,
        tool: text(block.name) ?? "unknown", state: { status: "pending" as const, input, raw: "" },
      }
      const tool: ToolDraft = { part, message: draft, start: at, input }
      draft.parts.push(part)
      draft.tools.push(tool)
      if (!context.tools.has(callID)) context.tools.set(callID, tool)
      return
    }
  }
  // Server-side tool results arrive inside the assistant content (web search/fetch, code execution).
  const resultOf = text(block.tool_use_id)
  const tool = resultOf ? context.tools.get(resultOf) : undefined
  if (tool && !tool.result && typeof block.type === "string" && block.type.endsWith("tool_result")) {
    tool.result = { content: block.content, isError: isObject(block.content) && text(block.content.error_code) !== undefined, time: at, line: { line, block: block.type } }
    return
  }
  draft.blocks.push({ line, record: block })
}
