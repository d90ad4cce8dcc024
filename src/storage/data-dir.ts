import { accessSync, constants, mkdirSync } from "node:fs"
import { dirname } from "node:path"

/**
 * Spool's data directory cannot be used: read-only (`EROFS`), not writable (`EACCES`, `EPERM`), a path
 * through a regular file (`ENOTDIR`, `EEXIST`), full (`ENOSPC`, `EDQUOT`, `SQLITE_FULL`,
 * `SQLITE_IOERR_SHMSIZE`), or the database in it cannot be opened for writing (`SQLITE_READONLY`,
 * `SQLITE_CANTOPEN`). Start-up stops with this one-line message, which names the directory, the problem
 * and what to do (the CLI prints it without a stack trace and exits 1). `code` is the underlying code.
 */
export class DataDirectoryError extends Error {
  override readonly name = "DataDirectoryError"
  readonly directory: string
  readonly code: string | undefined
  constructor(directory: string, problem: string, code: string | undefined, options?: ErrorOptions) {
    const remedy = FULL.has(code ?? "") ? "free some disk space, or set SPOOL_DATA_DIR to a directory on another disk" : "set SPOOL_DATA_DIR to a writable directory or fix its permissions"
    super(`data directory ${directory} ${problem}: ${remedy}`, options)
    this.directory = directory
    this.code = code
  }
}

/** Error codes of a full disk or quota. */
const FULL = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"])

/** Error codes of a directory or file Spool cannot write (as opposed to a busy lock or a bug). */
const UNUSABLE = new Set(["EROFS", "EACCES", "EPERM", "ENOTDIR", "EEXIST", "SQLITE_READONLY", "SQLITE_CANTOPEN", ...FULL])

/**
 * Creates `directory` (with its parents) and checks that this process may write in it, at once: no lock
 * retries, no waiting. @throws DataDirectoryError naming the directory and the problem.
 */
export function ensureDataDirectory(directory: string): void {
  try {
    createDirectory(directory)
    accessSync(directory, constants.W_OK | constants.X_OK)
  } catch (error) {
    throw dataDirectoryError(directory, error) ?? error
  }
}

/**
 * `mkdir -p`. Node's recursive `mkdir` reports `ENOENT` when a missing parent cannot be created (on a
 * read-only file system, say); the parents are then created one by one to get the real error (`EROFS`).
 */
function createDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true })
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error
    const parent = dirname(directory)
    if (parent !== directory) createDirectory(parent)
    mkdirSync(directory)
  }
}

/**
 * The `DataDirectoryError` for a failure to write in `directory` (see `UNUSABLE`), or undefined when
 * `error` is something else (the caller rethrows it as it is).
 */
export function dataDirectoryError(directory: string, error: unknown): DataDirectoryError | undefined {
  // The error itself, or what it wraps (a `StorageFullError` wraps the `SQLITE_FULL` error).
  const code = [error, (error as { cause?: unknown } | null)?.cause]
    .map((candidate) => (candidate as { code?: unknown } | null)?.code)
    .find((candidate): candidate is string => typeof candidate === "string" && UNUSABLE.has(candidate))
  if (code === undefined) return undefined
  return new DataDirectoryError(directory, `${problemOf(code)} (${describe(code, error)})`, code, { cause: error })
}

function problemOf(code: string): string {
  if (code === "ENOTDIR" || code === "EEXIST") return "cannot be created"
  if (FULL.has(code)) return "has no space left"
  return "is not writable"
}

/** `EROFS: read-only file system` from Node's `EROFS: read-only file system, mkdir '/x'`; SQLite's code and message. */
function describe(code: string, error: unknown): string {
  const cause = (error as { code?: unknown }).code === code ? error : ((error as { cause?: unknown }).cause ?? error)
  const message = cause instanceof Error ? cause.message : String(cause)
  if (message.startsWith(`${code}:`)) return message.split(",")[0]
  return `${code}: ${message}`
}
