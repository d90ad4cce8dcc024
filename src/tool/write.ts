import fs from "node:fs/promises"
import path from "node:path"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { writeFileAtomic } from "./atomic-write.ts"
import { unifiedDiff } from "./edit.ts"
import { displayPath, resolveInside } from "./path.ts"

const DESCRIPTION = `Write a file in the project, replacing it if it already exists.

- filePath may be absolute or relative to the project directory; it must lie inside the project directory.
- Missing parent directories are created.
- When changing an existing file, prefer the edit tool; read a file before overwriting it.
- Do not create documentation or README files unless asked to.`

const parameters = z.object({
  content: z.string().describe("The content to write to the file"),
  filePath: z.string().describe("The path to the file to write (absolute, or relative to the project directory)"),
})

/**
 * `write` — writes `content` to `filePath`, creating parent directories. Mirrors OpenCode
 * `packages/opencode/src/tool/write.ts` (without LSP diagnostics).
 *
 * Input: `{ filePath, content }`.
 * Output: `Wrote file successfully.`; title: path relative to the session directory;
 * metadata: `{ filepath: absolute path, exists: whether the file existed before }`.
 * Errors: path outside the session directory; the path is a directory; fs errors (permissions, ...).
 * With `ctx.files` (stale-write protection), the write runs under the file's write lock and also fails with
 * `StaleFileError` when the file exists and this session has not read it ("You must read file ABS before
 * overwriting it. Use the read tool first.") or it changed since this session last read or wrote it
 * ("File ABS has been modified since this session last read it (by session ses_… at TIME | by another process
 * or the user). Read it again before editing."), or with a lock timeout when another writer holds it too long.
 */
export const writeTool = defineTool({
  name: "write",
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    const filepath = await resolveInside(ctx.directory, args.filePath)
    await ctx.ask({ permission: "edit", patterns: [displayPath(ctx.directory, filepath)], always: ["*"], metadata: { filepath, ...(await previewDiff(filepath, args.content)) } })
    const write = async () => {
      const stat = await fs.stat(filepath).catch(() => undefined)
      if (stat?.isDirectory()) throw new Error(`Path is a directory, not a file: ${filepath}`)
      await fs.mkdir(path.dirname(filepath), { recursive: true })
      await writeFileAtomic(filepath, args.content)
      return stat
    }
    const stat = ctx.files ? await ctx.files.write(filepath, write) : await write()
    return {
      title: displayPath(ctx.directory, filepath),
      output: "Wrote file successfully.",
      metadata: { filepath, exists: stat !== undefined },
    }
  },
})

/** Files up to this size (bytes, old and new together) get a diff in the permission request. */
const MAX_PREVIEW_BYTES = 256 * 1024

/** The diff a write would make, for the permission request; `{}` for large or unreadable files. */
async function previewDiff(filepath: string, content: string): Promise<{ diff?: string }> {
  const stat = await fs.stat(filepath).catch(() => undefined)
  if (stat && !stat.isFile()) return {}
  if ((stat?.size ?? 0) + content.length > MAX_PREVIEW_BYTES) return {}
  const before = stat ? await fs.readFile(filepath, "utf8").catch(() => undefined) : ""
  if (before === undefined) return {}
  return { diff: unifiedDiff(filepath, before.replaceAll("\r\n", "\n"), content.replaceAll("\r\n", "\n")).diff }
}
