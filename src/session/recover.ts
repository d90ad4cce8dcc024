import { claimDatabase } from "../storage/index.ts"
import type { Logger } from "../util/log.ts"
import { repository } from "./repository.ts"
import type { Writer } from "./writer.ts"

/**
 * Repairs what a crash (kill -9, power loss) left mid-stream, at start-up, before the server listens:
 * tool parts still `pending`/`running` become `error` "Tool execution aborted" with
 * `metadata.interrupted = true`; text and reasoning parts get their `time.end`; assistant messages
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
      await writer.savePart({
        ...part,
        state: { status: "error", input: part.state.input, error: "Tool execution aborted", metadata: { ...metadata, interrupted: true }, time: { start, end: now } },
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
