import fs from "node:fs/promises"
import path from "node:path"
import ignore, { type Ignore } from "ignore"
import { isWithin } from "./path.ts"

/**
 * Directory walking shared by `glob`, `grep` and `list` (our stand-in for `rg --files`).
 *
 * Behaviour, mirroring how OpenCode drives ripgrep (`rg --files --hidden --follow --glob=!.git/*`):
 * - hidden files are included; `.git` directories are always skipped;
 * - `.gitignore` files are honoured at every level, including those between the session directory and
 *   the search root, plus `.git/info/exclude` at the session directory (unlike ripgrep we do not require
 *   the directory to be a git repository);
 * - symlinks are followed only when their real target is inside the session directory; a directory link
 *   that points back at one of the directories being walked is skipped (no cycles), as `rg --follow`;
 * - traversal is breadth-first with entries sorted by name, so results are deterministic.
 */
export interface WalkOptions {
  /** Absolute directory to walk (already confined). */
  root: string
  /** Absolute session directory: the confinement root and the top of the .gitignore chain. */
  confine: string
  /** Directory names skipped at any depth below `root` (`.git` is always skipped). */
  skipDirs?: ReadonlySet<string>
  /** Extra gitignore-syntax rules, relative to `root`. */
  extraIgnore?: readonly string[]
  signal?: AbortSignal
  /** Stop after this many files (safety valve). Default 100_000. */
  maxFiles?: number
}

export interface WalkedFile {
  /** Absolute path as reached from `root` (symlinks not replaced). */
  path: string
  /** Path relative to `root`, `/`-separated. */
  relative: string
}

/** Real paths of the directories from the walk root down to the current one. */
interface Chain {
  real: string
  parent: Chain | undefined
}

function onChain(chain: Chain | undefined, real: string): boolean {
  for (let link = chain; link; link = link.parent) if (link.real === real) return true
  return false
}

interface RuleSet {
  base: string
  rules: Ignore
}

const ALWAYS_SKIPPED = ".git"

export async function* walkFiles(options: WalkOptions): AsyncGenerator<WalkedFile> {
  const root = path.resolve(options.root)
  const confine = path.resolve(options.confine)
  const realConfine = await fs.realpath(confine)
  const maxFiles = options.maxFiles ?? 100_000
  const skipDirs = options.skipDirs ?? new Set<string>()

  let inherited = await ancestorRules(confine, root)
  // A search root that is itself ignored was asked for explicitly: search it anyway.
  if (inherited.length > 0 && isIgnored(inherited, root, true)) inherited = []
  if (options.extraIgnore && options.extraIgnore.length > 0) {
    inherited.push({ base: root, rules: ignore().add([...options.extraIgnore]) })
  }

  const rootReal = await fs.realpath(root)
  const queue: Array<{ dir: string; rules: RuleSet[]; chain: Chain }> = [
    { dir: root, rules: inherited, chain: { real: rootReal, parent: undefined } },
  ]
  let yielded = 0

  for (let next = 0; next < queue.length; next++) {
    if (options.signal?.aborted) throw new Error("Aborted")
    const { dir, rules: parentRules, chain } = queue[next]
    queue[next] = undefined as never
    const own = await loadRules(dir)
    const rules = own ? [...parentRules, own] : parentRules

    let entries: import("node:fs").Dirent[]
    try {
      entries = await fs.readdir(dir, { withFileTypes: true })
    } catch {
      continue
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        const real = await fs.realpath(full).catch(() => undefined)
        if (!real || !isWithin(realConfine, real)) continue
        const stat = await fs.stat(real).catch(() => undefined)
        if (!stat) continue
        isDir = stat.isDirectory()
        isFile = stat.isFile()
      }
      if (isDir) {
        if (entry.name === ALWAYS_SKIPPED || skipDirs.has(entry.name)) continue
        if (isIgnored(rules, full, true)) continue
        const real = entry.isSymbolicLink() ? await fs.realpath(full).catch(() => undefined) : path.join(chain.real, entry.name)
        // Like `rg --follow`: a link back to a directory we are inside of would loop, skip it.
        if (!real || onChain(chain, real)) continue
        queue.push({ dir: full, rules, chain: { real, parent: chain } })
        continue
      }
      if (!isFile) continue
      if (isIgnored(rules, full, false)) continue
      yield { path: full, relative: toPosix(path.relative(root, full)) }
      yielded += 1
      if (yielded >= maxFiles) return
    }
  }
}

function isIgnored(sets: readonly RuleSet[], full: string, isDir: boolean): boolean {
  let ignored = false
  for (const set of sets) {
    const relative = path.relative(set.base, full)
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) continue
    const result = set.rules.test(toPosix(relative) + (isDir ? "/" : ""))
    if (result.ignored) ignored = true
    else if (result.unignored) ignored = false
  }
  return ignored
}

async function loadRules(dir: string): Promise<RuleSet | undefined> {
  const text = await fs.readFile(path.join(dir, ".gitignore"), "utf8").catch(() => undefined)
  if (text === undefined) return undefined
  return { base: dir, rules: ignore().add(text) }
}

/** Rules from the session directory down to (excluding) `root`, plus `.git/info/exclude`. */
async function ancestorRules(confine: string, root: string): Promise<RuleSet[]> {
  const sets: RuleSet[] = []
  const exclude = await fs.readFile(path.join(confine, ".git", "info", "exclude"), "utf8").catch(() => undefined)
  if (exclude !== undefined) sets.push({ base: confine, rules: ignore().add(exclude) })
  if (!isWithin(confine, root) || confine === root) return sets
  const parts = path.relative(confine, root).split(path.sep)
  let dir = confine
  for (let i = 0; i < parts.length; i++) {
    const own = await loadRules(dir)
    if (own) sets.push(own)
    dir = path.join(dir, parts[i])
  }
  return sets
}

export function toPosix(p: string): string {
  return p.split(path.sep).join("/")
}
