import type { Generated, Kysely } from "kysely"

/**
 * Row shapes of Spool's tables, dialect-neutral (SQLite now, PostgreSQL later). Each domain object is
 * stored whole as JSON text in `data` (the OpenCode wire shape, written only from schema-typed objects);
 * the columns beside it exist only to filter, order and join, and are written from the same object.
 * Times are epoch ms.
 */
export interface ProjectTable {
  id: string
  worktree: string
  vcs: string | null
  time_created: number
  time_updated: number
}

export interface SessionTable {
  id: string
  project_id: string
  parent_id: string | null
  directory: string
  title: string
  time_created: number
  time_updated: number
  time_archived: number | null
  data: string
}

export interface MessageTable {
  id: string
  session_id: string
  role: string
  time_created: number
  time_updated: number
  data: string
}

export interface PartTable {
  id: string
  message_id: string
  session_id: string
  type: string
  time_created: number
  time_updated: number
  data: string
}

export interface TodoTable {
  session_id: string
  position: number
  content: string
  status: string
  priority: string
  time_created: number
  time_updated: number
}

export interface ImportFileTable {
  path: string
  source: string
  size: number
  mtime: number
  sessions: number
  time_imported: number
}

/** FTS5 index of part text (maintained by triggers; see migration 0002). */
export interface PartFtsTable {
  rowid: number
  text: string
  session_id: string
  message_id: string
}

/** API tokens (migration 0003): only the SHA-256 hex digest of a token is stored. Times are epoch ms. */
export interface ApiTokenTable {
  id: string
  name: string
  /** `read` | `write` | `admin` */
  scope: string
  hash: string
  time_created: number
  time_last_used: number | null
}

/**
 * Read tracking (migration 0004): the sha256 (hex) of the bytes a session last read or wrote of a file,
 * keyed by the file's real path. Rows go with their session (ON DELETE CASCADE). `time` is epoch ms.
 */
export interface FileReadTable {
  session_id: string
  path: string
  hash: string
  time: number
}

export interface Database {
  api_token: ApiTokenTable
  file_read: FileReadTable
  import_file: ImportFileTable
  part_fts: PartFtsTable
  project: ProjectTable
  session: SessionTable
  message: MessageTable
  part: PartTable
  todo: TodoTable
}

export type DB = Kysely<Database>
export type { Generated }
