import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import type { Kysely } from "kysely"
import type { ProjectCache } from "../session/projects.ts"
import type { Database } from "../storage/index.ts"
import type { ImportInput } from "./discover.ts"
import { storeImported } from "./store.ts"
import type { ImportProblem, ImportSource, Parser } from "./types.ts"

/** Totals of one `spool import` run (`--json` prints this). */
export interface ImportSummary {
  files: number
  /** Files skipped because their size and mtime did not change since the last import. */
  unchanged: number
  sessions: { created: number; updated: number }
  messagesAdded: number
  partsAdded: number
  /** Every corrupt or unknown record, with file and line. */
  problems: ImportProblem[]
  bySource: Record<string, { files: number; sessions: number }>
}

export interface ImportOptions {
  db: Kysely<Database>
  projects: ProjectCache
  version: string
  parsers: Record<ImportSource, Parser>
  inputs: ImportInput[]
  /** Re-read files even when unchanged. */
  force?: boolean
  /** Called with bytes done / total over all files, and the current file. */
  onProgress?(done: number, total: number, file: string): void
}

/**
 * Imports every input: JSONL sources (Claude Code, Codex) file by file — skipping files whose size
 * and mtime match the import ledger — and OpenCode inputs (export JSON, `storage/` tree,
 * `opencode.db`) whole. Sessions are stored as the parser yields them (bounded memory); problems are
 * collected, never fatal.
 */
export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { files: 0, unchanged: 0, sessions: { created: 0, updated: 0 }, messagesAdded: 0, partsAdded: 0, problems: [], bySource: {} }
  const files: Array<{ source: ImportSource; path: string; size: number; mtime: number }> = []
  for (const input of options.inputs) {
    for (const path of await filesOf(input)) {
      const info = await stat(path).catch(() => undefined)
      if (!info) {
        summary.problems.push({ path, message: "cannot read" })
        continue
      }
      // A SQLite source in WAL mode keeps new data in `-wal`: it counts towards "changed".
      const wal = path.endsWith(".db") ? await stat(`${path}-wal`).catch(() => undefined) : undefined
      const size = (info.isFile() ? info.size : 0) + (wal?.size ?? 0)
      files.push({ source: input.source, path, size, mtime: Math.floor(Math.max(info.mtimeMs, wal?.mtimeMs ?? 0)) })
    }
  }
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0)
  let doneBytes = 0
  for (const file of files) {
    const bucket = (summary.bySource[file.source] ??= { files: 0, sessions: 0 })
    bucket.files++
    summary.files++
    const ledger = await options.db.selectFrom("import_file").selectAll().where("path", "=", file.path).executeTakeFirst()
    if (!options.force && ledger && Number(ledger.size) === file.size && Number(ledger.mtime) === file.mtime) {
      summary.unchanged++
      doneBytes += file.size
      options.onProgress?.(doneBytes, totalBytes, file.path)
      continue
    }
    let sessions = 0
    for await (const item of options.parsers[file.source](file.path)) {
      if (item.type === "problem") summary.problems.push(item.problem)
      else if (item.type === "progress") options.onProgress?.(doneBytes + Math.min(item.bytes, file.size), totalBytes, file.path)
      else {
        const result = await storeImported(options.db, options.projects, options.version, item.session)
        sessions++
        if (result.created) summary.sessions.created++
        else summary.sessions.updated++
        summary.messagesAdded += result.messagesAdded
        summary.partsAdded += result.partsAdded
      }
    }
    bucket.sessions += sessions
    doneBytes += file.size
    options.onProgress?.(doneBytes, totalBytes, file.path)
    await options.db
      .insertInto("import_file")
      .values({ path: file.path, source: file.source, size: file.size, mtime: file.mtime, sessions, time_imported: Date.now() })
      .onConflict((conflict) => conflict.column("path").doUpdateSet({ size: file.size, mtime: file.mtime, sessions, time_imported: Date.now() }))
      .execute()
  }
  return summary
}

/** The files of an input: JSONL sources are walked for `*.jsonl`; OpenCode inputs are taken whole. */
async function filesOf(input: ImportInput): Promise<string[]> {
  const info = await stat(input.path).catch(() => undefined)
  if (!info) return [input.path]
  if (!info.isDirectory() || input.source === "opencode") return [input.path]
  const found: string[] = []
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.isFile() && entry.name.endsWith(".jsonl")) found.push(full)
    }
  }
  await walk(input.path)
  return found
}
