import type { SessionInfo } from "../../session/schema.ts"
import type { ImportedSession } from "../types.ts"
import type { CodexSessionBuilder } from "./builder.ts"
import { codexSessionID } from "./identity.ts"
import { parseTime, type JsonObject } from "./records.ts"

const TOKEN_RULE =
  "per file: deltas of token_count total_token_usage (last_token_usage on a reset / first row of a fork or sub-agent); rows repeating the previous total skipped; rows in copied parent history not counted (spec transcript-formats.md 2.4, 2.6)"

/**
 * Title precedence (spec transcript-formats.md 2.1–2.3): the thread's name (`thread_name_updated`,
 * latest wins) > its first real prompt, first line, cut to 100 characters (what Codex's resume picker
 * previews) > the last prompt of the copied-history burst of a fork / sub-agent file (its own first
 * prompt, written right after the copy) > OpenCode's default title.
 */
export function codexTitle(builder: CodexSessionBuilder, child: boolean): string {
  const text = builder.threadName?.trim() || builder.prompts.firstPrompt || builder.prompts.lastReplayedPrompt
  const line = text?.split("\n").map((part) => part.trim()).find((part) => part !== "")
  if (line) return line.length > 100 ? `${line.slice(0, 97)}...` : line
  return `${child ? "Child" : "New"} session - ${new Date(builder.identity.created).toISOString()}`
}

/** The finished thread as an `ImportedSession`. */
export function toImportedSession(builder: CodexSessionBuilder): ImportedSession {
  const identity = builder.identity
  const codex: JsonObject = { tokenRule: TOKEN_RULE }
  if (identity.meta) codex.sessionMeta = identity.meta
  let parentID: string | undefined
  if (identity.parentThreadID) {
    const copied = builder.copiedMetas.find((meta) => meta.payload.id === identity.parentThreadID)
    parentID = codexSessionID(identity.parentThreadID, parseTime(copied?.payload.timestamp) ?? identity.created)
    codex.parentThreadID = identity.parentThreadID
  }
  if (identity.forkedFromThreadID) {
    const copied = builder.copiedMetas.find((meta) => meta.payload.id === identity.forkedFromThreadID)
    codex.forkedFrom = { threadID: identity.forkedFromThreadID, sessionID: codexSessionID(identity.forkedFromThreadID, parseTime(copied?.payload.timestamp) ?? identity.created) }
  }
  if (builder.copiedMetas.length > 0) codex.copiedSessionMetas = builder.copiedMetas
  if (builder.duplicateMetas.length > 0) codex.duplicateSessionMetas = builder.duplicateMetas
  if (builder.replays.length > 0) codex.replayedLines = builder.replays
  if (builder.turnContexts.length > 0) codex.turnContexts = builder.turnContexts
  if (builder.threadName) codex.threadName = builder.threadName
  if (builder.preamble.length > 0) codex.records = builder.preamble
  if (builder.skippedTokenCounts.length > 0) codex.skippedTokenCounts = builder.skippedTokenCounts
  const directory = identity.cwd || (builder.turnContexts.map((context) => context.payload.cwd).find((cwd) => typeof cwd === "string" && cwd !== "") as string | undefined) || ""
  const lastModel = builder.messages.findLast((message) => message.info.role === "assistant" && message.info.modelID !== "unknown")
  const info: SessionInfo = {
    id: identity.sessionID,
    slug: `codex-${identity.threadID.replace(/[^0-9a-z]/gi, "").slice(-8).toLowerCase()}`,
    projectID: "",
    directory,
    title: codexTitle(builder, parentID !== undefined),
    version: "",
    metadata: {
      import: { source: "codex", sourceID: identity.threadID, path: identity.path, ...(identity.cliVersion ? { cliVersion: identity.cliVersion } : {}) },
      codex,
    },
    time: { created: identity.created, updated: Math.max(builder.updated, identity.created) },
  }
  if (parentID) info.parentID = parentID
  if (lastModel?.info.role === "assistant") info.model = { id: lastModel.info.modelID, providerID: lastModel.info.providerID }
  if (/[\\/]archived_sessions[\\/]/.test(identity.path)) info.time.archived = info.time.updated
  return { info, messages: builder.messages }
}
