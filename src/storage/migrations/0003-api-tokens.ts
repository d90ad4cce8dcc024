import type { Kysely } from "kysely"
import type { Migration } from "kysely/migration"

/**
 * API tokens (`spool token create|list|revoke`, `Authorization: Bearer`). Only the SHA-256 hex digest of
 * a token is stored (`hash`, unique: the lookup key); the token itself is printed once and never kept.
 * `scope` is `read`, `write` or `admin`; `name` is unique so `revoke <name>` is unambiguous. Revoking
 * deletes the row. Times are epoch ms; `time_last_used` is null until first use.
 */
export const apiTokens: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("api_token")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("name", "text", (column) => column.notNull().unique())
      .addColumn("scope", "text", (column) => column.notNull())
      .addColumn("hash", "text", (column) => column.notNull().unique())
      .addColumn("time_created", "integer", (column) => column.notNull())
      .addColumn("time_last_used", "integer")
      .execute()
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable("api_token").execute()
  },
}
