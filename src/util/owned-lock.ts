import fs from "node:fs"
import { hostname } from "node:os"
import path from "node:path"
import lockfile from "proper-lockfile"
import { currentProcess, isAlive } from "./process-identity.ts"

/** Options of `lockOwned`: proper-lockfile's, minus the ones it sets itself (`realpath`, `fs`). */
export interface OwnedLockOptions {
  /** The lock directory (proper-lockfile's `lockfilePath`; created with mkdir, atomic across processes). */
  lockfilePath: string
  /** Age (ms) after which a lock whose owner stopped refreshing it is taken over (owner unknown, or alive but stuck). */
  stale: number
  /**
   * How long to wait for a held lock, in proper-lockfile's `retries` shape (a count, or
   * `{retries?, forever?, factor?, minTimeout?, maxTimeout?, maxRetryTime?}`, times in ms). Only
   * "held" (`ELOCKED`) is retried; any other error (ENOSPC, EROFS, EACCES) rejects at once.
   */
  retries: number | LockRetries
  /** Called when the lock is lost while held (proper-lockfile's `onCompromised`; its default throws). */
  onCompromised?: (error: Error) => void
}

/** How long to wait for a held lock (the `retry` package's options, as proper-lockfile takes them); times in ms. */
export interface LockRetries {
  /** Retries before giving up (default 10), unless `forever`. */
  retries?: number
  forever?: boolean
  /** Growth of the wait between tries (default 2). */
  factor?: number
  /** First wait (default 1000 ms). */
  minTimeout?: number
  /** Longest wait (default unbounded). */
  maxTimeout?: number
  /** Total time after which the last try is made (default unbounded). */
  maxRetryTime?: number
}

/** Who holds a lock: stored as `owner.json` inside the lock directory. */
export interface LockOwner {
  pid: number
  /** `/proc/<pid>/stat` field 22 (clock ticks since boot); absent off Linux. */
  startTime?: number
  host: string
}

const OWNER_FILE = "owner.json"

/**
 * proper-lockfile's `lock(key, …)` with the owner recorded: as soon as the lock directory is created, the
 * holder's pid, `/proc` start time and host name are written into it (`owner.json`), and a contender
 * that finds the lock held by a process of this host that no longer runs (pid gone, zombie, or reused by
 * a process with another start time) takes it over at once instead of waiting `stale` ms for its mtime
 * to age (issue 8: after kill -9 the next turn must not wait 20-30 s for the snapshot lock).
 *
 * Contract:
 * - Resolves with `release()` once held; rejects as proper-lockfile does (`code: "ELOCKED"` when the
 *   retries ran out).
 * - A lock held by a live process is never removed by the dead-owner rule, and (unlike plain
 *   proper-lockfile) not by the `stale` rule either: `stale` only applies when the owner is unknown (a
 *   lock left between mkdir and the owner write, or by an older Spool) or lives on another host.
 * - Residual race, as in proper-lockfile: two contenders that find the same dead owner within
 *   microseconds of each other; each re-reads the owner right before removing the lock directory.
 * - `key` is proper-lockfile's key for its in-process lock table; it is not touched on disk.
 */
export async function lockOwned(key: string, options: OwnedLockOptions): Promise<() => Promise<void>> {
  const wait = retryPolicy(options.retries)
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(key, {
        lockfilePath: options.lockfilePath,
        realpath: false,
        stale: options.stale,
        retries: 0,
        ...(options.onCompromised ? { onCompromised: options.onCompromised } : {}),
        fs: ownerAwareFs(path.resolve(options.lockfilePath)),
      } as lockfile.LockOptions)
    } catch (error) {
      // proper-lockfile's own retries would retry every error: a full disk (ENOSPC on mkdir) or a
      // read-only file system would then look like a lock held for the whole wait.
      if ((error as { code?: unknown }).code !== "ELOCKED") throw error
      // The last wait is shortened to end at `maxRetryTime`, so the lock is tried once more then.
      const remaining = wait.maxRetryTime - (Date.now() - started)
      const delay = Math.min(wait.minTimeout * wait.factor ** attempt, wait.maxTimeout, remaining)
      const outOfTries = !wait.forever && attempt >= wait.retries
      if (outOfTries || remaining <= 0) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** proper-lockfile's `retries` option (a count or an options object) with its defaults filled in. */
function retryPolicy(retries: number | LockRetries) {
  const given: LockRetries = typeof retries === "number" ? { retries } : retries
  return {
    retries: given.retries ?? 10,
    forever: given.forever ?? false,
    factor: given.factor ?? 2,
    minTimeout: given.minTimeout ?? 1000,
    maxTimeout: given.maxTimeout ?? Number.POSITIVE_INFINITY,
    maxRetryTime: given.maxRetryTime ?? Number.POSITIVE_INFINITY,
  }
}

/** Reads the owner of the lock directory `lockDir`; undefined when absent or unreadable. */
export function readLockOwner(lockDir: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(lockDir, OWNER_FILE), "utf8")) as LockOwner
    if (!Number.isSafeInteger(owner?.pid) || typeof owner.host !== "string") return undefined
    return owner
  } catch {
    return undefined
  }
}

