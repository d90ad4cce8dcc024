import { glob, stat } from "node:fs/promises"
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path"
import { configDirectory } from "../config/index.ts"
import type { InstructionProblem } from "./imports.ts"

/** Project instruction file names, by priority: the first name found anywhere on the path wins. */
export const PROJECT_FILE_NAMES = ["AGENTS.md", "CLAUDE.md"] as const

/** Instruction files to load, each list in output order. */
export interface Discovered {
  /** `~/.claude/CLAUDE.md`, then `<config dir>/AGENTS.md`, those that exist. */
  global: string[]
  /** Matches of config `instructions` patterns, in pattern order. */
  config: string[]
  /** `AGENTS.md` (else `CLAUDE.md`) files from the worktree root down to the session directory. */
  project: string[]
}

export interface DiscoverInput {
  directory: string
  worktree: string
  instructions?: readonly string[]
  home: string
  env: NodeJS.ProcessEnv
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/**
 * Directories from `directory` up to `worktree`, nearest first. A directory outside the worktree is
 * searched alone.
 */
export function walkUp(directory: string, worktree: string): string[] {
  const start = resolve(directory)
  const stop = resolve(worktree)
  if (!inside(stop, start)) return [start]
  const dirs: string[] = []
  for (let dir = start; ; dir = dirname(dir)) {
    dirs.push(dir)
    if (dir === stop || dir === dirname(dir)) break
  }
  return dirs
}

/** Regular files matching `pattern` (relative to `cwd`, or absolute), as sorted absolute paths. */
async function globFiles(pattern: string, cwd?: string): Promise<string[]> {
  const out: string[] = []
  for await (const entry of glob(pattern, cwd === undefined ? {} : { cwd })) {
    const path = resolve(cwd ?? "/", entry)
    if (await isFile(path)) out.push(path)
  }
  return out.sort()
}

/**
 * Finds the instruction files of a session (see `loadInstructions` for the rules). Paths are absolute
 * and unique across the three lists (a config match that is also a global or project file is dropped
 * from `config`). Problems (a URL pattern, a pattern matching nothing, a glob error) are appended to
 * `problems`.
 */
export async function discover(input: DiscoverInput, problems: InstructionProblem[]): Promise<Discovered> {
  const global: string[] = []
  for (const path of [join(input.home, ".claude", "CLAUDE.md"), join(configDirectory(input.env, input.home), "AGENTS.md")]) {
    if (!global.includes(path) && (await isFile(path))) global.push(path)
  }

  const dirs = walkUp(input.directory, input.worktree)
  let project: string[] = []
  for (const name of PROJECT_FILE_NAMES) {
    const found: string[] = []
    for (const dir of dirs) if (await isFile(join(dir, name))) found.push(join(dir, name))
    if (found.length > 0) {
      project = found.reverse()
      break
    }
  }

  // Relative patterns are globbed in each directory from the worktree root down to the session
  // directory; never from a filesystem root (a directory outside git has worktree `/`).
  const root = resolve(input.worktree)
  const globDirs = (root === dirname(root) ? [resolve(input.directory)] : dirs).slice().reverse()
  const taken = new Set([...global, ...project])
  const config: string[] = []
  for (const pattern of input.instructions ?? []) {
    if (/^https?:\/\//.test(pattern)) {
      problems.push({ path: pattern, message: "instructions: URLs are not supported; pattern skipped" })
      continue
    }
    const expanded = pattern.startsWith("~/") ? join(input.home, pattern.slice(2)) : pattern
    let matches: string[] = []
    try {
      if (isAbsolute(expanded)) matches = await globFiles(expanded)
      else for (const dir of globDirs) matches.push(...(await globFiles(expanded, dir)))
    } catch (error) {
      problems.push({ path: pattern, message: `instructions: pattern cannot be searched: ${(error as Error).message}` })
      continue
    }
    if (matches.length === 0) problems.push({ path: pattern, message: "instructions: pattern matches no file" })
    for (const path of matches) {
      if (taken.has(path)) continue
      taken.add(path)
      config.push(path)
    }
  }
  return { global, config, project }
}
