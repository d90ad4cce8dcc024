import type { Part } from "../session/index.ts"

/** A `tool` part of a message. */
export type ToolPart = Extract<Part, { type: "tool" }>

/** Lines of output shown under a tool call when abridged. */
export const EXCERPT_LINES = 3
/** Characters of one shown line (or of a tool's input) when abridged. */
export const EXCERPT_WIDTH = 120

/** How a tool call ended, for the CLI: `ok` false for an error and for a bash command that exited non-zero. */
export interface ToolOutcome {
  ok: boolean
  /** The bash command's exit code when it is not 0 (`metadata.exit`); undefined otherwise. */
  exit?: number
  /** A signal-killed bash command (`metadata.exit` null with a completed state). */
  killed?: boolean
}

/**
 * The outcome of a finished (`completed` or `error`) tool call, undefined while it is pending or
 * running. A `completed` bash call is a failure when `state.metadata.exit` is a non-zero number (the bash
 * tool reports a non-zero exit as a result, not an error: OpenCode 1.18 `tool/bash.ts`) or null (killed by
 * a signal).
 */
export function toolOutcome(part: ToolPart): ToolOutcome | undefined {
  const { state } = part
  if (state.status === "error") return { ok: false }
  if (state.status !== "completed") return undefined
  const exit = (state.metadata as { exit?: unknown } | undefined)?.exit
  if (part.tool === "bash" && typeof exit === "number" && exit !== 0) return { ok: false, exit }
  if (part.tool === "bash" && exit === null) return { ok: false, killed: true }
  return { ok: true }
}

/**
 * One line for a tool's input: `$ <command>` for bash, else its JSON (`{"filePath":"a.ts"}`), cut to
 * `width` characters (`…` marks the cut) unless `width` is Infinity.
 */
export function toolInputSummary(part: ToolPart, width = EXCERPT_WIDTH): string {
  const input = part.state.input as Record<string, unknown>
  const text = part.tool === "bash" && typeof input.command === "string" ? `$ ${input.command}` : JSON.stringify(input)
  return cut(text.replace(/\s*\n\s*/g, " ⏎ "), width)
}

/**
 * What a finished tool call said: the error of an `error` state; for a completed call its output (for
 * bash the plain command output `metadata.output`), without the markup the model is given (`<path>`,
 * `<content>`, `<bash_metadata>` blocks). Empty for a call that is not finished.
 */
export function toolOutputText(part: ToolPart): string {
  const { state } = part
  if (state.status === "error") return state.error
  if (state.status !== "completed") return ""
  const metadataOutput = (state.metadata as { output?: unknown } | undefined)?.output
  const output = part.tool === "bash" && typeof metadataOutput === "string" ? metadataOutput : state.output
  return output
    .replace(/<bash_metadata>[\s\S]*?<\/bash_metadata>/g, "")
    .split("\n")
    .filter((line) => !MARKUP_LINE.test(line))
    .join("\n")
    .trim()
}

/**
 * The first `lines` non-blank lines of `text`, each cut to `width` characters, plus `… N more lines` when
 * some were left out. `lines`/`width` Infinity keeps everything. Empty for blank text.
 */
export function excerpt(text: string, lines = EXCERPT_LINES, width = EXCERPT_WIDTH): string[] {
  const all = text.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "")
  const shown = all.slice(0, lines).map((line) => cut(line, width))
  if (all.length > shown.length) shown.push(`… ${all.length - shown.length} more line${all.length - shown.length === 1 ? "" : "s"}`)
  return shown
}

/** `(exit 1)`, `(killed)` or empty: the suffix naming why a completed call failed. */
export function outcomeSuffix(outcome: ToolOutcome): string {
  if (outcome.exit !== undefined) return ` (exit ${outcome.exit})`
  if (outcome.killed) return " (killed)"
  return ""
}

/** A line of the read tool's wrapper: `<path>…</path>`, `<type>file</type>`, `<content>`, `</content>`. */
const MARKUP_LINE = /^\s*(<(path|type)>.*<\/\2>|<\/?(content|file)>)\s*$/

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text
}
