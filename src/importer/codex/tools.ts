import type { ToolPart } from "../../session/schema.ts"
import { imageRef, rest, toolInput, toolResult, toolTitle, type ImageRef, type ToolResult } from "./content.ts"
import { isObject, stringOf, type CodexRecord, type JsonObject } from "./records.ts"
import { INTERRUPTED, type Step, type Transcript } from "./transcript.ts"

/** Response item kinds that are a tool call (spec transcript-formats.md 2.3 and the 0.14x+ additions). */
export const TOOL_CALLS = new Set(["function_call", "custom_tool_call", "local_shell_call", "web_search_call", "tool_search_call", "image_generation_call"])
/** Response item kinds that are a tool result, paired with their call by `call_id`. */
export const TOOL_OUTPUTS = new Set(["function_call_output", "custom_tool_call_output", "tool_search_output"])

/** A tool call item in OpenCode's terms. */
export interface ToolCall {
  callID?: string
  tool: string
  input: JsonObject
  /** Fields of the item mapped onto the part (the rest is kept in metadata). */
  mapped: string[]
  /** Calls the provider ran itself (web search, image generation): complete as soon as recorded. */
  done?: { output: string; images: ImageRef[]; error?: string }
}

/**
 * Maps a tool call item: `function_call` (`name`, JSON-string `arguments`, `call_id`),
 * `custom_tool_call` (freeform `input`, chiefly `apply_patch`; kept as `patchText` like OpenCode's
 * apply_patch tool), `local_shell_call` (`action`), `web_search_call` (`action`, often no `call_id`),
 * `tool_search_call` (`arguments`), `image_generation_call` (`result` = base64 image).
 */
export function describeToolCall(item: JsonObject): ToolCall {
  const name = stringOf(item.name) ?? "unknown"
  switch (item.type) {
    case "function_call":
      return { callID: stringOf(item.call_id), tool: name, input: toolInput(item.arguments, "arguments"), mapped: ["type", "name", "arguments", "call_id"] }
    case "custom_tool_call":
      return { callID: stringOf(item.call_id), tool: name, input: toolInput(item.input, name === "apply_patch" ? "patchText" : "input"), mapped: ["type", "name", "input", "call_id"] }
    case "local_shell_call":
      return { callID: stringOf(item.call_id) ?? stringOf(item.id), tool: "local_shell", input: isObject(item.action) ? item.action : {}, mapped: ["type", "call_id", "action"] }
    case "web_search_call":
      return {
        callID: stringOf(item.call_id) ?? stringOf(item.id),
        tool: "web_search",
        input: isObject(item.action) ? item.action : {},
        mapped: ["type", "call_id", "action"],
        done: { output: "", images: [], error: item.status === "failed" ? "web search failed" : undefined },
      }
    case "tool_search_call":
      return { callID: stringOf(item.call_id) ?? stringOf(item.id), tool: "tool_search", input: toolInput(item.arguments, "arguments"), mapped: ["type", "call_id", "arguments"] }
    default: {
      const result = stringOf(item.result)
      const image = result ? imageRef(result.startsWith("data:") ? result : `data:image/png;base64,${result}`) : undefined
      return {
        callID: stringOf(item.call_id) ?? stringOf(item.id),
        tool: "image_generation",
        input: {},
        mapped: ["type", "call_id", "result", "revised_prompt"],
        done: { output: stringOf(item.revised_prompt) ?? "", images: image ? [image] : [], error: item.status === "failed" ? "image generation failed" : undefined },
      }
    }
  }
}

/** A tool result item: its `call_id`, the result, and the fields mapped. */
export function describeToolOutput(item: JsonObject): { callID?: string; result: ToolResult; mapped: string[] } {
  if (item.type === "tool_search_output") {
    return {
      callID: stringOf(item.call_id) ?? stringOf(item.id),
      result: { text: JSON.stringify(item.tools ?? []), images: [], success: item.status === "failed" ? false : undefined },
      mapped: ["type", "call_id", "tools"],
    }
  }
  return { callID: stringOf(item.call_id), result: toolResult(item.output), mapped: ["type", "call_id", "output"] }
}

/** `web_search_end` results as readable text for the web search tool's output. */
export function searchResultsText(results: unknown): string {
  if (!Array.isArray(results)) return ""
  return results
    .map((result) => (isObject(result) ? [stringOf(result.title), stringOf(result.url), stringOf(result.snippet)].filter(Boolean).join("\n") : String(result)))
    .join("\n\n")
}

/**
 * Tool parts of one thread: a call becomes a `tool` part `running` in its model call's message; the
 * `*_output` with the same `call_id` completes it (`error` when Codex marked it failed); events naming
 * a `call_id` (`exec_command_end`, `patch_apply_end`, `mcp_tool_call_end`…) go to its metadata, and
 * `web_search_end` (often without a matching id) pairs with its search by query. Calls still running
 * when the file ends get the contract's `error` "[Tool execution was interrupted]".
 */
