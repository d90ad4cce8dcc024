import fs from "node:fs/promises"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { displayPath, resolveInside } from "./path.ts"
import { GLOB_SKIP_DIRS, globMatcher, normalizePattern } from "./glob.ts"
import { looksBinary } from "./read.ts"
import { walkFiles } from "./walk.ts"

export const GREP_LIMIT = 100
/** Files larger than this are not searched. */
export const GREP_MAX_FILE_BYTES = 10 * 1024 * 1024
const MAX_LINE_LENGTH = 2000
const BINARY_SAMPLE_BYTES = 8192

const DESCRIPTION = `Search file contents with a regular expression (JavaScript syntax), e.g. "log.*Error" or "function\\s+\\w+".

- Returns matching lines grouped by file, files most recently modified first, at most ${GREP_LIMIT} matches.
- include (optional) restricts the files searched by glob, e.g. "*.ts" or "*.{ts,tsx}".
- path (optional) is the directory (or single file) to search, absolute or relative to the project directory; omit it to search the whole project.
- Files ignored by .gitignore, the .git and node_modules directories, binary files and files over 10 MB are skipped.
- Matching is per line and case-sensitive; start the pattern with (?i) for case-insensitive matching.
- To find files by name use glob instead.`

const parameters = z.object({
  pattern: z.string().describe("The regex pattern to search for in file contents"),
  path: z.string().optional().describe("The directory to search in. Defaults to the project directory."),
  include: z.string().optional().describe('File pattern to include in the search (e.g. "*.js", "*.{ts,tsx}")'),
})

interface Match {
  path: string
  line: number
  text: string
}

/**
 * `grep` — regex search over file contents, in JavaScript (no ripgrep). Mirrors OpenCode
 * `packages/opencode/src/tool/grep.ts` (which runs `rg --json --hidden --glob=!.git/*`).
 *
 * Input: `{ pattern (JS regex; a leading "(?i)" means case-insensitive), path? (directory or file), include? (glob) }`.
 * Output: `Found N matches` (+ ` (more matches available)` when over 100), then per file `ABS_PATH:` followed by
 * `  Line N: text` rows (files separated by a blank line; lines over 2000 chars cut with `...`), and
 * `\n(Results truncated. Consider using a more specific path or pattern.)` when capped; `No files found` when
 * nothing matched. Files are ordered newest mtime first, lines in file order.
 * Title: the pattern. Metadata: `{ matches, truncated }`.
 * Errors: invalid regex; empty pattern; path outside the session directory; `Search path not found: PATH`.
 */
export const grepTool = defineTool({
  name: "grep",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    if (!args.pattern) throw new Error("pattern is required")
    const regex = compile(args.pattern)
    const target = await resolveInside(ctx.directory, args.path ?? ".")
    await ctx.ask({ permission: "grep", patterns: [args.pattern], always: ["*"], metadata: { pattern: args.pattern, path: displayPath(ctx.directory, target), ...(args.include ? { include: args.include } : {}) } })
    const stat = await fs.stat(target).catch(() => undefined)
    if (!stat) throw new Error(`Search path not found: ${args.path ?? target}`)

    let candidates: string[]
    if (stat.isDirectory()) {
      const include = args.include
        ? globMatcher(normalizePattern(target, args.include))
        : undefined
      candidates = []
      for await (const file of walkFiles({ root: target, confine: ctx.directory, skipDirs: GLOB_SKIP_DIRS, signal: ctx.abort })) {
        if (include && !include(file.relative)) continue
        candidates.push(file.path)
      }
    } else {
      candidates = [target]
    }

    const files = await Promise.all(
      candidates.map(async (file) => {
        const s = await fs.stat(file).catch(() => undefined)
        return { path: file, mtime: s?.mtimeMs ?? 0, size: s?.size ?? 0, ok: s?.isFile() ?? false }
      }),
    )
    files.sort((a, b) => b.mtime - a.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))

    const matches: Match[] = []
    for (const file of files) {
      if (matches.length > GREP_LIMIT) break
      if (ctx.abort.aborted) throw new Error("Aborted")
      if (!file.ok || file.size > GREP_MAX_FILE_BYTES) continue
      const buffer = await fs.readFile(file.path).catch(() => undefined)
      if (!buffer || looksBinary(buffer.subarray(0, BINARY_SAMPLE_BYTES))) continue
      const lines = buffer.toString("utf8").split("\n")
      for (let i = 0; i < lines.length && matches.length <= GREP_LIMIT; i++) {
        const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i]
        if (!regex.test(line)) continue
        const text = line.length > MAX_LINE_LENGTH ? line.slice(0, MAX_LINE_LENGTH) + "..." : line
        matches.push({ path: file.path, line: i + 1, text })
      }
    }

    if (matches.length === 0) {
      return { title: args.pattern, output: "No files found", metadata: { matches: 0, truncated: false } }
    }
    const truncated = matches.length > GREP_LIMIT
    const shown = matches.slice(0, GREP_LIMIT)
    const output = [`Found ${shown.length} matches${truncated ? " (more matches available)" : ""}`]
    let current = ""
    for (const match of shown) {
      if (match.path !== current) {
        if (current !== "") output.push("")
        current = match.path
        output.push(`${match.path}:`)
      }
      output.push(`  Line ${match.line}: ${match.text}`)
    }
    if (truncated) output.push("", "(Results truncated. Consider using a more specific path or pattern.)")
    return { title: args.pattern, output: output.join("\n"), metadata: { matches: shown.length, truncated } }
  },
})

function compile(pattern: string): RegExp {
  let source = pattern
  let flags = ""
  if (source.startsWith("(?i)")) {
    source = source.slice(4)
    flags = "i"
  }
  try {
    return new RegExp(source, flags)
  } catch (error) {
    throw new Error(`Invalid regex pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`)
  }
}
