import { StorageFullError } from "./named-error.ts"

/**
 * Error codes that mean "no space left where Spool writes": SQLite's `SQLITE_FULL` (better-sqlite3 puts
 * the extended result code in `code`) and `SQLITE_IOERR_SHMSIZE` (the WAL index file `-shm` could not
 * be grown: on a full disk, opening a database whose `-shm` is gone fails with it), POSIX `ENOSPC`
 * (device full) and `EDQUOT` (quota exhausted).
 */
const FULL_CODES = new Set(["SQLITE_FULL", "SQLITE_IOERR_SHMSIZE", "ENOSPC", "EDQUOT"])

/** How deep `isStorageFull` follows `cause` chains (wrapped errors: Kysely, git runners, our own). */
const MAX_CAUSE_DEPTH = 5

/** The "disk full" code of `error` or of one of its causes (`SQLITE_FULL`, `ENOSPC`, `EDQUOT`), if any. */
export function storageFullCode(error: unknown): string | undefined {
  let current = error
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && FULL_CODES.has(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * True when `error` means the disk (or quota) holding Spool's data is full: a `StorageFullError`, or an
 * error carrying `SQLITE_FULL` / `ENOSPC` / `EDQUOT` itself or in its `cause` chain.
 */
export function isStorageFull(error: unknown): boolean {
  return StorageFullError.isInstance(error) || storageFullCode(error) !== undefined
}

/**
 * Maps a "disk full" failure to the named `StorageFullError` (HTTP 507; the original error kept as
 * `cause`), so that callers, the HTTP error handler and stored assistant messages all see one name.
 * Any other error is returned unchanged (same object), as is a `StorageFullError`.
 */
export function toStorageError(error: unknown): unknown {
  if (StorageFullError.isInstance(error)) return error
  const code = storageFullCode(error)
  if (code === undefined) return error
  return new StorageFullError(
    { message: `No space left to store Spool's data (${code}): free some disk space; nothing committed is lost and writes resume then` },
    { cause: error },
  )
}
