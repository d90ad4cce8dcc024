import type { DB } from "../storage/database.ts"
import type { ReadRecordStore } from "../tool/index.ts"

/**
 * The file guard's read records over the database (table `file_read`, migration 0004), so that every
 * process on the data directory, and the next start, sees what a session read or wrote: `spool run
 * --session` continues the session's edits instead of refusing them as unread. One row per (session,
 * real path) holding the sha256 (hex) of the bytes last seen and its time (epoch ms); rows go with their
 * session (ON DELETE CASCADE). Errors propagate (the tool call fails; e.g. a full disk or a session id
 * that does not exist: foreign key).
 */
export function createReadRecordStore(db: DB): ReadRecordStore {
  return {
    async load(sessionID, path) {
      const row = await db.selectFrom("file_read").select("hash").where("session_id", "=", sessionID).where("path", "=", path).executeTakeFirst()
      return row?.hash
    },
    async save(sessionID, path, hash) {
      if (hash === undefined) {
        await db.deleteFrom("file_read").where("session_id", "=", sessionID).where("path", "=", path).execute()
        return
      }
      await db
        .insertInto("file_read")
        .values({ session_id: sessionID, path, hash, time: Date.now() })
        .onConflict((conflict) => conflict.columns(["session_id", "path"]).doUpdateSet({ hash, time: Date.now() }))
        .execute()
    },
  }
}
