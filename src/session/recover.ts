import { claimDatabase } from "../storage/index.ts"
import type { Logger } from "../util/log.ts"
import { killProcessGroup } from "../util/process-identity.ts"
import { repository } from "./repository.ts"
import type { Writer } from "./writer.ts"

/**
 * Repairs what a crash (kill -9, power loss) left mid-stream, at start-up, before the server listens:
 * tool parts still `pending`/`running` become `error` "Tool execution aborted" with
 * `metadata.interrupted = true` — first, when the tool recorded a process group it started
 * (`metadata.process = {pid, pgid, startTime}`, see `ToolContext.process`) and that group's leader still
 * runs with the recorded start time (`/proc/<pid>/stat` field 22, so a recycled pid is never touched),
 * the whole group gets SIGKILL and the part also gets `metadata.killed = true`. Text and reasoning
 * parts get their `time.end`; assistant messages
 * without `time.completed` get a `MessageAbortedError` and are completed. Completed parts and user
 * messages are left exactly as stored. Returns the number of repaired rows.
 *
 * Imported history is never touched: only turns this Spool ran are repaired. In a session with
 * `metadata.import` (see `importer/types.ts`), a message created no later than its file's import
 * (`import_file.time_imported` of `metadata.import.path`; unknown file: all of it) is the source's
 * record, left exactly as imported even when it ended unfinished there (OpenCode exports keep `running`
 * tools and texts without an end); messages Spool added by continuing the session are repaired as usual.
 *
 * Several processes may share a database (`spool serve` and `spool session list` or `spool run` in
 * another terminal): unfinished rows are only leftovers of a crash when no other Spool process has the
 * database open — otherwise they may be that process's running turn. So recovery is skipped (returns
 * 0) while another process holds the database's liveness lock (see `claimDatabase`).
 */
export async function recoverInterrupted(writer: Writer, log: Logger): Promise<number> {
  if (!(await claimDatabase(writer.db, (error) => log.warn({ err: error }, "cannot use the database liveness lock; recovering regardless")))) {
    log.info("another Spool process is using the database: unfinished parts are left to it")
    return 0
  }
  const now = Date.now()
  let repaired = 0
  const imported = importedHistory(writer)
  for (const part of await repository.unfinishedParts(writer.db)) {
    if (await imported(part.sessionID, part.messageID)) continue
    if (part.type === "tool" && (part.state.status === "pending" || part.state.status === "running")) {
      const start = part.state.status === "running" ? part.state.time.start : now
      const metadata = part.state.status === "running" ? part.state.metadata : undefined
      // The crashed process could not stop the command it started: kill its process group first, but
      // only when the group's leader is still the very process recorded (pid and start time).
      const group = recordedGroup(metadata?.process)
      const killed = group !== undefined && killProcessGroup({ pid: group.pgid, startTime: group.startTime })
      if (killed) log.warn({ pgid: group.pgid, sessionID: part.sessionID, callID: part.callID }, "killed the process group of a tool interrupted by a previous crash")
      await writer.savePart({
        ...part,
        state: { status: "error", input: part.state.input, error: "Tool execution aborted", metadata: { ...metadata, interrupted: true, ...(killed ? { killed: true } : {}) }, time: { start, end: now } },
      })
    } else if ((part.type === "text" || part.type === "reasoning") && part.time) {
      await writer.savePart({ ...part, time: { start: part.time.start, end: now } } as typeof part)
    }
    repaired++
  }
  for (const message of await repository.unfinishedAssistants(writer.db)) {
    if (message.role !== "assistant") continue
    if (await imported(message.sessionID, message.id)) continue
    await repository.upsertMessage(
      writer.db,
      { ...message, error: message.error ?? { name: "MessageAbortedError", data: { message: "Interrupted: the server stopped during this step" } }, finish: message.finish ?? "error", time: { ...message.time, completed: now } },
      now,
    )
    repaired++
  }
  if (repaired > 0) log.warn({ repaired }, "repaired parts and messages interrupted by a previous crash")
  return repaired
}

/**
 * Tells whether a message is imported history (see `recoverInterrupted`): its session carries
 * `metadata.import` and the message was created no later than the session's file was imported.
 * Sessions are looked up once each.
 */
function importedHistory(writer: Writer): (sessionID: string, messageID: string) => Promise<boolean> {
  // Per session: when its file was imported (epoch ms; Infinity when the file is not on record), or
  // undefined for a session Spool created.
  const importedAt = new Map<string, Promise<number | undefined>>()
  const lookup = async (sessionID: string): Promise<number | undefined> => {
    const session = await repository.getSession(writer.db, sessionID)
    const marker = session?.metadata?.import as { path?: unknown } | undefined
    if (!marker) return undefined
    if (typeof marker.path !== "string") return Number.POSITIVE_INFINITY
    const file = await writer.db.selectFrom("import_file").select("time_imported").where("path", "=", marker.path).executeTakeFirst()
    return file?.time_imported ?? Number.POSITIVE_INFINITY
  }
  return async (sessionID, messageID) => {
    let at = importedAt.get(sessionID)
    if (!at) importedAt.set(sessionID, (at = lookup(sessionID)))
    const time = await at
    if (time === undefined) return false
    const message = await writer.db.selectFrom("message").select("time_created").where("id", "=", messageID).executeTakeFirst()
    return message === undefined || message.time_created <= time
  }
}

/** The `{pgid, startTime}` a tool recorded in its metadata (`ToolContext.process`), if well-formed. */
function recordedGroup(value: unknown): { pgid: number; startTime: number } | undefined {
  if (typeof value !== "object" || value === null) return undefined
  const { pgid, startTime } = value as { pgid?: unknown; startTime?: unknown }
  if (!Number.isSafeInteger(pgid) || (pgid as number) <= 1 || !Number.isSafeInteger(startTime)) return undefined
  return { pgid: pgid as number, startTime: startTime as number }
}
