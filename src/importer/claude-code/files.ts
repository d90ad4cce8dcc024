import { existsSync } from "node:fs"
import { readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join, sep } from "node:path"
import { readJsonLines } from "../lines.ts"
import { isObject, isSidechainLine, parseTime, text, type Json } from "./records.ts"

/** A session file with the sub-agent files that belong to it (spec 1.1, 1.10). */
export interface FileGroup {
  path: string
  /** The file is itself a sub-agent transcript (`agent-*.jsonl`) without its parent in the input. */
  agentFile: boolean
  children: string[]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isAgentFile(path: string): boolean {
  return basename(path).startsWith("agent-") || path.split(sep).includes("subagents")
}

/** All `*.jsonl` files under `root` (recursively), sorted; a file path is returned as is. */
export async function listFiles(root: string): Promise<string[]> {
  const info = await stat(root)
  if (!info.isDirectory()) return [root]
  const out: string[] = []
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && entry.name.endsWith(".jsonl")) out.push(path)
    }
  }
  await walk(root)
  return out.sort()
}

/**
 * Groups files into sessions: every file under `<id>/` (2.1.x `subagents/agent-*.jsonl`, workflow runs)
 * belongs to the sibling `<id>.jsonl`; a flat `agent-*.jsonl` (2.0.x) to `<sessionId>.jsonl` in the
 * same directory. Agent files whose parent is not in the input stand alone.
 */
export async function groupFiles(files: string[]): Promise<FileGroup[]> {
  const set = new Set(files)
  const groups = new Map<string, FileGroup>()
  const children: Array<{ path: string; parent?: string }> = []
  for (const path of files) {
    const parent = sessionDirOwner(path, set) ?? (basename(path).startsWith("agent-") ? await parentFileOf(path) : undefined)
    if (parent || isAgentFile(path)) children.push({ path, parent })
    else groups.set(path, { path, agentFile: false, children: [] })
  }
  for (const { path, parent } of children) {
    const group = parent ? groups.get(parent) : undefined
    if (group) group.children.push(path)
    else groups.set(path, { path, agentFile: true, children: [] })
  }
  return [...groups.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** The `<id>.jsonl` whose side directory `<id>/` contains `path`, if it is in `files`. */
function sessionDirOwner(path: string, files: Set<string>): string | undefined {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (files.has(`${dir}.jsonl`)) return `${dir}.jsonl`
  }
  return undefined
}

/** The main session file a sub-agent file belongs to, when it can be named. */
export async function parentFileOf(path: string): Promise<string | undefined> {
  const parts = path.split(sep)
  const index = parts.lastIndexOf("subagents")
  if (index > 0) return parts.slice(0, index).join(sep) + ".jsonl"
  const head = await scanHead(path, true)
  return head.sessionId ? join(dirname(path), `${head.sessionId}.jsonl`) : undefined
}

/** Agent id of a sub-agent file: `agent-<id>.jsonl` (spec 1.1). */
export function agentIdOf(path: string): string {
  return basename(path, ".jsonl").replace(/^agent-/, "")
}

/** `agent-<id>.meta.json` next to a sub-agent file (2.1.2xx): `agentType`, `description`, `toolUseId`. */
export async function agentMeta(path: string): Promise<Json | undefined> {
  const metaPath = path.replace(/\.jsonl$/, ".meta.json")
  if (metaPath === path || !existsSync(metaPath)) return undefined
  try {
    const value: unknown = JSON.parse(await readFile(metaPath, "utf8"))
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The first session id and first timestamp of a file, read from its head: for a main file only lines
 * of the main thread count (not inline sidechains), falling back to any line.
 */
export async function scanHead(path: string, agentFile: boolean): Promise<{ sessionId?: string; created?: number }> {
  let sessionId: string | undefined
  let anySessionId: string | undefined
  let anyTime: number | undefined
  try {
    for await (const line of readJsonLines(path)) {
      if (!isObject(line.value)) continue
      const record = line.value
      const side = isSidechainLine(record, agentFile)
      const id = text(record.sessionId)
      const time = parseTime(record.timestamp)
      anySessionId ??= id
      anyTime ??= time
      if (!side) sessionId ??= id
      if (!side && time !== undefined) return { sessionId: sessionId ?? anySessionId, created: time }
    }
  } catch {
    // unreadable: the caller reports it when it reads the file
  }
  return { sessionId: sessionId ?? anySessionId, created: anyTime }
}

/**
 * The identity of a session file: its source id and creation time (= the time field of its ID).
 * Main files: the file name when it is a UUID (a resumed copy may start with lines of the old session),
 * else the first session id inside, else the file name. Sub-agent files: `<parent session id>:agent-<id>`.
 */
export async function identify(path: string, agentFile: boolean): Promise<{ sourceID: string; created: number }> {
  const head = await scanHead(path, agentFile)
  const stem = basename(path, ".jsonl")
  const created = head.created ?? 0
  if (agentFile) return { sourceID: `${head.sessionId ?? "unknown"}:agent-${agentIdOf(path)}`, created }
  return { sourceID: UUID.test(stem) ? stem : (head.sessionId ?? stem), created }
}
