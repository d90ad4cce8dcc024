import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"

/**
 * Initial schema. Frozen: later changes go in new migrations. Indexes serve the queries in
 * `session/repository.ts`: the session list by project ordered by `time_updated` (OpenCode has no such
 * index), children by parent, messages by session in time order, parts by message in time order.
 */
export const init: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("project")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("worktree", "text", (column) => column.notNull())
      .addColumn("vcs", "text")
      .addColumn("time_created", "bigint", (column) => column.notNull())
      .addColumn("time_updated", "bigint", (column) => column.notNull())
      .execute()

    await db.schema
      .createTable("session")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("project_id", "text", (column) => column.notNull())
      .addColumn("parent_id", "text")
      .addColumn("directory", "text", (column) => column.notNull())
      .addColumn("title", "text", (column) => column.notNull())
      .addColumn("time_created", "bigint", (column) => column.notNull())
      .addColumn("time_updated", "bigint", (column) => column.notNull())
      .addColumn("time_archived", "bigint")
      .addColumn("data", "text", (column) => column.notNull())
      .execute()
    await db.schema
      .createIndex("session_project_updated_idx")
      .on("session")
      .columns(["project_id", "time_updated", "id"])
      .execute()
    await db.schema.createIndex("session_updated_idx").on("session").columns(["time_updated", "id"]).execute()
    await db.schema.createIndex("session_parent_idx").on("session").column("parent_id").execute()

    await db.schema
      .createTable("message")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("session_id", "text", (column) => column.notNull().references("session.id").onDelete("cascade"))
      .addColumn("role", "text", (column) => column.notNull())
      .addColumn("time_created", "bigint", (column) => column.notNull())
      .addColumn("time_updated", "bigint", (column) => column.notNull())
      .addColumn("data", "text", (column) => column.notNull())
      .execute()
    await db.schema
      .createIndex("message_session_time_idx")
      .on("message")
      .columns(["session_id", "time_created", "id"])
      .execute()

    await db.schema
      .createTable("part")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("message_id", "text", (column) => column.notNull().references("message.id").onDelete("cascade"))
      .addColumn("session_id", "text", (column) => column.notNull())
      .addColumn("type", "text", (column) => column.notNull())
      .addColumn("time_created", "bigint", (column) => column.notNull())
      .addColumn("time_updated", "bigint", (column) => column.notNull())
      .addColumn("data", "text", (column) => column.notNull())
      .execute()
    await db.schema.createIndex("part_message_time_idx").on("part").columns(["message_id", "time_created", "id"]).execute()
    await db.schema.createIndex("part_session_type_idx").on("part").columns(["session_id", "type"]).execute()

    await db.schema
      .createTable("todo")
      .addColumn("session_id", "text", (column) => column.notNull().references("session.id").onDelete("cascade"))
      .addColumn("position", "integer", (column) => column.notNull())
      .addColumn("content", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("priority", "text", (column) => column.notNull())
      .addColumn("time_created", "bigint", (column) => column.notNull())
      .addColumn("time_updated", "bigint", (column) => column.notNull())
      .addPrimaryKeyConstraint("todo_pk", ["session_id", "position"])
      .execute()
  },
}
