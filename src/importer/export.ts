import type { Kysely } from "kysely"
import { repository } from "../session/repository.ts"
import type { SessionInfo, Todo, WithParts } from "../session/schema.ts"
import type { Database } from "../storage/index.ts"

/** Version of the `spool export` marker (`info.metadata.spool.exportVersion`). */
export const EXPORT_VERSION = 1

/**
 * One session in `opencode export`'s shape (`{info, messages: [{info, parts}], todos}`), which
 * `opencode import` and `spool import` both read. `info.metadata.spool = {exportVersion}` marks it as
 * written by Spool, so that `spool import` keeps its IDs and restores the session exactly (OpenCode
 * ignores the key; Spool's own extensions such as `info.stats` are ignored by OpenCode too).
 */
export interface SessionExport {
  info: SessionInfo
  messages: WithParts[]
  todos: Todo[]
}

/** What a session reader returns: the stored session, its messages with parts (oldest first), its todos. */
export interface StoredSession {
  info: SessionInfo
  messages: WithParts[]
  todos?: Todo[]
}

/** Reads one stored session, or undefined when there is none with that ID. */
export type SessionReader = (sessionID: string) => Promise<StoredSession | undefined>

/** A reader over Spool's database (`repository`). */
export function databaseReader(db: Kysely<Database>): SessionReader {
  return async (sessionID) => {
    const info = await repository.getSession(db, sessionID)
    if (!info) return undefined
    const { items } = await repository.listMessages(db, sessionID)
    return { info, messages: items, todos: await repository.todos(db, sessionID) }
  }
}

/** Exports one session (from a Spool database or any reader); undefined when it does not exist. */
export async function exportSession(source: Kysely<Database> | SessionReader, sessionID: string): Promise<SessionExport | undefined> {
  const read = isReader(source) ? source : databaseReader(source)
  const stored = await read(sessionID)
  if (!stored) return undefined
  return {
    info: { ...stored.info, metadata: { ...stored.info.metadata, spool: { exportVersion: EXPORT_VERSION } } },
    messages: stored.messages.map((message) => ({ info: message.info, parts: message.parts })),
    todos: (stored.todos ?? []).map((todo) => ({ content: todo.content, status: todo.status, priority: todo.priority })),
  }
}

/** The file text, as `opencode export` prints it: 2-space indented JSON and a newline. */
export function formatExport(data: SessionExport): string {
  return `${JSON.stringify(data, null, 2)}\n`
}

function isReader(source: Kysely<Database> | SessionReader): source is SessionReader {
  return typeof source === "function" && !("selectFrom" in source)
}
