import { createHash } from "node:crypto"
import { realpathSync } from "node:fs"
import fs from "node:fs/promises"
import path from "node:path"
import { lockOwned } from "../util/owned-lock.ts"
import type { FileGuard } from "./tool.ts"
import { realLocation } from "./path.ts"

/**
 * A write refused because the session's view of the file is missing or out of date. A plain `Error`
 * (the tool layer shows `message` to the model); `name` lets callers tell it apart.
 */
export class StaleFileError extends Error {
  override name = "StaleFileError"
}

export interface FileGuardRegistryOptions {
  /** Directory for lock files and last-writer sidecars, under Spool's data dir (e.g. `<data>/locks`). */
  lockDir: string
  /** How long a writer waits for another process's lock before failing (default 60 s). */
  lockWaitMs?: number
  /** Age after which a lock of an unknown holder that stopped refreshing it is taken over (default 10 s); a dead holder's lock is taken at once. */
  staleMs?: number
  /**
   * Durable read records shared by every process on the data directory (the session layer implements
   * it over the database). Absent: read records live in this process's memory only.
   */
  store?: ReadRecordStore
}

/**
 * Where read records persist, so that a session continued in another process (`spool run --session`) or
 * after a restart keeps its view of the files it read. Implemented by the session layer (tool/ never
 * touches storage). `path` is the file's real location; `hash` the sha256 (hex) of its bytes.
 * Errors thrown by either method propagate to the tool call (it fails; nothing is written).
 */
export interface ReadRecordStore {
  /** The hash of the bytes `sessionID` last read or wrote of `path`; undefined when it never did. */
  load(sessionID: string, path: string): Promise<string | undefined>
  /** Records `hash` as `sessionID`'s view of `path` (replacing any earlier one); `undefined` forgets it. */
  save(sessionID: string, path: string, hash: string | undefined): Promise<void>
}

export interface FileGuardRegistry {
  /** The guard for one session: its own read records, the process-wide locks. */
  forSession(sessionID: string): FileGuard
  /** Drops a session's in-memory read records (e.g. when the session is deleted; the store drops its own). */
  forget(sessionID: string): void
}

/** Who last wrote a file through a guard; kept in `<lockDir>/<sha1(path)>.json`. */
export interface LastWriter {
  sessionID: string
  pid: number
  /** ISO 8601. */
  time: string
  /** sha256 (hex) of the bytes the write left on disk. */
  hash: string
}

interface Sidecar {
  path: string
  lastWriter: LastWriter
}

const DEFAULT_LOCK_WAIT_MS = 60_000
const DEFAULT_STALE_MS = 10_000

/**
 * In-process queue per (lockDir, path), shared by every registry in the process, so that two tool calls on
 * one file queue on a promise instead of polling the lock file. Entries are removed when their queue drains.
 */
const queues = new Map<string, Promise<void>>()

/**
 * Creates the process-wide file guard registry (one per process, shared by all sessions).
 *
 * Contract:
 * - Paths are keyed by their real location (`realLocation`: symlinks resolved, a missing tail appended to
 *   its nearest existing parent), so two spellings of one file share one lock and one read record.
 * - Locks: an in-process promise queue per file (FIFO in call order), then `proper-lockfile` on
 *   `<lockDir>/<sha1(real path)>.lock` (mkdir-based, works across processes sharing `lockDir`); a waiting
 *   writer retries for `lockWaitMs` (default 60 s) and then fails with a plain `Error`. The holder (pid,
 *   `/proc` start time, host) is recorded in the lock (`lockOwned`): a lock whose holder process is dead
 *   is taken over at once; one whose holder is unknown (or on another host) after `staleMs` (default
 *   10 s) without refresh; one whose holder is alive is never taken.
 * - Read records, per session and path: the sha256 of the bytes the session last read (`recordRead`) or
 *   wrote (`write`). Kept in memory (the fast path) and, with `store`, saved there before `recordRead` /
 *   `write` resolve; a write whose file does not match the in-memory record asks the store, which is the
 *   truth (the session may have read or written the file since, in another process). Without a store,
 *   records do not survive a restart; a session may then still write a file whose current bytes are
 *   exactly its own last write according to the sidecar.
 * - Last writer: after each successful `write` the sidecar `<lockDir>/<sha1(real path)>.json` is replaced
 *   (atomically, under the lock) with `{ path, lastWriter: { sessionID, pid, time, hash } }`; a stale-write
 *   error names that session when the file's current hash equals `lastWriter.hash`, and otherwise says
 *   "by another process or the user".
 */
