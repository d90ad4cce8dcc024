import { statSync } from "node:fs"
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import type { ImportItem, ImportProblem } from "../types.ts"
import { convertSession, isObject, pureSessionResolver, type RawMessage, type RawPart } from "./convert.ts"
import { parentsFirst, type SessionStub } from "./order.ts"

type Row = Record<string, unknown>

/**
 * OpenCode's SQLite store (`opencode.db`, ≥ 1.2), opened read-only: `session` (one column per field),
 * `message(id, session_id, time_created, data)` with `data` = the message minus `id`/`sessionID`,
 * `part(id, message_id, session_id, data)` with `data` = the part minus its IDs, `todo`. Columns that
 * older versions lack are simply absent from the session. One session is in memory at a time; messages
 * in `(time_created, id)` order, parts by ID within their message (OpenCode's own orders). Original
 * session IDs in `seen` are skipped; imported ones are added to it.
 */
export async function* readDatabase(file: string, seen: Set<string> = new Set()): AsyncGenerator<ImportItem> {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
  } catch (error) {
    yield problem(file, `cannot open the database: ${(error as Error).message}`)
    return
  }
  try {
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[])
    if (!tables.has("session") || !tables.has("message") || !tables.has("part")) {
      yield problem(file, "not an OpenCode database (no session, message and part tables)")
      return
    }
    const rows = db.prepare("SELECT id, parent_id, time_created FROM session").all() as Row[]
    const stubs: SessionStub[] = rows.map((row) => ({
      id: String(row.id),
      parentID: typeof row.parent_id === "string" ? row.parent_id : undefined,
      created: typeof row.time_created === "number" ? row.time_created : 0,
    }))
    const resolve = pureSessionResolver(new Map(stubs.map((stub) => [stub.id, stub.created])))
    const sessionRow = db.prepare("SELECT * FROM session WHERE id = ?")
    const messageRows = db.prepare("SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id")
    const partRows = db.prepare("SELECT id, message_id, data FROM part WHERE session_id = ? ORDER BY message_id, id")
    const todoRows = tables.has("todo") ? db.prepare("SELECT content, status, priority FROM todo WHERE session_id = ? ORDER BY position") : undefined
    const ordered = parentsFirst(stubs)
    // Progress in bytes of the database file, by the share of sessions done.
    const size = statSync(file).size
    let done = 0
    for (const stub of ordered) {
      done++
      if (seen.has(stub.id)) continue
      seen.add(stub.id)
      const row = sessionRow.get(stub.id) as Row | undefined
      if (!row) continue
      const problems: ImportProblem[] = []
      const info = sessionFromRow(row, (message) => problems.push({ path: file, message: `session ${stub.id}: ${message}` }))

      const parts = new Map<string, RawPart[]>()
      for (const part of partRows.iterate(stub.id) as Iterable<Row>) {
        const data = parseJson(part.data)
        if ("error" in data) {
          problems.push({ path: file, message: `session ${stub.id}: part ${String(part.id)}: ${data.error}; skipped` })
          continue
        }
        const value = isObject(data.value) ? { ...data.value, id: part.id, sessionID: stub.id, messageID: part.message_id } : data.value
        const list = parts.get(String(part.message_id)) ?? []
        list.push({ value, path: file })
        parts.set(String(part.message_id), list)
      }
      const messages: RawMessage[] = []
      for (const message of messageRows.iterate(stub.id) as Iterable<Row>) {
        const messageParts = parts.get(String(message.id)) ?? []
        const data = parseJson(message.data)
        if ("error" in data) {
          problems.push({ path: file, message: `session ${stub.id}: message ${String(message.id)}: ${data.error}; skipped with its ${messageParts.length} parts` })
          continue
        }
        const value = isObject(data.value) ? { ...data.value, id: message.id, sessionID: stub.id } : data.value
        messages.push({ value, path: file, parts: messageParts })
      }
      const todos = todoRows ? (todoRows.all(stub.id) as Row[]) : []
      const converted = convertSession({ info, messages, todos: todos.length ? todos : undefined, path: file }, resolve)
      for (const item of [...problems, ...converted.problems]) yield { type: "problem", problem: item }
      if (converted.session) yield { type: "session", session: converted.session }
      yield { type: "progress", path: file, bytes: Math.round((size * done) / ordered.length), total: size }
    }
  } catch (error) {
    yield problem(file, `cannot read the database: ${(error as Error).message}`)
  } finally {
    db.close()
  }
}

