import { stableId } from "../ids.ts"
import { isObject, parseTime, stringOf, threadIdFromPath, uuidV7Time, type CodexRecord, type JsonObject } from "./records.ts"

/** Who a rollout file is: its thread, its Spool session ID and its place in the thread tree. */
export interface ThreadIdentity {
  path: string
  threadID: string
  sessionID: string
  /** The file's own `session_meta` payload (the first one, spec 2.6) and its line. */
  meta?: JsonObject
  metaLine?: number
  created: number
  cwd: string
  providerID: string
  cliVersion?: string
  /** Sub-agent threads (`source.subagent.thread_spawn.parent_thread_id`, newer top-level `parent_thread_id`). */
  parentThreadID?: string
  /** Forks (`forked_from_id`): an independent session in OpenCode's model, no `parentID`. */
  forkedFromThreadID?: string
  /** Sub-agent or fork: Codex seeds its token totals from the parent (spec 2.6). */
  seeded: boolean
}

/** The session ID of a Codex thread: `stableId("session", "codex:<thread id>", time)`. */
export function codexSessionID(threadID: string, created: number): string {
  return stableId("session", `codex:${threadID}`, threadTime(threadID, created))
}

/**
 * The time field of a thread's session ID. For UUID v7 ids (every Codex build with sub-agents) it is
 * the time inside the id, which real rollouts record as `session_meta.timestamp` to the millisecond,
 * so a child file can name its parent's ID without reading the parent; else the creation time.
 */
export function threadTime(threadID: string, created: number): number {
  return uuidV7Time(threadID) ?? created
}

function subagentSpawn(meta: JsonObject): JsonObject | undefined {
  const source = meta.source
  if (!isObject(source) || !isObject(source.subagent)) return undefined
  return isObject(source.subagent.thread_spawn) ? source.subagent.thread_spawn : {}
}

/** Identity from the file's own `session_meta` record, or from the file name when it has none. */
export function identify(path: string, metaRecord: CodexRecord | undefined, firstTime: number | undefined): ThreadIdentity {
  const meta = metaRecord?.payload
  const threadID = stringOf(meta?.id) ?? threadIdFromPath(path)
  const created = parseTime(meta?.timestamp) ?? metaRecord?.time ?? firstTime ?? 0
  const spawn = meta ? subagentSpawn(meta) : undefined
  const subagent = spawn !== undefined || meta?.thread_source === "subagent"
  const parentCandidate = stringOf(spawn?.parent_thread_id) ?? (subagent ? stringOf(meta?.parent_thread_id) : undefined)
  const parentThreadID = parentCandidate !== threadID ? parentCandidate : undefined
  const forkedCandidate = stringOf(meta?.forked_from_id)
  const forkedFromThreadID = forkedCandidate !== threadID ? forkedCandidate : undefined
  return {
    path,
    threadID,
    sessionID: codexSessionID(threadID, created),
    meta,
    metaLine: metaRecord?.line,
    created,
    cwd: stringOf(meta?.cwd) ?? "",
    providerID: stringOf(meta?.model_provider) ?? "openai",
    cliVersion: stringOf(meta?.cli_version),
    parentThreadID,
    forkedFromThreadID,
    seeded: subagent || forkedFromThreadID !== undefined || meta?.thread_source === "fork",
  }
}
