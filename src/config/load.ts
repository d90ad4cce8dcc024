import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path"
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser"
import { z } from "zod"
import { NamedError } from "../util/named-error.ts"
import { formatIssue, lineColumn, locateIssues } from "./locate.ts"
import { mergeConfig } from "./merge.ts"
import { configDirectory } from "./paths.ts"
import { Config } from "./schema.ts"

/**
 * A config file that is not valid JSONC or does not match the schema. `path` is the file; `issues`
 * (when present) locate each problem by line, column and JSON path; `message` lists them all.
 */
export const ConfigInvalidError = NamedError.create(
  "ConfigInvalidError",
  z.object({
    path: z.string(),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.string(), line: z.number(), column: z.number(), message: z.string() }))
      .optional(),
  }),
)

/** Config file names, in the order they are read within one directory (a later one wins). */
export const CONFIG_FILE_NAMES = ["spool.json", "spool.jsonc"] as const

/** Options of `loadConfig` / `readConfigFile` beyond the environment. */
export interface LoadConfigOptions {
  /**
   * The project's worktree root. When given (and `directory` is inside it), config files are read from
   * every directory from the worktree root down to `directory`; otherwise from `directory` only.
   */
  worktree?: string
  /** Home directory, for `~/` and the global config directory (default `os.homedir()`). */
  home?: string
}

/**
 * Substitutes `{env:VAR}` (the variable, or "" when unset) and `{file:path}` (the file's trimmed
 * content, JSON-string-escaped; `~/` expands to home, relative paths resolve against the config file's
 * directory) in the raw text, as OpenCode's `config/variable.ts` (spec 10.2). Lines whose first
 * non-blank characters are `//` are left alone, so a commented-out reference is not read.
 * @throws ConfigInvalidError for a `{file:…}` that cannot be read.
 */
export function substitute(text: string, path: string, env: NodeJS.ProcessEnv, home: string = homedir()): string {
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*\/\//.test(line)) return line
      return line
        .replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? "")
        .replace(/\{file:([^}]+)\}/g, (_, reference: string) => {
          const target = reference.startsWith("~/")
            ? join(home, reference.slice(2))
            : isAbsolute(reference)
              ? reference
              : resolve(dirname(path), reference)
          try {
            return JSON.stringify(readFileSync(target, "utf8").trim()).slice(1, -1)
          } catch {
            throw new ConfigInvalidError({ path, message: `bad file reference {file:${reference}}: ${target} cannot be read` })
          }
        })
    })
    .join("\n")
}

/**
 * Reads, substitutes and validates one config file. Errors name the file (`data.path`) and each
 * problem's line, column and JSON path (`data.issues`), e.g.
 * `agent.build.steps (line 4, column 7): Invalid input: expected number, received string`.
 * @throws ConfigInvalidError
 */
export function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, options: { home?: string } = {}): Config {
  let raw: string
  try {
    raw = readFileSync(path, "utf8")
  } catch (error) {
    throw new ConfigInvalidError({ path, message: `cannot be read: ${(error as Error).message}` })
  }
  const text = substitute(raw, path, env, options.home)
  const errors: ParseError[] = []
  const value = parse(text, errors, { allowTrailingComma: true })
  if (errors.length > 0) {
    const issues = errors.map((error) => ({
      path: "(root)",
      ...lineColumn(text, error.offset),
      message: printParseErrorCode(error.error),
    }))
    const message = issues.map((issue) => `${issue.message} at line ${issue.line}, column ${issue.column}`).join("; ")
    throw new ConfigInvalidError({ path, message, issues })
  }
  const result = Config.safeParse(value ?? {})
  if (!result.success) {
    const issues = locateIssues(result.error.issues, [raw, text])
    throw new ConfigInvalidError({ path, message: issues.map(formatIssue).join("; "), issues })
  }
  return result.data
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel))
}

/**
 * The config files `loadConfig` reads, lowest precedence first, whether or not they exist: the global
 * ones (`configDirectory()/spool.json[c]`), the project ones (see `LoadConfigOptions.worktree`; root
 * first, so the nearest wins), then `$SPOOL_CONFIG`.
 */
export function configFileCandidates(directory: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): string[] {
  const global = configDirectory(env, options.home ?? homedir())
  const start = resolve(directory)
  const projectDirs: string[] = []
  const worktree = options.worktree === undefined ? undefined : resolve(options.worktree)
  if (worktree !== undefined && worktree !== dirname(worktree) && inside(worktree, start)) {
    for (let dir = start; ; dir = dirname(dir)) {
      projectDirs.unshift(dir)
      if (dir === worktree) break
    }
  } else {
    projectDirs.push(start)
  }
  const files = [
    ...CONFIG_FILE_NAMES.map((name) => join(global, name)),
    ...projectDirs.flatMap((dir) => CONFIG_FILE_NAMES.map((name) => join(dir, name))),
    ...(env.SPOOL_CONFIG ? [resolve(env.SPOOL_CONFIG)] : []),
  ]
  return [...new Set(files)]
}

/**
 * Loads the effective config: the global file (`~/.config/spool/spool.json[c]`), then the project
 * files, then `$SPOOL_CONFIG` when set (see `configFileCandidates`). Later files deep-merge over
 * earlier ones; `instructions` arrays are concatenated and de-duplicated (`mergeConfig`).
 * @throws ConfigInvalidError for the first invalid file (and for a `$SPOOL_CONFIG` that does not exist).
 */
export function loadConfig(directory: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const explicit = env.SPOOL_CONFIG ? resolve(env.SPOOL_CONFIG) : undefined
  let merged: Config = {}
  for (const file of configFileCandidates(directory, env, options)) {
    if (!existsSync(file) && file !== explicit) continue
    merged = mergeConfig(merged, readConfigFile(file, env, options))
  }
  return merged
}
