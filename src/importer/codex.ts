import { readdir, stat } from "node:fs/promises"
import { basename, join } from "node:path"
import { CodexSessionBuilder } from "./codex/builder.ts"
import { identify } from "./codex/identity.ts"
import { toRecord, type CodexRecord } from "./codex/records.ts"
import { toImportedSession } from "./codex/session.ts"
import { readJsonLines } from "./lines.ts"
import type { ImportItem, Parser } from "./types.ts"

/** A progress item at most every this many bytes (and at the end of each file). */
const PROGRESS_BYTES = 1 << 20

/**
 * Codex CLI / Desktop rollouts (spec transcript-formats.md section 2) → one `ImportedSession` per
 * thread, i.e. per rollout file. Input: one `.jsonl` file, or a directory walked recursively for
 * `*.jsonl` in name order; a `CODEX_HOME`-like directory (with `sessions/` or `archived_sessions/`) is
 * read only there, `sessions/` winning over an archived file of the same name (as ccusage, spec 4.3).
 * Sub-agent threads become child sessions (`parentID`); forks stay independent sessions that name
 * their origin in metadata. Contract of `Parser`: never throws for bad input; invalid JSON and
 * uninterpretable records are `problem`s with their line, and parsing goes on.
 */
export const parseCodex: Parser = async function* (path) {
  let files: string[]
  try {
    files = await rolloutFiles(path)
  } catch (error) {
    yield { type: "problem", problem: { path, message: `cannot read: ${(error as Error).message}` } }
    return
  }
  for (const file of files) yield* parseRollout(file)
}

async function rolloutFiles(path: string): Promise<string[]> {
  const info = await stat(path)
  if (!info.isDirectory()) return [path]
  const entries = await readdir(path, { withFileTypes: true })
  const roots = ["sessions", "archived_sessions"].filter((name) => entries.some((entry) => entry.isDirectory() && entry.name === name))
  if (roots.length === 0) return walk(path)
  const files: string[] = []
  const seen = new Set<string>()
  for (const root of roots) {
    for (const file of await walk(join(path, root))) {
      const name = basename(file)
      if (seen.has(name)) continue
      seen.add(name)
      files.push(file)
    }
  }
  return files
}

async function walk(dir: string): Promise<string[]> {
  const found: string[] = []
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...(await walk(full)))
    else if (entry.isFile() && entry.name.endsWith(".jsonl")) found.push(full)
  }
  return found
}

/**
 * One rollout file. Records before the file's own `session_meta` (normally line 1) are held until it
 * is known who the file is; a file without one is named after its file name (spec 2.8).
 */
async function* parseRollout(path: string): AsyncGenerator<ImportItem> {
  let builder: CodexSessionBuilder | undefined
  const early: CodexRecord[] = []
  let reported = 0
  let bytes = 0
  let total = 0
  try {
    for await (const line of readJsonLines(path)) {
      bytes = line.bytes
      total = line.total
      if (bytes - reported >= PROGRESS_BYTES) {
        reported = bytes
        yield { type: "progress", path, bytes, total }
      }
      if (line.error !== undefined) {
        yield { type: "problem", problem: { path, line: line.line, message: line.error } }
        continue
      }
      const mapped = toRecord(line.value, line.line)
      if ("problem" in mapped) {
        yield { type: "problem", problem: { path, line: line.line, message: mapped.problem } }
        continue
      }
      const record = mapped.record
      if (!builder && record.type === "session_meta") {
        builder = new CodexSessionBuilder(identify(path, record, early.find((item) => item.time !== undefined)?.time))
        for (const held of early.splice(0)) builder.add(held)
      }
      if (builder) builder.add(record)
      else early.push(record)
    }
  } catch (error) {
    yield { type: "problem", problem: { path, message: `cannot read: ${(error as Error).message}` } }
    return
  }
  if (!builder) {
    if (early.length === 0) {
      yield { type: "problem", problem: { path, message: "no Codex records in this file" } }
      return
    }
    builder = new CodexSessionBuilder(identify(path, undefined, early.find((item) => item.time !== undefined)?.time))
    for (const held of early) builder.add(held)
  }
  builder.finish()
  yield { type: "progress", path, bytes: total || bytes, total }
  yield { type: "session", session: toImportedSession(builder) }
}

