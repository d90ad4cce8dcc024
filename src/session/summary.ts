import { relative, sep } from "node:path"
import type { Snapshot } from "../snapshot/index.ts"
import type { FileDiff, Part, WithParts } from "./schema.ts"

/** The first `step-start` and last `step-finish` snapshot of some messages, and the files their patches name. */
export interface ChangeSpan {
  from?: string
  to?: string
  /** Work-tree-relative paths. */
  files: string[]
}

/** Collects the change span of a list of messages (in order). */
export function changeSpan(messages: WithParts[], workTree: string): ChangeSpan {
  let from: string | undefined
  let to: string | undefined
  const files = new Set<string>()
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type === "step-start" && part.snapshot && from === undefined) from = part.snapshot
      if (part.type === "step-finish" && part.snapshot) to = part.snapshot
      if (part.type === "patch") for (const file of part.files) files.add(toRelative(workTree, file))
    }
  }
  return { from, to, files: [...files].sort() }
}

/**
 * File diffs of a span: only the files the agent's patches name, so edits the user made elsewhere in
 * the meantime never show up as the agent's.
 */
export async function spanDiffs(snapshot: Snapshot, span: ChangeSpan): Promise<FileDiff[]> {
  if (!span.from || !span.to || span.files.length === 0) return []
  return snapshot.diff(span.from, span.to, span.files)
}

/** `{additions, deletions, files}` totals of some diffs (Session.summary). */
export function totals(diffs: FileDiff[]) {
  return {
    additions: diffs.reduce((sum, diff) => sum + diff.additions, 0),
    deletions: diffs.reduce((sum, diff) => sum + diff.deletions, 0),
    files: diffs.length,
  }
}

/** A work-tree-relative, `/`-separated path. */
export function toRelative(workTree: string, file: string): string {
  return relative(workTree, file).split(sep).join("/")
}

/** Patch parts of a message list, in order. */
export function patches(messages: WithParts[]): Array<Extract<Part, { type: "patch" }>> {
  return messages.flatMap((message) => message.parts.filter((part): part is Extract<Part, { type: "patch" }> => part.type === "patch"))
}
