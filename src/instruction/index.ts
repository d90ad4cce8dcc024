import { readFile } from "node:fs/promises"
import { homedir } from "node:os"
import { resolve } from "node:path"
import type { Config } from "../config/index.ts"
import { discover } from "./discover.ts"
import { expandImports, type InstructionProblem } from "./imports.ts"

export { discover, PROJECT_FILE_NAMES, walkUp, type Discovered } from "./discover.ts"
export { expandImports, findImports, MAX_IMPORT_HOPS, type InstructionProblem } from "./imports.ts"

/** One top-level instruction file as it appears in the system prompt. */
export interface InstructionFile {
  /** Absolute path. */
  path: string
  /** The file's text with its `@path` imports inlined (see `expandImports`). */
  content: string
  /** Absolute paths of the files inlined into `content`, in order. */
  imports: string[]
}

export interface Instructions {
  files: InstructionFile[]
  /** Non-fatal problems: unreadable files, import cycles, missing imports, too-deep imports, bad patterns. */
  problems: InstructionProblem[]
  /** The system-prompt text: each file as `Instructions from: <path>\n<content>`, joined with "\n"; "" when none. */
  text: string
}

export interface LoadInstructionsInput {
  /** The session directory. */
  directory: string
  /** The project's worktree root (`/` outside git). */
  worktree: string
  /** The effective config; only `instructions` is read. */
  config?: Pick<Config, "instructions">
  /** Home directory (default `os.homedir()`), for `~/.claude/CLAUDE.md`, `~/` patterns and imports. */
  home?: string
  /** Environment (default `process.env`), for `$XDG_CONFIG_HOME`. */
  env?: NodeJS.ProcessEnv
}

/**
 * The instruction files of a session, for the system prompt (spec 9.3).
 *
 * Which files:
 * - global: `~/.claude/CLAUDE.md` and `~/.config/spool/AGENTS.md` (`$XDG_CONFIG_HOME/spool/AGENTS.md`),
 *   each when present;
 * - config `instructions` patterns: `~/…` and absolute globs as is, relative globs in every directory
 *   from the worktree root down to the session directory (only the session directory when the worktree
 *   is `/`); `http(s)://` entries are skipped with a problem;
 * - project: the first of `AGENTS.md`, `CLAUDE.md` that exists in any directory from the session
 *   directory up to the worktree root; every file of that name on the path is used (OpenCode's rule).
 *
 * Order, chosen so that the prompt prefix is as stable as possible and the most specific text comes
 * last: global files, then config matches (pattern order; per pattern root directory first, matches
 * sorted), then project files from the worktree root down to the session directory. Each file appears
 * once, at its first position (also when it was already inlined as an import). Empty files are skipped.
 *
 * The result depends only on the files' contents and paths, so it is byte-identical across turns
 * while the files do not change. Never throws for a file problem; those go to `problems`.
 */
export async function loadInstructions(input: LoadInstructionsInput): Promise<Instructions> {
  const home = input.home ?? homedir()
  const problems: InstructionProblem[] = []
  const found = await discover(
    {
      directory: resolve(input.directory),
      worktree: resolve(input.worktree),
      instructions: input.config?.instructions,
      home,
      env: input.env ?? process.env,
    },
    problems,
  )
  const context = { home, included: new Set<string>(), problems }
  const files: InstructionFile[] = []
  for (const path of [...found.global, ...found.config, ...found.project]) {
    if (context.included.has(path)) continue
    let text: string
    try {
      text = await readFile(path, "utf8")
    } catch (error) {
      problems.push({ path, message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` })
      continue
    }
    context.included.add(path)
    if (text.trim() === "") continue
    const expanded = await expandImports(path, text, context)
    files.push({ path, content: expanded.content, imports: expanded.imports })
  }
  return {
    files,
    problems,
    text: files.map((file) => `Instructions from: ${file.path}\n${file.content}`).join("\n"),
  }
}