/** True when the owner is known to be dead: same host, and that process no longer runs. */
function ownerIsDead(owner: LockOwner | undefined): boolean {
  if (!owner || owner.host !== hostname()) return false
  if (owner.pid === process.pid) return false
  return !isAlive({ pid: owner.pid, startTime: owner.startTime })
}

/** True when the owner is another process known to be alive (its lock must not be removed). */
function ownerIsLiveOther(owner: LockOwner | undefined): boolean {
  if (!owner || owner.host !== hostname() || owner.pid === process.pid) return false
  return isAlive({ pid: owner.pid, startTime: owner.startTime })
}

/**
 * The `fs` proper-lockfile uses, changed for `lockDir` only: `mkdir` writes `owner.json` into the new lock
 * directory (before proper-lockfile sets the mtime it then watches); `stat` reports a lock of a dead owner
 * as ancient (so proper-lockfile's stale path removes it now); `rmdir`/`rmdirSync` remove `owner.json`
 * first, and refuse (ELOCKED) to remove a lock a live other process owns.
 */
function ownerAwareFs(lockDir: string) {
  const self = currentProcess()
  const owner: LockOwner = { pid: self.pid, ...(self.startTime !== undefined ? { startTime: self.startTime } : {}), host: hostname() }
  const ours = (target: unknown) => typeof target === "string" && path.resolve(target) === lockDir
  // ELOCKED, as proper-lockfile's own "held" error, so callers see one code for "someone else has it".
  const busy = () => Object.assign(new Error(`Lock file is already being held by live process (${lockDir})`), { code: "ELOCKED" })
  return {
    ...fs,
    mkdir(target: string, ...rest: unknown[]) {
      const callback = rest.pop() as (error: NodeJS.ErrnoException | null) => void
      fs.mkdir(target, ...(rest as []), (error: NodeJS.ErrnoException | null) => {
        if (error || !ours(target)) return callback(error)
        try {
          fs.writeFileSync(path.join(lockDir, OWNER_FILE), JSON.stringify(owner))
        } catch {
          // Unknown owner: the lock still works, a crash just falls back to the stale age.
        }
        callback(null)
      })
    },
    stat(target: string, ...rest: unknown[]) {
      const callback = rest.pop() as (error: NodeJS.ErrnoException | null, stat?: fs.Stats) => void
      fs.stat(target, ...(rest as []), (error: NodeJS.ErrnoException | null, stat: fs.Stats) => {
        if (error || !ours(target) || !ownerIsDead(readLockOwner(lockDir))) return callback(error, stat)
        const ancient = Object.assign(Object.create(Object.getPrototypeOf(stat)) as fs.Stats, stat, { mtime: new Date(0), mtimeMs: 0 })
        callback(null, ancient)
      })
    },
    rmdir(target: string, ...rest: unknown[]) {
      const callback = rest.pop() as (error: NodeJS.ErrnoException | null) => void
      if (!ours(target)) return fs.rmdir(target, ...(rest as []), callback)
      if (ownerIsLiveOther(readLockOwner(lockDir))) return callback(busy())
      fs.rm(path.join(lockDir, OWNER_FILE), { force: true }, () => fs.rmdir(target, callback))
    },
    rmdirSync(target: string) {
      if (ours(target)) {
        if (ownerIsLiveOther(readLockOwner(lockDir))) throw busy()
        fs.rmSync(path.join(lockDir, OWNER_FILE), { force: true })
      }
      fs.rmdirSync(target)
    },
  }
}
