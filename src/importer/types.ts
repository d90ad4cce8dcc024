import type { Message, Part, SessionInfo } from "../session/schema.ts"

/** Where a session came from. */
export type ImportSource = "claude-code" | "codex" | "opencode"

/**
 * One source session converted to Spool's (= OpenCode's) model, ready to store. Every ID in it is
 * deterministic (`stableId`), derived from the source's own identity, so importing the same input
 * again produces the same rows (idempotent upserts) and a file that grew yields the same IDs for the
 * old records plus new ones.
 *
 * Conventions every parser follows:
 * - `info.id` is `stableId("session", <source>:<source session id>, created)`; children point at their
 *   parent with `info.parentID`.
 * - `info.projectID` and `info.version` may be left as "" — the store fills them in (project of the
 *   directory, Spool's version).
 * - `info.metadata.import = { source, sourceID, path }` always; records with no place in the model are
 *   kept verbatim in the metadata of the nearest message or part (`metadata.raw` or a named key), so
 *   nothing is lost.
 * - Assistant messages: one per model call (step), with `step-start` / `step-finish` parts; the
 *   `step-finish.tokens` are the provider's usage for that call in OpenCode's terms (`input` excludes
 *   cache read and write; `output` excludes reasoning) and `cost` is the source's own cost when it
 *   recorded one, else 0 (the store prices known models).
 * - Tool calls are `tool` parts in state `completed` or `error` (with the result), or `error`
 *   "[Tool execution was interrupted]" when the source has no result.
 * - Times are epoch ms from the source's timestamps.
 */
export interface ImportedSession {
  info: SessionInfo
  messages: Array<{ info: Message; parts: Part[] }>
  /** Todo list, when the source has one (OpenCode). */
  todos?: Array<{ content: string; status: string; priority: string }>
}

/** A line or record that could not be imported: counted, reported, skipped. */
export interface ImportProblem {
  /** File the record came from. */
  path: string
  /** 1-based line number for JSONL sources; absent for whole-file problems. */
  line?: number
  message: string
}

/** What a parser yields while it streams through its input. */
export type ImportItem =
  | { type: "session"; session: ImportedSession }
  | { type: "problem"; problem: ImportProblem }
  /** Progress in bytes of the current file (for the progress bar). */
  | { type: "progress"; path: string; bytes: number; total: number }

/**
 * A parser: streams the sessions of one input path (a file or a directory in the source's layout).
 * Contract: never throws for bad input — corrupt lines and unreadable files are `problem` items and
 * parsing continues; memory stays bounded by the largest single session, not the file size.
 */
export type Parser = (path: string) => AsyncIterable<ImportItem>
