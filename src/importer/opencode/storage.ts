import { readdir, readFile, stat } from "node:fs/promises"
import { basename, join } from "node:path"
import type { ImportItem } from "../types.ts"
import { convertSession, isObject, pureSessionResolver, type RawMessage, type RawPart } from "./convert.ts"
import { parentsFirst, type SessionStub } from "./order.ts"

/**
 * OpenCode's legacy JSON store (≤ 1.1.x), rooted at `storage/`:
 * `session/<projectID>/<sessionID>.json`, `message/<sessionID>/<messageID>.json`,
 * `part/<messageID>/<partID>.json`, `todo/<sessionID>.json`. One session is in memory at a time.
 * Messages are ordered by `time.created` then file name, parts by file name (= ID, creation order).
 * Sessions whose original ID is in `skip` (already imported from the database) are left out. Progress
 * counts sessions (a directory has no byte size).
 */
export async function* readStorageTree(root: string, skip: Set<string> = new Set()): AsyncGenerator<ImportItem> {
  const stubs: Array<SessionStub & { file: string }> = []
  for (const project of await listDir(join(root, "session"))) {
    const projectDir = join(root, "session", project)
    if (!(await isDirectory(projectDir))) continue
    for (const name of await listDir(projectDir)) {
      if (!name.endsWith(".json")) continue
      const file = join(projectDir, name)
      const read = await readJson(file)
      if ("error" in read) {
        yield { type: "problem", problem: { path: file, message: read.error } }
        continue
      }
      const info = read.value
      if (!isObject(info)) {
        yield { type: "problem", problem: { path: file, message: "session file is not a JSON object; skipped" } }
        continue
      }
      const id = typeof info.id === "string" && info.id ? info.id : basename(name, ".json")
      const time = isObject(info.time) ? info.time : {}
      stubs.push({ id, parentID: typeof info.parentID === "string" ? info.parentID : undefined, created: typeof time.created === "number" ? time.created : 0, file })
    }
  }
  const resolve = pureSessionResolver(new Map(stubs.map((stub) => [stub.id, stub.created])))
  const ordered = parentsFirst(stubs)
  let done = 0
  for (const stub of ordered) {
    done++
    if (skip.has(stub.id)) continue
    const read = await readJson(stub.file)
    if ("error" in read) {
      yield { type: "problem", problem: { path: stub.file, message: read.error } }
      continue
    }
    const info = isObject(read.value) && typeof read.value.id === "string" && read.value.id ? read.value : { ...(read.value as object), id: stub.id }
    const messages: Array<RawMessage & { created: number; name: string }> = []
    const messageDir = join(root, "message", stub.id)
    for (const name of (await listDir(messageDir)).filter((entry) => entry.endsWith(".json"))) {
      const file = join(messageDir, name)
      const message = await readJson(file)
      if ("error" in message) {
        yield { type: "problem", problem: { path: file, message: message.error } }
        continue
      }
      const value = message.value
      const id = isObject(value) && typeof value.id === "string" && value.id ? value.id : basename(name, ".json")
      const created = isObject(value) && isObject(value.time) && typeof value.time.created === "number" ? value.time.created : Infinity
      const parts: RawPart[] = []
      const partDir = join(root, "part", id)
      for (const partName of (await listDir(partDir)).filter((entry) => entry.endsWith(".json")).sort()) {
        const partFile = join(partDir, partName)
        const part = await readJson(partFile)
        if ("error" in part) yield { type: "problem", problem: { path: partFile, message: part.error } }
        else parts.push({ value: part.value, path: partFile })
      }
      messages.push({ value, path: file, parts, created, name })
    }
    messages.sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const todoFile = join(root, "todo", `${stub.id}.json`)
    let todos: unknown
    if (await exists(todoFile)) {
      const todo = await readJson(todoFile)
      if ("error" in todo) yield { type: "problem", problem: { path: todoFile, message: todo.error } }
      else todos = todo.value
    }
    const converted = convertSession({ info, messages, todos, path: stub.file }, resolve)
    for (const problem of converted.problems) yield { type: "problem", problem }
    if (converted.session) yield { type: "session", session: converted.session }
    yield { type: "progress", path: root, bytes: done, total: ordered.length }
  }
}

/** True when `dir` looks like a legacy `storage/` directory. */
export async function isStorageTree(dir: string): Promise<boolean> {
  return isDirectory(join(dir, "session"))
}

async function readJson(file: string): Promise<{ value: unknown } | { error: string }> {
  let text: string
  try {
    text = await readFile(file, "utf8")
  } catch (error) {
    return { error: `cannot read: ${(error as Error).message}` }
  }
  try {
    return { value: JSON.parse(text) }
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}; skipped` }
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch {
    return []
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
