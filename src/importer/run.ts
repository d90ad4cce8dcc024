import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
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
  /** Config whose `provider.<id>.models.<model>.cost` prices steps that carry no cost (over the catalogue's). */
  config?: Pick<Config, "provider">
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
    const units = await unitsOf(input)
    if (units.length === 0) summary.problems.push({ path: input.path, message: "cannot read (or holds no sessions)" })
    for (const unit of units) files.push({ source: input.source, ...unit })
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
    let failed = false
    try {
      for await (const item of options.parsers[file.source](file.path)) {
        if (item.type === "problem") summary.problems.push(item.problem)
        else if (item.type === "progress") options.onProgress?.(doneBytes + Math.min(item.bytes, file.size), totalBytes, file.path)
        else {
          try {
            const result = await storeImported(options.db, options.projects, options.version, item.session, { config: options.config })
            sessions++
            if (result.created) summary.sessions.created++
            else summary.sessions.updated++
            summary.messagesAdded += result.messagesAdded
            summary.partsAdded += result.partsAdded
          } catch (error) {
            // One session that cannot be stored must not stop the others (nothing of it was written).
            failed = true
            summary.problems.push({ path: file.path, message: `session ${item.session.info.id} not stored: ${(error as Error).message}` })
          }
        }
      }
    } catch (error) {
      failed = true
      summary.problems.push({ path: file.path, message: `import stopped: ${(error as Error).message}` })
    }
    bucket.sessions += sessions
    doneBytes += file.size
    options.onProgress?.(doneBytes, totalBytes, file.path)
    // A failed unit is not recorded, so the next run tries it again.
    if (failed) continue
    await options.db
      .insertInto("import_file")
      .values({ path: file.path, source: file.source, size: file.size, mtime: file.mtime, sessions, time_imported: Date.now() })
      .onConflict((conflict) => conflict.column("path").doUpdateSet({ size: file.size, mtime: file.mtime, sessions, time_imported: Date.now() }))
      .execute()
  }
  return summary
}

/**
 * The units an input is parsed in, each with the size and mtime the ledger compares: OpenCode inputs
 * whole (a SQLite file counts its `-wal`); Codex rollouts file by file; Claude Code project folders
 * whole, because a resumed or forked session repeats earlier responses in another file of the same
 * project and the usage must be counted once across them (transcript-formats 1.7).
 */
async function unitsOf(input: ImportInput): Promise<Array<{ path: string; size: number; mtime: number }>> {
  const info = await stat(input.path).catch(() => undefined)
  if (!info) return []
  if (info.isFile()) {
    const wal = input.path.endsWith(".db") ? await stat(`${input.path}-wal`).catch(() => undefined) : undefined
    return [{ path: input.path, size: info.size + (wal?.size ?? 0), mtime: Math.floor(Math.max(info.mtimeMs, wal?.mtimeMs ?? 0)) }]
  }
  if (input.source === "opencode") return [{ path: input.path, ...(await jsonlFootprint(input.path, () => true)) }]
  const units: Array<{ path: string; size: number; mtime: number }> = []
  const entries = (await readdir(input.path, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))
  const projectFolders = input.source === "claude-code" && entries.some((entry) => entry.isDirectory())
  for (const entry of entries) {
    const full = join(input.path, entry.name)
    if (entry.isDirectory() && projectFolders) {
      const footprint = await jsonlFootprint(full, (name) => name.endsWith(".jsonl"))
      if (footprint.size > 0) units.push({ path: full, ...footprint })
    } else if (entry.isDirectory()) {
      units.push(...(await unitsOf({ source: input.source, path: full })))
    } else if (entry.isFile() && entry.name.endsWith(".jsonl")) {
      const file = await stat(full)
      units.push({ path: full, size: file.size, mtime: Math.floor(file.mtimeMs) })
    }
  }
  return units
}

/** Total size and newest mtime of the matching files under a directory. */
async function jsonlFootprint(dir: string, match: (name: string) => boolean): Promise<{ size: number; mtime: number }> {
  let size = 0
  let mtime = 0
  const walk = async (path: string) => {
    for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.isFile() && match(entry.name)) {
        const info = await stat(full)
        size += info.size
        mtime = Math.max(mtime, Math.floor(info.mtimeMs))
      }
    }
  }
  await walk(dir)
  return { size, mtime }
}
