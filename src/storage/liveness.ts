import BetterSqlite3 from "better-sqlite3"
import { sql, type Kysely } from "kysely"
import type { Database } from "./database.ts"

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
export async function claimDatabase(db: Kysely<Database>, onError: (error: unknown) => void): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(db)
    const file = rows.find((row) => row.name === "main")?.file
    if (!file) return true
    const path = `${file}.live`
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
    onError(error)
    return true
  }
}