export class ToolCalls {
  private readonly transcript: Transcript
  private readonly unanswered = new Map<string, ToolPart[]>()
  private readonly byCallID = new Map<string, ToolPart>()
  private readonly searches: ToolPart[] = []

  constructor(transcript: Transcript) {
    this.transcript = transcript
  }

  call(record: CodexRecord, step: Step): void {
    const transcript = this.transcript
    const call = describeToolCall(record.payload)
    const time = transcript.time(record)
    const callID = call.callID ?? `line-${record.line}`
    const codex: JsonObject = { line: record.line, kind: record.payload.type }
    const extra = rest(record.payload, call.mapped)
    if (extra) codex.item = extra
    const base = { id: transcript.id("part", `${record.line}:tool`, time), sessionID: transcript.identity.sessionID, messageID: step.draft.info.id, type: "tool" as const, callID, tool: call.tool, metadata: { codex } }
    let part: ToolPart
    if (call.done) {
      const span = { start: time, end: time }
      const state = call.done.error
        ? { status: "error" as const, input: call.input, error: call.done.error, time: span }
        : { status: "completed" as const, input: call.input, output: call.done.output, title: toolTitle(call.tool, call.input), metadata: {}, time: span, ...this.attachments(base.messageID, record, call.done.images) }
      part = transcript.addPart(step.draft, { ...base, state })
      if (call.tool === "web_search") this.searches.push(part)
    } else {
      step.clientTools = true
      part = transcript.addPart(step.draft, { ...base, state: { status: "running", input: call.input, time: { start: time } } })
      const queue = this.unanswered.get(callID) ?? []
      queue.push(part)
      this.unanswered.set(callID, queue)
    }
    this.byCallID.set(callID, part)
  }

  /** A `*_output` item; false when no call is waiting for it (the caller keeps it verbatim). */
  output(record: CodexRecord): boolean {
    const transcript = this.transcript
    const output = describeToolOutput(record.payload)
    const part = output.callID ? this.take(output.callID, record.payload.type as string) : undefined
    if (!part || part.state.status !== "running") return false
    const time = transcript.time(record)
    const { input, time: { start } } = part.state
    const result = output.result
    const extra = rest(record.payload, output.mapped)
    transcript.codexOf(part).output = { line: record.line, ...extra }
    const metadata: JsonObject = result.metadata ? { codex: result.metadata } : {}
    const span = { start, end: Math.max(start, time) }
    if (result.success === false) part.state = { status: "error", input, error: result.text || "failed", metadata, time: span }
    else part.state = { status: "completed", input, output: result.text, title: toolTitle(part.tool, input), metadata, time: span, ...this.attachments(part.messageID, record, result.images) }
    return true
  }

  /** An event naming a call; false when it names none we know (the caller keeps it verbatim). */
  event(record: CodexRecord): boolean {
    const event = record.payload
    const callID = stringOf(event.call_id) ?? stringOf(event.callId)
    let part = callID ? this.byCallID.get(callID) : undefined
    if (!part && event.type === "web_search_end") {
      const query = stringOf(event.query) ?? (isObject(event.action) ? stringOf(event.action.query) : undefined)
      part = this.searches.findLast((search) => !this.transcript.codexOf(search).events && (query === undefined || search.state.input.query === query))
      if (part?.state.status === "completed" && !part.state.output) part.state.output = searchResultsText(event.results)
    }
    if (!part) return false
    const codex = this.transcript.codexOf(part)
    ;((codex.events ??= []) as JsonObject[]).push({ line: record.line, timestamp: record.timestamp, ...event })
    return true
  }

  /** The end of the file: calls without a result were interrupted. */
  interruptAll(end: number): void {
    for (const queue of this.unanswered.values()) {
      for (const part of queue) {
        if (part.state.status !== "running") continue
        part.state = { status: "error", input: part.state.input, error: INTERRUPTED, time: { start: part.state.time.start, end: Math.max(part.state.time.start, end) } }
      }
    }
    this.unanswered.clear()
  }

  /**
   * The call an output answers. Call IDs are unique in real rollouts; when one is reused, the latest
   * unanswered call of the matching kind (`custom_tool_call_output` ↔ `custom_tool_call`, …).
   */
  private take(callID: string, outputType: string): ToolPart | undefined {
    const queue = this.unanswered.get(callID)
    if (!queue || queue.length === 0) return undefined
    const kind = outputType === "tool_search_output" ? "tool_search_call" : outputType.replace(/_output$/, "")
    let index = queue.findLastIndex((part) => this.transcript.codexOf(part).kind === kind)
    if (index < 0) index = queue.length - 1
    return queue.splice(index, 1)[0]
  }

  private attachments(messageID: string, record: CodexRecord, images: ImageRef[]): { attachments?: ReturnType<Transcript["files"]> } {
    return images.length > 0 ? { attachments: this.transcript.files(messageID, record, images, "attachment") } : {}
  }
}