export function createFileGuardRegistry(options: FileGuardRegistryOptions): FileGuardRegistry {
  const lockDir = path.resolve(options.lockDir)
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS
  const store = options.store
  const sessions = new Map<string, Map<string, string>>()

  const records = (sessionID: string) => {
    let map = sessions.get(sessionID)
    if (!map) sessions.set(sessionID, (map = new Map()))
    return map
  }

  /**
   * Runs `fn(real, base)` holding the write lock of `file`. The in-process queue is keyed by the lexical
   * path so that it is entered synchronously, in call order; the lock file by the real location (resolved
   * once queued), so that other spellings of the file, here or in other processes, wait on it too.
   */
  async function withLock<T>(file: string, fn: (real: string, base: string) => Promise<T>): Promise<T> {
    const absolute = path.resolve(file)
    return serial(`${lockDir}\0${absolute}`, async () => {
      const real = await realLocation(absolute, 0)
      const base = path.join(lockDir, sha1(real))
      await fs.mkdir(lockDir, { recursive: true })
      let release: () => Promise<void>
      try {
        // `base` (not the target) is what proper-lockfile keys its in-memory lock table by: unique per
        // lockDir and file, and never touched on disk because `lockfilePath` is given and realpath is off.
        // The holder is recorded in the lock, so a lock of a dead process is taken over at once.
        release = await lockOwned(base, {
          lockfilePath: `${base}.lock`,
          stale: staleMs,
          retries: { forever: true, factor: 1.5, minTimeout: 10, maxTimeout: 100, maxRetryTime: lockWaitMs },
          // The default throws from a timer (crashing the process). A compromised lock only means another
          // process may have taken it over after we stalled for `staleMs`; the write itself is short.
          onCompromised: () => {},
        })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ELOCKED") {
          throw new Error(
            `Timed out after ${Math.round(lockWaitMs / 1000)} s waiting for the write lock on ${file}: another session or process is writing it. Try again.`,
          )
        }
        throw error
      }
      try {
        return await fn(real, base)
      } finally {
        await release().catch(() => {})
      }
    })
  }

  return {
    forget(sessionID) {
      sessions.delete(sessionID)
    },
    forSession(sessionID) {
      return {
        async recordRead(file, content) {
          const real = realSync(file)
          const hash = sha256(content)
          records(sessionID).set(real, hash)
          await store?.save(sessionID, real, hash)
        },
        async write(file, fn) {
          return withLock(file, async (real, base) => {
            const sidecarPath = `${base}.json`
            const current = await readRegularFile(real)
            let known = records(sessionID).get(real)
            if (current !== undefined) {
              const hash = sha256(current)
              // Fast path: the in-memory view matches. Otherwise the store decides (another process may
              // have recorded a newer read or write of this session).
              if (known !== hash && store) {
                known = (await store.load(sessionID, real)) ?? known
                if (known !== undefined) records(sessionID).set(real, known)
              }
              if (known === undefined) {
                const sidecar = await readSidecar(sidecarPath)
                const ownLastWrite = sidecar?.lastWriter.sessionID === sessionID && sidecar.lastWriter.hash === hash
                if (!ownLastWrite) {
                  throw new StaleFileError(`You must read file ${file} before overwriting it. Use the read tool first.`)
                }
              } else if (known !== hash) {
                const sidecar = await readSidecar(sidecarPath)
                const by =
                  sidecar && sidecar.lastWriter.hash === hash
                    ? `by session ${sidecar.lastWriter.sessionID} at ${sidecar.lastWriter.time}`
                    : "by another process or the user"
                throw new StaleFileError(
                  `File ${file} has been modified since this session last read it (${by}). Read it again before editing.`,
                )
              }
            }

            const result = await fn()

            const after = await readRegularFile(real)
            if (after === undefined) {
              records(sessionID).delete(real)
              await store?.save(sessionID, real, undefined)
              return result
            }
            const hash = sha256(after)
            records(sessionID).set(real, hash)
            await store?.save(sessionID, real, hash)
            const sidecar: Sidecar = {
              path: real,
              lastWriter: { sessionID, pid: process.pid, time: new Date().toISOString(), hash },
            }
            // Best effort: the file is written already; losing the sidecar only makes a later message vaguer.
            await writeAtomic(sidecarPath, JSON.stringify(sidecar) + "\n").catch(() => {})
            return result
          })
        },
      }
    },
  }
}

/** Runs `fn` after every earlier `serial(key, …)` call in this process has settled. */
async function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve()
  let done!: () => void
  const mine = new Promise<void>((resolve) => (done = resolve))
  const tail = previous.then(() => mine)
  queues.set(key, tail)
  try {
    await previous
    return await fn()
  } finally {
    done()
    if (queues.get(key) === tail) queues.delete(key)
  }
}

/** The bytes of `file` when it is a regular file; undefined when missing or not a regular file. */
async function readRegularFile(file: string): Promise<Buffer | undefined> {
  const stat = await fs.stat(file).catch(() => undefined)
  if (!stat?.isFile()) return undefined
  try {
    return await fs.readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined
    throw error
  }
}

async function readSidecar(file: string): Promise<Sidecar | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(file, "utf8")) as Sidecar
    const writer = value?.lastWriter
    if (typeof writer?.sessionID !== "string" || typeof writer.hash !== "string" || typeof writer.time !== "string") {
      return undefined
    }
    return value
  } catch {
    return undefined
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await fs.writeFile(temp, content)
  await fs.rename(temp, file)
}

/** Real location of a file the caller has just read (so it exists); falls back to the lexical path. */
function realSync(file: string): string {
  const absolute = path.resolve(file)
  try {
    return realpathSync.native(absolute)
  } catch {
    return absolute
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex")
}

function sha256(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex")
}
