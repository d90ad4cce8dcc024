import { open, readFile, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import type { ImportItem, Parser } from "./types.ts"
import { convertSession, isObject, pureSessionResolver, type RawMessage } from "./opencode/convert.ts"
import { databaseSessionIDs, databasesIn, readDatabase } from "./opencode/sqlite.ts"
import { isStorageTree, readStorageTree } from "./opencode/storage.ts"

export { isSpoolExport } from "./opencode/convert.ts"

/**
 * Parser for OpenCode sessions (`spool import opencode <path>`). `path` may be:
 * - an `opencode export` JSON file `{info, messages: [{info, parts}], todos?}` (also what `spool export`
 *   writes; such a file keeps its IDs, see `convertSession`);
 * - an OpenCode SQLite database (`opencode.db`, `opencode-<channel>.db`), opened read-only;
 * - a legacy JSON `storage/` directory, or the directory holding it;
 * - OpenCode's data directory (`~/.local/share/opencode`): its databases, then any legacy `storage/`
 *   sessions the databases do not have.
 * Sessions come parents first. Never throws: unreadable input is a `problem`.
 */
export const parseOpenCode: Parser = async function* (path) {
  try {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      yield problem(path, `cannot read: ${(error as Error).message}`)
      return
    }
    if (info.isFile()) {
      if (await isSqlite(path)) yield* readDatabase(path)
      else yield* readExportFile(path, info.size)
      return
    }
    if (!info.isDirectory()) {
      yield problem(path, "not a file or directory")
      return
    }
    const databases = await databasesIn(path)
    const seen = new Set<string>()
    for (const file of databases) yield* readDatabase(file, seen)
    if (await isStorageTree(join(path, "storage"))) {
      yield* readStorageTree(join(path, "storage"), seen)
    } else if (await isStorageTree(path)) {
      // `<data>/storage` given on its own: sessions the databases beside it hold are newer there.
      for (const id of await databaseSessionIDs(dirname(path))) seen.add(id)
      yield* readStorageTree(path, seen)
    } else if (databases.length === 0) {
      yield problem(path, "no OpenCode data here (no opencode.db, no storage/session directory)")
    }
  } catch (error) {
    yield problem(path, `import failed: ${(error as Error).message}`)
  }
}

/** An `opencode export` / `spool export` file: one session. */
async function* readExportFile(path: string, size: number): AsyncGenerator<ImportItem> {
  let text: string
  try {
    text = await readFile(path, "utf8")
  } catch (error) {
    yield problem(path, `cannot read: ${(error as Error).message}`)
    return
  }
  const parsed = parseExport(text)
  if ("error" in parsed) {
    yield problem(path, parsed.error)
    return
  }
  const data = parsed.value
  const messages: RawMessage[] = []
  for (const [index, message] of data.messages.entries()) {
    if (!isObject(message)) {
      yield problem(path, `messages[${index}] is not an object; skipped`)
      continue
    }
    if (message.parts !== undefined && !Array.isArray(message.parts)) yield problem(path, `messages[${index}].parts is not a list; parts skipped`)
    const parts = Array.isArray(message.parts) ? message.parts : []
    messages.push({ value: message.info, path, parts: parts.map((part) => ({ value: part, path })) })
  }
  const converted = convertSession({ info: data.info, messages, todos: data.todos, path }, pureSessionResolver())
  for (const item of converted.problems) yield { type: "problem", problem: item }
  if (converted.session) yield { type: "session", session: converted.session }
  yield { type: "progress", path, bytes: size, total: size }
}

function parseExport(text: string): { value: { info: unknown; messages: unknown[]; todos?: unknown } } | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // `opencode export > file 2>&1` puts "Exporting session: …" before the JSON.
    const start = text.indexOf("{")
    try {
      if (start <= 0) throw error
      value = JSON.parse(text.slice(start))
    } catch {
      return { error: `invalid JSON: ${(error as Error).message}` }
    }
  }
  if (!isObject(value) || !isObject(value.info) || !Array.isArray(value.messages)) {
    return { error: "not an OpenCode export (expected {info, messages: [{info, parts}]})" }
  }
  return { value: { info: value.info, messages: value.messages, todos: value.todos } }
}

async function isSqlite(path: string): Promise<boolean> {
  const handle = await open(path, "r")
  try {
    const header = Buffer.alloc(16)
    const { bytesRead } = await handle.read(header, 0, 16, 0)
    return bytesRead === 16 && header.toString("latin1") === "SQLite format 3\0"
  } finally {
    await handle.close()
  }
}

function problem(path: string, message: string): ImportItem {
  return { type: "problem", problem: { path, message } }
}
