import type { MessageError, Part, ToolPart } from "../../session/schema.ts"
import type { Json, KeptRecord } from "./records.ts"

/** A user message being assembled from one prompt line (plus the meta lines around it). */
export interface UserDraft {
  role: "user"
  id: string
  seed: string
  time: number
  parts: Part[]
  /** Non-message records that landed here (verbatim). */
  records: KeptRecord[]
  /** Envelopes of the source lines folded into this message. */
  lines: Json[]
  /** Content blocks the model has no part for. */
  blocks: KeptRecord[]
  /** Raw text of a real (typed) prompt: titles and sub-agent linking use it. */
  prompt?: string
}

/** A tool call awaiting its `tool_result`. */
export interface ToolDraft {
  part: ToolPart
  message: AssistantDraft
  start: number
  input: Json
  result?: { content: unknown; isError: boolean; time: number; toolUseResult?: unknown; line: Json }
}

/** An assistant message: one API response, possibly spread over several JSONL lines (spec 1.4). */
export interface AssistantDraft {
  role: "assistant"
  id: string
  seed: string
  messageId?: string
  requestId?: string
  created: number
  completed: number
  parentID: string
  model?: string
  parts: Part[]
  tools: ToolDraft[]
  /** The usage of the line with the largest token total, and its `costUSD`. */
  usage?: { raw: Json; total: number; cost?: number }
  /** Source id of the session that already counted this response's usage (then it counts zero here). */
  duplicateOf?: string
  stopReason?: string
  error?: MessageError
  summary?: boolean
  records: KeptRecord[]
  lines: Json[]
  blocks: KeptRecord[]
}

export type Draft = UserDraft | AssistantDraft
