import BetterSqlite3 from "better-sqlite3"
import { sql, type Kysely } from "kysely"
import type { Database } from "../storage/index.ts"
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
  if (!(await claimDatabase(writer.db, log))) {
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

/** The liveness locks this process holds, by lock file (one connection each, open until exit). */
const liveness = new Map<string, BetterSqlite3.Database>()

/**
 * Registers this process as a user of the database file behind `db` and tells whether it is the only
 * one. Every Spool process holds a SHARED lock on `<database>.live` (a read transaction on an empty
 * SQLite file) for as long as it runs; the operating system drops it when the process dies, kill -9
 * included. Taking an EXCLUSIVE lock without waiting succeeds only when no other process holds the
 * shared one. In-memory databases are never shared (true). If the lock file cannot be used, recovery
 * runs as before (true).
 *
 * Within one process a second call for the same file re-tests against the other processes only: an
 * app created again in the same process (tests) recovers what an earlier, closed app left.
 */
async function claimDatabase(db: Kysely<Database>, log: Logger): Promise<boolean> {
  let path: string | undefined
  try {
    const { rows } = await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(db)
    const file = rows.find((row) => row.name === "main")?.file
    if (!file) return true
    path = `${file}.live`
    let lock = liveness.get(path)
    if (!lock) {
      lock = new BetterSqlite3(path)
      lock.pragma("busy_timeout = 0")
      liveness.set(path, lock)
    }
    if (lock.inTransaction) lock.exec("COMMIT")
    let alone = true
    try {
      lock.exec("BEGIN EXCLUSIVE")
      lock.exec("COMMIT")
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error
      alone = false
    }
    // Hold the shared lock from now on (a started read transaction keeps it until COMMIT).
    lock.exec("BEGIN")
    lock.prepare("SELECT count(*) FROM sqlite_master").get()
    return alone
  } catch (error) {
    log.warn({ err: error, path }, "cannot use the database liveness lock; recovering unfinished parts regardless")
    return true
  }
}
