import { sql, type Kysely } from "kysely"
import type { Migration } from "kysely/migration"

/**
 * Full-text search over message content (SQLite FTS5) and the import ledger.
 *
 * `part_fts` indexes the searchable text of each part — text and reasoning `text`, a tool's name,
 * input, output and error — with the part's rowid as its rowid. Triggers keep it in step with `part`
 * (including rows removed by foreign-key cascades), so no code path can forget it. PostgreSQL will get
 * the same shape with a tsvector column and a GIN index in its own migration.
 *
 * `import_file` remembers each imported file's size and mtime so an unchanged file is skipped.
 */
const SEARCHABLE = `CASE
  WHEN new.type IN ('text', 'reasoning') THEN json_extract(new.data, '$.text')
  WHEN new.type = 'tool' THEN json_extract(new.data, '$.tool') || ' ' || coalesce(json_extract(new.data, '$.state.input'), '') || ' ' ||
    coalesce(json_extract(new.data, '$.state.output'), '') || ' ' || coalesce(json_extract(new.data, '$.state.error'), '')
END`

export const searchAndImports: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE VIRTUAL TABLE part_fts USING fts5(text, session_id UNINDEXED, message_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')`.execute(db)
    await sql
      .raw(
        `CREATE TRIGGER part_fts_insert AFTER INSERT ON part WHEN new.type IN ('text', 'reasoning', 'tool') BEGIN
           INSERT INTO part_fts(rowid, text, session_id, message_id) VALUES (new.rowid, ${SEARCHABLE}, new.session_id, new.message_id);
         END`,
      )
      .execute(db)
    await sql.raw(`CREATE TRIGGER part_fts_delete AFTER DELETE ON part BEGIN DELETE FROM part_fts WHERE rowid = old.rowid; END`).execute(db)
    await sql
      .raw(
        `CREATE TRIGGER part_fts_update AFTER UPDATE OF data ON part BEGIN
           DELETE FROM part_fts WHERE rowid = old.rowid;
           INSERT INTO part_fts(rowid, text, session_id, message_id) SELECT new.rowid, ${SEARCHABLE}, new.session_id, new.message_id WHERE new.type IN ('text', 'reasoning', 'tool');
         END`,
      )
      .execute(db)

    await db.schema
      .createTable("import_file")
      .addColumn("path", "text", (column) => column.primaryKey())
      .addColumn("source", "text", (column) => column.notNull())
      .addColumn("size", "bigint", (column) => column.notNull())
      .addColumn("mtime", "bigint", (column) => column.notNull())
      .addColumn("sessions", "integer", (column) => column.notNull())
      .addColumn("time_imported", "bigint", (column) => column.notNull())
      .execute()
  },
}
