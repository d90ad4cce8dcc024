import { existsSync } from "node:fs"
import { open, readdir, stat } from "node:fs/promises"
import { homedir } from "node:os"
import { join } from "node:path"
import type { ImportSource } from "./types.ts"

/** One place to import from. */
export interface ImportInput {
  source: ImportSource
  path: string
}

/**
 * The default locations of each tool's sessions (spec `transcript-formats.md` 1.1, 2.1, 3.1), the
 * ones that exist: Claude Code `$CLAUDE_CONFIG_DIR/projects` (each entry of a comma-separated list)
 * else `~/.claude/projects` and `~/.config/claude/projects`; Codex `$CODEX_HOME/sessions` and
 * `archived_sessions` (default `~/.codex`); OpenCode `$XDG_DATA_HOME/opencode` (default
 * `~/.local/share/opencode`): its `opencode.db`, and the legacy `storage/` tree when present.
 */
export function defaultInputs(env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? homedir()): ImportInput[] {
  return defaultLocations(env, home).filter((input) => existsSync(input.path))
}

/** Every default location of `defaultInputs`, existing or not (to tell a user where Spool looked). */
export function defaultLocations(env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? homedir()): ImportInput[] {
  const inputs: ImportInput[] = []
  const claudeRoots = env.CLAUDE_CONFIG_DIR ? env.CLAUDE_CONFIG_DIR.split(",").map((dir) => dir.trim()).filter(Boolean) : [join(home, ".claude"), join(home, ".config", "claude")]
  for (const root of claudeRoots) inputs.push({ source: "claude-code", path: join(root, "projects") })
  const codexHome = env.CODEX_HOME ?? join(home, ".codex")
  inputs.push({ source: "codex", path: join(codexHome, "sessions") }, { source: "codex", path: join(codexHome, "archived_sessions") })
  const opencode = join(env.XDG_DATA_HOME ?? join(home, ".local", "share"), "opencode")
  inputs.push({ source: "opencode", path: join(opencode, "opencode.db") }, { source: "opencode", path: join(opencode, "storage") })
  return inputs
}

/** Bytes read from the start of each sniffed file, and at most this many files per directory tree. */
const SNIFF_BYTES = 64 * 1024
const SNIFF_FILES = 5

/**
 * Which tool's sessions `path` (a file or directory) holds, judged from what is there, or undefined
 * when it cannot tell (missing, empty, unknown format): `opencode` for an `opencode.db` (SQLite), an
 * OpenCode data dir (`opencode.db`, `storage/`) or storage tree (`session/` + `message/`), or an export
 * JSON (`{info, messages}`); for JSONL transcripts (the first lines of up to 5 `.jsonl` files found),
 * `codex` when records are Codex rollout lines (`{type: session_meta|response_item|event_msg|turn_context,
 * payload}`, transcript-formats 2.2), `claude-code` when they carry Claude Code's `sessionId`/`uuid`
 * fields (transcript-formats 1.2). Used by `spool import` to refuse files given with the wrong `--from`.
 */
export async function sniffSource(path: string): Promise<ImportSource | undefined> {
  const info = await stat(path).catch(() => undefined)
  if (!info) return undefined
  if (info.isFile()) return sniffFile(path)
  const names = new Set(await readdir(path).catch(() => []))
  if (names.has("opencode.db") || names.has("storage") || (names.has("session") && names.has("message"))) return "opencode"
  const votes = new Map<ImportSource, number>()
  for (const file of await jsonlFiles(path, SNIFF_FILES)) {
    const source = await sniffFile(file)
    if (source) votes.set(source, (votes.get(source) ?? 0) + 1)
  }
  return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0]
}

async function sniffFile(path: string): Promise<ImportSource | undefined> {
  const handle = await open(path, "r").catch(() => undefined)
  if (!handle) return undefined
  let head: string
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0)
    head = buffer.subarray(0, bytesRead).toString("utf8")
  } finally {
    await handle.close()
  }
  if (head.startsWith("SQLite format 3\0")) return "opencode"
  if (path.endsWith(".json")) return /^\s*\{[\s\S]*"(info|messages)"\s*:/.test(head) ? "opencode" : undefined
  let codex = 0
  let claude = 0
  for (const line of head.split("\n").slice(0, 50)) {
    let record: Record<string, unknown>
    try {
      record = JSON.parse(line) as Record<string, unknown>
    } catch {
      continue
    }
    if (typeof record !== "object" || record === null) continue
    if (typeof record.payload === "object" && ["session_meta", "response_item", "event_msg", "turn_context", "compacted"].includes(String(record.type))) codex++
    else if (typeof record.sessionId === "string" || typeof record.uuid === "string" || typeof record.leafUuid === "string" || record.type === "file-history-snapshot") claude++
  }
  if (codex === 0 && claude === 0) return undefined
  return codex > claude ? "codex" : "claude-code"
}

/** Up to `limit` `.jsonl` files under `dir` (depth-first, sorted by name). */
async function jsonlFiles(dir: string, limit: number, found: string[] = []): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))
  for (const entry of entries) {
    if (found.length >= limit) break
    const full = join(dir, entry.name)
    if (entry.isFile() && entry.name.endsWith(".jsonl")) found.push(full)
    else if (entry.isDirectory()) await jsonlFiles(full, limit, found)
  }
  return found
}
