import fs from "node:fs/promises"
import path from "node:path"
import picomatch from "picomatch"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { displayPath, resolveInside } from "./path.ts"
import { walkFiles } from "./walk.ts"

export const GLOB_LIMIT = 100
/** Directory names never descended into below the search root (besides `.git`). */
export const GLOB_SKIP_DIRS: ReadonlySet<string> = new Set(["node_modules"])

const DESCRIPTION = `Find files by name with a glob pattern, e.g. "**/*.ts", "src/**/*.{ts,tsx}" or "*.md".

- A pattern without "/" matches file names at any depth ("*.ts" finds every .ts file); a pattern with "/" is matched against the path relative to the search directory.
- Returns absolute paths, most recently modified first, at most ${GLOB_LIMIT}.
- Files ignored by .gitignore, and the .git and node_modules directories, are skipped.
- path (optional) is the directory to search, absolute or relative to the project directory; omit it to search the whole project.
- To search file contents use grep instead.`

const parameters = z.object({
  pattern: z.string().describe("The glob pattern to match files against"),
  path: z
    .string()
    .optional()
    .describe(
      "The directory to search in. Omit it to search the project directory (do not pass \"undefined\" or \"null\"). Must be a directory inside the project if given.",
    ),
})

/**
 * `glob` — files matching a glob pattern. Mirrors OpenCode `packages/opencode/src/tool/glob.ts` (which runs
 * `rg --files --glob PATTERN`); we walk the tree ourselves (see `walk.ts`) and match with picomatch
 * (see `globMatcher`).
 *
 * Input: `{ pattern, path? }`.
 * Output: absolute paths, one a line, newest mtime first (ties by path), at most 100, followed by
 * `\n(Results are truncated. Consider using a more specific path or pattern.)` when more matched;
 * `No files found` when none.
 * Title: search directory relative to the session directory (`.` for the session directory itself).
 * Metadata: `{ count, truncated }`.
 * Errors: path outside the session directory; path missing or not a directory.
 */
export const globTool = defineTool({
  name: "glob",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    const root = await resolveInside(ctx.directory, args.path ?? ".")
    await ctx.ask({ permission: "glob", patterns: [args.pattern], always: ["*"], metadata: { pattern: args.pattern, path: displayPath(ctx.directory, root) } })
    const stat = await fs.stat(root).catch(() => undefined)
    if (!stat) throw new Error(`Directory not found: ${root}`)
    if (!stat.isDirectory()) throw new Error(`Not a directory: ${root}`)

    const matches = globMatcher(normalizePattern(root, args.pattern))
    const found: Array<{ path: string; mtime: number }> = []
    for await (const file of walkFiles({ root, confine: ctx.directory, skipDirs: GLOB_SKIP_DIRS, signal: ctx.abort })) {
      if (!matches(file.relative)) continue
      const mtime = await fs.stat(file.path).then((s) => s.mtimeMs).catch(() => 0)
      found.push({ path: file.path, mtime })
    }
    found.sort((a, b) => b.mtime - a.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const truncated = found.length > GLOB_LIMIT
    const shown = found.slice(0, GLOB_LIMIT)

    const lines = shown.length === 0 ? ["No files found"] : shown.map((f) => f.path)
    if (truncated) lines.push("", "(Results are truncated. Consider using a more specific path or pattern.)")
    return {
      title: displayPath(ctx.directory, root),
      output: lines.join("\n"),
      metadata: { count: shown.length, truncated },
    }
  },
})

/** Accepts "./x" and absolute patterns under the search root by making them root-relative. */
export function normalizePattern(root: string, pattern: string): string {
  if (path.isAbsolute(pattern)) {
    const relative = path.relative(root, pattern)
    if (relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)) return relative.split(path.sep).join("/")
    return pattern
  }
  return pattern.startsWith("./") ? pattern.slice(2) : pattern
}

/**
 * ripgrep `--glob` semantics: a pattern without "/" matches the file name at any depth, one with "/" matches
 * the whole relative path. Dotfiles match; braces and extglobs are supported (picomatch).
 */
export function globMatcher(pattern: string): (relative: string) => boolean {
  if (!pattern.includes("/")) {
    const matchName = picomatch(pattern, { dot: true })
    return (relative) => matchName(relative.slice(relative.lastIndexOf("/") + 1))
  }
  return picomatch(pattern, { dot: true })
}
