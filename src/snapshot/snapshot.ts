import { createHash } from "node:crypto"
import { copyFile, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { existsSync } from "node:fs"
import { isAbsolute, join, resolve } from "node:path"
import { git } from "../util/git.ts"
import { lockOwned } from "../util/owned-lock.ts"
import { literalPathspecs, runGit, runGitOk, splitNul } from "./git-dir.ts"

/** A changed file between two trees: OpenCode's `FileDiff` (`file` is relative to the work tree). */
export interface FileChange {
  file: string
  patch: string
  additions: number
  deletions: number
  status: "added" | "deleted" | "modified"
}

/** Result of `track()`: the tree hash and the files left out for being over the size cap. */
export interface TrackResult {
  tree: string
  /** Work-tree-relative paths skipped because they exceed `maxFileBytes`. */
  skipped: string[]
}

export interface SnapshotOptions {
  /** Spool's data directory; the git dir lives at `<dataDir>/snapshot/<projectID>/<sha1(workTree)>`. */
  dataDir: string
  projectID: string
  /** Absolute directory whose files are snapshotted (the repository's worktree, or the session directory outside git). */
  workTree: string
  /** Files larger than this are not snapshotted (bytes; default 2 MiB). */
  maxFileBytes?: number
  /** Unreferenced objects younger than this survive `gc` (git date; default `1.hour.ago`). */
  gcGrace?: string
}

/** Trees younger than this survive garbage collection even when no session references them yet. */
const DEFAULT_GC_GRACE = "1.hour.ago"
const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024

/**
 * File snapshots of one work tree in a private git directory (after OpenCode's snapshot module, spec
 * section 5): `track()` stages the work tree into the private index and writes a **tree** object —
 * no commits, no refs, and the user's `.git`, index and refs are never written. The user's object
 * store is borrowed read-only through `objects/info/alternates`, and the user's index seeds ours, so
 * unchanged files are never re-hashed. `.gitignore` rules apply; files over the size cap are skipped.
 *
 * Every operation holds a lock on the git dir, in-process and across processes sharing the data dir
 * (`<gitDir>/spool.lock`, owner recorded: a lock whose owner process died is taken over at once).
 */
export class Snapshot {
  readonly gitDir: string
  readonly workTree: string
  readonly maxFileBytes: number
  readonly gcGrace: string
  #chain: Promise<unknown> = Promise.resolve()
  #ready = false

  constructor(options: SnapshotOptions) {
    this.workTree = resolve(options.workTree)
    this.gitDir = join(options.dataDir, "snapshot", options.projectID, createHash("sha1").update(this.workTree).digest("hex"))
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
    this.gcGrace = options.gcGrace ?? DEFAULT_GC_GRACE
  }

  /** Stages the current work tree and returns its tree hash. */
  track(): Promise<TrackResult> {
    return this.#locked(async () => {
      const skipped = await this.#stage()
      const tree = (await this.#git(["write-tree"])).toString("utf8").trim()
      return { tree, skipped }
    })
  }

  /** Work-tree-relative paths that differ between two trees. */
  changedFiles(from: string, to: string): Promise<string[]> {
    return this.#locked(async () => splitNul(await this.#git(["diff-tree", "-r", "-z", "--name-only", "--no-renames", from, to])))
  }

  /**
   * Unified diffs between two trees, optionally only for `files` (work-tree-relative). Binary files
   * have an empty patch and 0/0 counts.
   */
  diff(from: string, to: string, files?: string[]): Promise<FileChange[]> {
    return this.#locked(async () => {
      if (files && files.length === 0) return []
      const pathspec = files ? ["--", ...files.map((file) => `:(top,literal)${file}`)] : []
      const status = splitNul(await this.#git(["diff-tree", "-r", "-z", "--name-status", "--no-renames", from, to, ...pathspec]))
      const numstat = splitNul(await this.#git(["diff-tree", "-r", "-z", "--numstat", "--no-renames", from, to, ...pathspec]))
      const patches = await this.#git(["diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", from, to, ...pathspec])
      const counts = new Map<string, { additions: number; deletions: number }>()
      // -z numstat without renames: "<added>\t<deleted>\t<path>" per entry ("-" for binary files)
      for (const entry of numstat) {
        const [added, deleted, ...path] = entry.split("\t")
        counts.set(path.join("\t"), { additions: Number(added) || 0, deletions: Number(deleted) || 0 })
      }
      const patchByFile = splitPatches(patches.toString("utf8"))
      const result: FileChange[] = []
      for (let index = 0; index < status.length; index += 2) {
        const code = status[index]
        const file = status[index + 1]
        result.push({
          file,
          patch: patchByFile.get(file) ?? "",
          additions: counts.get(file)?.additions ?? 0,
          deletions: counts.get(file)?.deletions ?? 0,
          status: code === "A" ? "added" : code === "D" ? "deleted" : "modified",
        })
      }
      return result
    })
  }

  /** Blob ids of `files` in `tree` (`undefined` when absent there). */
  blobIds(tree: string, files: string[]): Promise<Map<string, string | undefined>> {
    return this.#locked(async () => {
      const result = new Map<string, string | undefined>(files.map((file) => [file, undefined]))
      if (files.length === 0) return result
      const listing = splitNul(await this.#git(["ls-tree", "-r", "-z", "--full-tree", tree, "--", ...files.map((file) => `:(top,literal)${file}`)]))
      for (const entry of listing) {
        const tab = entry.indexOf("\t")
        const [, , id] = entry.slice(0, tab).split(" ")
        result.set(entry.slice(tab + 1), id)
      }
      return result
    })
  }

  /** Blob ids of the files as they are on disk now (`undefined` when missing). Nothing is written. */
  diskBlobIds(files: string[]): Promise<Map<string, string | undefined>> {
    return this.#locked(async () => {
      const result = new Map<string, string | undefined>()
      const present: string[] = []
      for (const file of files) {
        const info = await lstat(join(this.workTree, file)).catch(() => undefined)
        if (info && (info.isFile() || info.isSymbolicLink())) present.push(file)
        else result.set(file, undefined)
      }
      if (present.length > 0) {
        const ids = (await this.#git(["hash-object", "--stdin-paths"], { input: present.join("\n") + "\n" })).toString("utf8").trim().split("\n")
        present.forEach((file, index) => result.set(file, ids[index]))
      }
      return result
    })
  }

  /**
   * Sets each of `files` to its content in `tree`, deleting the ones absent from it. Touches nothing
   * else in the work tree.
   */
  restore(tree: string, files: string[]): Promise<void> {
    return this.#locked(async () => {
      if (files.length === 0) return
      const listing = splitNul(await this.#git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", tree, "--", ...files.map((file) => `:(top,literal)${file}`)]))
      const inTree = new Set(listing)
      const restore = files.filter((file) => inTree.has(file))
      const remove = files.filter((file) => !inTree.has(file))
      if (restore.length > 0) {
        await this.#git(["checkout", tree, "--pathspec-from-file=-", "--pathspec-file-nul"], { input: literalPathspecs(restore) })
      }
      for (const file of remove) await rm(join(this.workTree, file), { force: true })
      if (remove.length > 0) {
        await this.#git(["rm", "--cached", "-q", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"], { input: literalPathspecs(remove) })
      }
    })
  }

  /**
   * Deletes snapshot objects no longer referenced: every tree in `live` (and what it contains) is
   * kept through one ref to a tree listing them; unreferenced objects older than an hour are pruned
   * (the grace period protects trees written by a running turn and not yet stored).
   */
  gc(live: string[]): Promise<void> {
    return this.#locked(async () => {
      if (!existsSync(join(this.gitDir, "HEAD"))) return
      const unique = [...new Set(live)].filter((tree) => /^[0-9a-f]{40,64}$/.test(tree))
      const existing: string[] = []
      for (const tree of unique) {
        const check = await runGit(this.gitDir, this.workTree, ["cat-file", "-e", `${tree}^{tree}`])
        if (check.code === 0) existing.push(tree)
      }
      if (existing.length > 0) {
        const listing = existing.map((tree, index) => `040000 tree ${tree}\tt${index}`).join("\n") + "\n"
        const keep = (await this.#git(["mktree", "--missing"], { input: listing })).toString("utf8").trim()
        await this.#git(["update-ref", "refs/spool/keep", keep])
      } else {
        await runGit(this.gitDir, this.workTree, ["update-ref", "-d", "refs/spool/keep"])
      }
      await this.#git(["gc", "-q", `--prune=${this.gcGrace}`])
    })
  }

  /** True when `tree` is a tree object of this store (false for hashes from another tool's store). */
  has(tree: string): Promise<boolean> {
    return this.#locked(async () => {
      if (!/^[0-9a-f]{40,64}$/.test(tree) || !existsSync(join(this.gitDir, "HEAD"))) return false
      return (await runGit(this.gitDir, this.workTree, ["cat-file", "-e", `${tree}^{tree}`])).code === 0
    })
  }

  /** Bytes used by the git dir. */
  async size(): Promise<number> {
    return directorySize(this.gitDir)
  }

  async #stage(): Promise<string[]> {
    await this.#init()
    // Files over the cap are excluded before staging: untracked ones through info/exclude, tracked
    // ones that grew are dropped from the private index.
    // One listing of untracked (-o) and modified (-m) files; `-t` tags tracked ones ("C "/"R ") apart
    // from untracked ("? ").
    const listing = splitNul(await this.#git(["ls-files", "-z", "-t", "--others", "--modified", "--exclude-standard"]))
    const skipped: string[] = []
    const tracked: string[] = []
    for (const entry of listing) {
      const file = entry.slice(2)
      if (file.split("/").at(-1)!.startsWith(".spool-tmp-")) continue
      const info = await stat(join(this.workTree, file)).catch(() => undefined)
      if (!info || !info.isFile() || info.size <= this.maxFileBytes || skipped.includes(file)) continue
      skipped.push(file)
      if (!entry.startsWith("?")) tracked.push(file)
    }
    // Temporary files of atomic writes (`.spool-tmp-*`) are never part of a snapshot.
    const exclude = [await this.#userExcludes(), ".spool-tmp-*", ...skipped.map((file) => `/${escapeExclude(file)}`)].join("\n") + "\n"
    const excludeFile = join(this.gitDir, "info", "exclude")
    if (exclude !== (await readFile(excludeFile, "utf8").catch(() => ""))) await writeFile(excludeFile, exclude)
    if (tracked.length > 0) {
      await this.#git(["rm", "--cached", "-q", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"], { input: literalPathspecs(tracked) })
    }
    await this.#git(["add", "--all", "--ignore-errors", "."])
    return skipped.sort()
  }

  async #init(): Promise<void> {
    if (this.#ready) return
    if (!existsSync(join(this.gitDir, "HEAD"))) {
      await mkdir(this.gitDir, { recursive: true })
      await this.#git(["init", "-q"])
      for (const [key, value] of [
        ["core.autocrlf", "false"],
        ["core.fsmonitor", "false"],
        ["core.untrackedCache", "true"],
        ["feature.manyFiles", "true"],
        ["index.threads", "true"],
        ["gc.auto", "0"],
        ["maintenance.auto", "false"],
      ]) {
        await this.#git(["config", key, value])
      }
      const userGitDir = await this.#userGitDir()
      if (userGitDir) {
        // Borrow the user's objects (read-only) and seed our index from theirs so the first track
        // does not re-hash the whole repository.
        await mkdir(join(this.gitDir, "objects", "info"), { recursive: true })
        await writeFile(join(this.gitDir, "objects", "info", "alternates"), join(userGitDir, "objects") + "\n")
        await copyFile(join(userGitDir, "index"), join(this.gitDir, "index")).catch(() => undefined)
      }
    }
    await mkdir(join(this.gitDir, "info"), { recursive: true })
    this.#ready = true
  }

  async #userGitDir(): Promise<string | undefined> {
    const result = await git(["rev-parse", "--git-common-dir"], { cwd: this.workTree }).catch(() => undefined)
    if (!result || result.code !== 0) return undefined
    const dir = result.stdout.trim()
    return isAbsolute(dir) ? dir : resolve(this.workTree, dir)
  }

  async #userExcludes(): Promise<string> {
    const userGitDir = await this.#userGitDir()
    if (!userGitDir) return ""
    return readFile(join(userGitDir, "info", "exclude"), "utf8").catch(() => "")
  }

  #git(args: string[], options?: Parameters<typeof runGitOk>[3]) {
    return runGitOk(this.gitDir, this.workTree, args, options)
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(async () => {
      await mkdir(this.gitDir, { recursive: true })
      // A lock left by a dead process (kill -9 mid-snapshot) is taken over at once (see `lockOwned`).
      const release = await lockOwned(this.gitDir, {
        lockfilePath: join(this.gitDir, "spool.lock"),
        stale: 30_000,
        retries: { retries: 200, minTimeout: 10, maxTimeout: 100 },
      })
      try {
        return await work()
      } finally {
        await release()
      }
    })
    this.#chain = run.catch(() => undefined)
    return run
  }
}

function splitPatches(text: string): Map<string, string> {
  const result = new Map<string, string>()
  const chunks = text.split(/^(?=diff --git )/m).filter((chunk) => chunk.startsWith("diff --git "))
  for (const chunk of chunks) {
    const header = /^diff --git a\/(.*) b\/(.*)$/m.exec(chunk)
    if (header) result.set(header[2], chunk)
  }
  return result
}

function escapeExclude(file: string): string {
  return file.replace(/([\\*?[\]!#])/g, "\\$1")
}

/** Bytes used by the files under `path` (0 when it does not exist). */
export async function directorySize(path: string): Promise<number> {
  let total = 0
  const entries = await readdir(path, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) total += await directorySize(full)
    else total += (await lstat(full).catch(() => ({ size: 0 }))).size
  }
  return total
}
