import type { ClassifiedError, MessageError } from "../provider/index.ts"
import type { ToolResult } from "../tool/index.ts"

/** Token usage of one LLM step in OpenCode's terms (spec 2.5): `input` excludes cache reads/writes,
 * `output` excludes reasoning. Units: tokens. */
export interface StepUsage {
  input: number
  output: number
  reasoning: number
  cache: { read: number; write: number }
  total: number
}

/**
 * What the agent loop reports while it runs (kebab noun-action names, as vercel/ai stream parts).
 *
 * Contract:
 * - Per step: `step-start`, then any number of text/reasoning/tool events, then exactly one of
 *   `step-finish` or `step-error`.
 * - Every `text-start`/`reasoning-start` is closed by its `-end` before `step-finish`.
 * - Every `tool-input-start` or `tool-call` is closed by exactly one `tool-result` or `tool-error`
 *   before `step-finish`/`step-error` — also when the turn is aborted (`interrupted: true`), so history
 *   never holds a tool call without its result.
 * - `retry` precedes a new attempt of the same step; no content was emitted for the failed attempt.
 */
export type AgentEvent =
  | { type: "step-start"; step: number }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; text: string }
  | { type: "text-end"; id: string; text: string; providerMetadata?: Record<string, unknown> }
  | { type: "reasoning-start"; id: string }
  | { type: "reasoning-delta"; id: string; text: string }
  | { type: "reasoning-end"; id: string; text: string; providerMetadata?: Record<string, unknown> }
  | { type: "tool-input-start"; callID: string; tool: string }
  | { type: "tool-call"; callID: string; tool: string; input: Record<string, unknown> }
  | { type: "tool-result"; callID: string; tool: string; input: Record<string, unknown>; result: ToolResult }
  | { type: "tool-error"; callID: string; tool: string; input: Record<string, unknown>; error: string; interrupted?: boolean }
  | { type: "step-finish"; step: number; finishReason: string; usage: StepUsage; providerMetadata?: Record<string, unknown> }
  | { type: "step-error"; step: number; error: ClassifiedError }
  | { type: "retry"; attempt: number; error: MessageError; next: number }

/** How a turn ended: the last step's finish reason, or the error that stopped it. */
export interface TurnResult {
  finish: string
  steps: number
  error?: MessageError
}
