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
  for (const part of await repository.unfinishedParts(writer.db)) {
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

/** The `{pgid, startTime}` a tool recorded in its metadata (`ToolContext.process`), if well-formed. */
function recordedGroup(value: unknown): { pgid: number; startTime: number } | undefined {
  if (typeof value !== "object" || value === null) return undefined
  const { pgid, startTime } = value as { pgid?: unknown; startTime?: unknown }
  if (!Number.isSafeInteger(pgid) || (pgid as number) <= 1 || !Number.isSafeInteger(startTime)) return undefined
  return { pgid: pgid as number, startTime: startTime as number }
}
