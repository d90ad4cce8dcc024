import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { isAbsolute, join, resolve } from "node:path"
import { git } from "../util/git.ts"

/** The project a directory belongs to (spec 1.4). `worktree` is `/` outside git. */
export interface Project {
  id: string
  worktree: string
  vcs?: "git"
}

/** The project of every directory outside a git repository. */
export const GLOBAL_PROJECT: Project = { id: "global", worktree: "/" }

/**
 * Derives the project of `directory` as OpenCode does (`packages/core/src/project.ts`, spec 1.4):
 * outside git → `"global"`; inside, the first of
 * 1. SHA-1 hex of `"git-remote:" + host + "/" + path` of `origin` (file remotes ignored),
 * 2. the ID OpenCode cached in `<git-common-dir>/opencode` (read only: Spool never writes in `.git`),
 * 3. the lexicographically smallest root commit of `HEAD`.
 * A repository with no commit and no remote has no stable identity yet and maps to `"global"`.
 * The same inputs always give the same ID, across restarts and upgrades.
 */
export async function resolveProject(directory: string): Promise<Project> {
  const top = await git(["rev-parse", "--show-toplevel", "--git-common-dir"], { cwd: directory }).catch(() => undefined)
  if (!top || top.code !== 0) return GLOBAL_PROJECT
  const [worktree, commonDirRaw] = top.stdout.trim().split("\n")
  const commonDir = isAbsolute(commonDirRaw) ? commonDirRaw : resolve(directory, commonDirRaw)

  const remote = await git(["remote", "get-url", "origin"], { cwd: worktree })
  const remoteID = remote.code === 0 ? remoteProjectID(remote.stdout.trim()) : undefined
  if (remoteID) return { id: remoteID, worktree, vcs: "git" }

  const cached = await readFile(join(commonDir, "opencode"), "utf8").then((text) => text.trim(), () => "")
  if (cached) return { id: cached, worktree, vcs: "git" }

  const roots = await git(["rev-list", "--max-parents=0", "HEAD"], { cwd: worktree })
  const root = roots.code === 0 ? roots.stdout.split("\n").map((line) => line.trim()).filter(Boolean).sort()[0] : undefined
  if (root) return { id: root, worktree, vcs: "git" }
  return { ...GLOBAL_PROJECT }
}

/**
 * SHA-1 of `git-remote:<host>/<path>` for a remote URL (`https://host/path.git`, `ssh://…`, or scp form
 * `git@host:path.git`); host lower-cased, leading `/`, trailing `.git` and `/` stripped. `undefined` for
 * `file:` remotes and local paths.
 */
export function remoteProjectID(url: string): string | undefined {
  let host: string
  let path: string
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(url)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const parsed = URL.parse(url)
    if (!parsed || parsed.protocol === "file:" || !parsed.hostname) return undefined
    host = parsed.hostname
    path = parsed.pathname
  } else if (scp) {
    host = scp[1]
    path = scp[2]
  } else {
    return undefined
  }
  path = path.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "").replace(/\/+$/, "")
  return createHash("sha1").update(`git-remote:${host.toLowerCase()}/${path}`).digest("hex")
}