/** OpenCode's databases in a data directory: `opencode.db` first, then channel builds' `opencode-<channel>.db`. */
export async function databasesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => /^opencode(-[^/]+)?\.db$/.test(name))
  names.sort((a, b) => (a === "opencode.db" ? -1 : b === "opencode.db" ? 1 : a < b ? -1 : a > b ? 1 : 0))
  return names.map((name) => join(dir, name))
}

/** The session IDs of the OpenCode databases in `dir` (none when there are none or they cannot be read). */
export async function databaseSessionIDs(dir: string): Promise<string[]> {
  const ids: string[] = []
  for (const file of await databasesIn(dir)) {
    try {
      const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
      try {
        ids.push(...(db.prepare("SELECT id FROM session").pluck().all() as string[]))
      } finally {
        db.close()
      }
    } catch {
      // Not a readable OpenCode database: nothing to skip.
    }
  }
  return ids
}

/** Session.Info from a `session` row, as OpenCode's `fromRow` builds it (absent optionals omitted). */
function sessionFromRow(row: Row, report: (message: string) => void): Row {
  const json = (column: string): unknown => {
    const value = row[column]
    if (value === null || value === undefined) return undefined
    if (typeof value !== "string") return value
    const parsed = parseJson(value)
    if ("error" in parsed) {
      report(`column ${column}: ${parsed.error}; dropped`)
      return undefined
    }
    return parsed.value ?? undefined
  }
  const has = (column: string) => row[column] !== null && row[column] !== undefined
  const info: Row = { id: row.id, slug: row.slug ?? "", projectID: row.project_id ?? "" }
  if (has("workspace_id")) info.workspaceID = row.workspace_id
  info.directory = row.directory ?? ""
  if (has("path")) info.path = row.path
  if (has("parent_id")) info.parentID = row.parent_id
  if (has("summary_additions") || has("summary_deletions") || has("summary_files")) {
    const diffs = json("summary_diffs")
    info.summary = {
      additions: row.summary_additions ?? 0,
      deletions: row.summary_deletions ?? 0,
      files: row.summary_files ?? 0,
      ...(diffs !== undefined ? { diffs } : {}),
    }
  }
  if (has("cost")) info.cost = row.cost
  if ("tokens_input" in row) {
    info.tokens = {
      input: row.tokens_input ?? 0,
      output: row.tokens_output ?? 0,
      reasoning: row.tokens_reasoning ?? 0,
      cache: { read: row.tokens_cache_read ?? 0, write: row.tokens_cache_write ?? 0 },
    }
  }
  if (has("share_url")) info.share = { url: row.share_url }
  info.title = row.title ?? ""
  if (has("agent")) info.agent = row.agent
  const model = json("model")
  if (model !== undefined) info.model = model
  info.version = row.version ?? ""
  const metadata = json("metadata")
  if (metadata !== undefined) info.metadata = metadata
  const time: Row = { created: row.time_created, updated: row.time_updated }
  if (has("time_compacting")) time.compacting = row.time_compacting
  if (has("time_archived")) time.archived = row.time_archived
  info.time = time
  const permission = json("permission")
  if (permission !== undefined) info.permission = permission
  const revert = json("revert")
  if (revert !== undefined) info.revert = revert
  return info
}

function parseJson(value: unknown): { value: unknown } | { error: string } {
  if (typeof value !== "string") return value === null || value === undefined ? { error: "no data" } : { value }
  try {
    return { value: JSON.parse(value) }
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}` }
  }
}

function problem(path: string, message: string): ImportItem {
  return { type: "problem", problem: { path, message } }
}
