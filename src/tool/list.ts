import fs from "node:fs/promises"
import path from "node:path"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { displayPath, resolveInside } from "./path.ts"
import { walkFiles } from "./walk.ts"

export const LIST_LIMIT = 100

/** Directory names never listed, as OpenCode's `IGNORE_PATTERNS` (ls.ts). */
export const LIST_SKIP_DIRS: ReadonlySet<string> = new Set([
  "node_modules", "__pycache__", ".git", "dist", "build", "target", "vendor", "bin", "obj", ".idea", ".vscode",
  ".zig-cache", "zig-out", ".coverage", "coverage", "tmp", "temp", ".cache", "cache", "logs", ".venv", "venv", "env",
])

const DESCRIPTION = `List the files under a directory as an indented tree.

- path (optional) is the directory to list, absolute or relative to the project directory; omit it to list the project directory.
- Files ignored by .gitignore and common generated or dependency directories (node_modules, .git, dist, build, target, vendor, .venv, coverage, ...) are left out; pass ignore (gitignore-style patterns such as "*.log" or "fixtures/") to leave out more.
- At most ${LIST_LIMIT} files are shown. Prefer glob or grep when you know what you are looking for.`

const parameters = z.object({
  path: z.string().describe("The directory to list (absolute, or relative to the project directory)").optional(),
  ignore: z.array(z.string()).describe("List of glob patterns to ignore").optional(),
})

/**
 * `list` — a tree of the files under a directory. Mirrors OpenCode `packages/opencode/src/tool/ls.ts`
 * (tool name `list`).
 *
 * Input: `{ path?, ignore?: string[] (gitignore-style patterns relative to path) }`.
 * Output: `ABS_DIR/\n` then the tree: each directory as `  `-indented `name/` with its subdirectories first,
 * then its files, all sorted; only directories containing listed files appear. Files are gathered breadth-first
 * (shallow files first), at most 100; when capped a final `(Showing the first 100 files. ...)` line is added
 * (a Spool addition). Title: path relative to the session directory. Metadata: `{ count, truncated }`.
 * Errors: path outside the session directory; path missing or not a directory.
 */
export const listTool = defineTool({
  name: "list",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    const root = await resolveInside(ctx.directory, args.path ?? ".")
    await ctx.ask({ permission: "list", patterns: [displayPath(ctx.directory, root)], always: ["*"], metadata: { path: root } })
    const stat = await fs.stat(root).catch(() => undefined)
    if (!stat) throw new Error(`Directory not found: ${root}`)
    if (!stat.isDirectory()) throw new Error(`Not a directory: ${root}. Use the read tool to read a file.`)

    const files: string[] = []
    let truncated = false
    for await (const file of walkFiles({
      root,
      confine: ctx.directory,
      skipDirs: LIST_SKIP_DIRS,
      extraIgnore: args.ignore,
      signal: ctx.abort,
    })) {
      if (files.length >= LIST_LIMIT) {
        truncated = true
        break
      }
      files.push(file.relative)
    }

    const dirs = new Set<string>(["."])
    const filesByDir = new Map<string, string[]>()
    for (const file of files) {
      const dir = path.posix.dirname(file)
      const parts = dir === "." ? [] : dir.split("/")
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"))
      const list = filesByDir.get(dir) ?? []
      list.push(path.posix.basename(file))
      filesByDir.set(dir, list)
    }

    const render = (dir: string, depth: number): string => {
      let out = depth > 0 ? `${"  ".repeat(depth)}${path.posix.basename(dir)}/\n` : ""
      const children = [...dirs].filter((d) => d !== dir && path.posix.dirname(d) === dir).sort()
      for (const child of children) out += render(child, depth + 1)
      for (const file of (filesByDir.get(dir) ?? []).sort()) out += `${"  ".repeat(depth + 1)}${file}\n`
      return out
    }

    let output = `${root}/\n` + render(".", 0)
    if (truncated) {
      output += `\n(Showing the first ${LIST_LIMIT} files. List a subdirectory, or use glob, to see more.)\n`
    }
    return {
      title: displayPath(ctx.directory, root),
      output,
      metadata: { count: files.length, truncated },
    }
  },
})
