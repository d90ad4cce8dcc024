import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"

/**
 * Read tracking (stale-write protection, `tool/file-guard.ts`), shared by every process on the data
 * directory and surviving restarts: per session and file, the sha256 (hex) of the bytes the session last
 * read or wrote. `path` is the file's real location (symlinks resolved). Deleting a session deletes its
 * rows. `time` is epoch ms of the read or write.
 */
export const fileRead: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("file_read")
      .addColumn("session_id", "text", (column) => column.notNull().references("session.id").onDelete("cascade"))
      .addColumn("path", "text", (column) => column.notNull())
      .addColumn("hash", "text", (column) => column.notNull())
      .addColumn("time", "integer", (column) => column.notNull())
      .addPrimaryKeyConstraint("file_read_pk", ["session_id", "path"])
      .execute()
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable("file_read").execute()
  },
}
