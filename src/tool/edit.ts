import fs from "node:fs/promises"
import path from "node:path"
import { structuredPatch, formatPatch } from "diff"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { writeFileAtomic } from "./atomic-write.ts"
import { displayPath, resolveInside } from "./path.ts"

const DESCRIPTION = `Replace text in a file by exact string match.

- Read the file first. oldString must match the file content exactly, including whitespace and indentation; do not include the "N: " line-number prefixes that the read tool shows.
- The edit fails if oldString is not found, or if it is found more than once and replaceAll is not set: add surrounding lines to make it unique, or set replaceAll to change every occurrence (handy for renames).
- oldString and newString must differ.
- With an empty oldString, a file that does not exist yet (or is empty) is created with newString as its content.
- filePath may be absolute or relative to the project directory; it must lie inside the project directory.`

const parameters = z.object({
  filePath: z.string().describe("The path to the file to modify (absolute, or relative to the project directory)"),
  oldString: z.string().describe("The text to replace"),
  newString: z.string().describe("The text to replace it with (must be different from oldString)"),
  replaceAll: z.boolean().optional().describe("Replace all occurrences of oldString (default false)"),
})

/**
 * `edit` — exact-match string replacement. Mirrors OpenCode `packages/opencode/src/tool/edit.ts` (its first,
 * exact replacer only: no whitespace/indentation-tolerant fallbacks, no LSP diagnostics).
 *
 * Input: `{ filePath, oldString, newString, replaceAll? }`. Line endings of oldString/newString are converted
 * to the file's (CRLF files stay CRLF).
 * Output: `Edit applied successfully.`; title: path relative to the session directory;
 * metadata: `{ diff: unified diff (LF-normalised), filediff: { file: absolute path, additions, deletions } }`.
 * Errors: path outside the session directory; `oldString === newString`; file not found (unless oldString is
 * empty, which creates it); oldString empty while the file exists and is not empty (use `write`); a directory;
 * oldString not found; oldString found several times without `replaceAll`.
 * With `ctx.files` (stale-write protection), the read-modify-write runs under the file's write lock and also
 * fails with `StaleFileError` when the file exists and this session has not read it ("You must read file ABS
 * before overwriting it. Use the read tool first.") or it changed since this session last read or wrote it
 * ("File ABS has been modified since this session last read it (by session ses_… at TIME | by another process
 * or the user). Read it again before editing."), or with a lock timeout when another writer holds it too long.
 * These checks come after the `oldString === newString` check and before the match checks.
 */
export const editTool = defineTool({
  name: "edit",
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    if (args.oldString === args.newString) {
      throw new Error("No changes to apply: oldString and newString are identical.")
    }
    const filepath = await resolveInside(ctx.directory, args.filePath)
    // Asks before changing anything, showing the diff the edit would make. An edit that cannot apply is
    // not asked about; it fails below (after the stale-write checks, which come first) without writing.
    const preview = await computeEdit(filepath, args).catch((error: Error) => error)
    if (!(preview instanceof Error)) {
      const { diff } = unifiedDiff(filepath, normalizeEndings(preview.before), normalizeEndings(preview.after))
      await ctx.ask({ permission: "edit", patterns: [displayPath(ctx.directory, filepath)], always: ["*"], metadata: { filepath, diff } })
    }
    const replace = async () => {
      if (preview instanceof Error) throw preview
      return applyEdit(filepath, args)
    }
    const { before, after } = ctx.files ? await ctx.files.write(filepath, replace) : await replace()

    const { diff, additions, deletions } = unifiedDiff(filepath, normalizeEndings(before), normalizeEndings(after))
    const metadata = { diff, filediff: { file: filepath, additions, deletions } }
    ctx.metadata({ metadata })
    return { title: displayPath(ctx.directory, filepath), output: "Edit applied successfully.", metadata }
  },
})

/** The read-modify-write of one edit: reads `filepath`, replaces, writes; returns both versions. */
async function applyEdit(
  filepath: string,
  args: { oldString: string; newString: string; replaceAll?: boolean },
): Promise<{ before: string; after: string }> {
  const { before, after } = await computeEdit(filepath, args)
  await fs.mkdir(path.dirname(filepath), { recursive: true })
  await writeFileAtomic(filepath, after)
  return { before, after }
}

/** Both versions of the file for one edit, without writing; throws what the edit would fail with. */
async function computeEdit(
  filepath: string,
  args: { oldString: string; newString: string; replaceAll?: boolean },
): Promise<{ before: string; after: string }> {
  const stat = await fs.stat(filepath).catch(() => undefined)
  if (stat?.isDirectory()) throw new Error(`Path is a directory, not a file: ${filepath}`)

  let before = ""
  let after: string
  if (args.oldString === "") {
    if (stat) {
      before = await fs.readFile(filepath, "utf8")
      if (before !== "") {
        throw new Error(
          `oldString is empty but ${filepath} already exists and is not empty. Give the text to replace, or use the write tool to replace the whole file.`,
        )
      }
    }
    after = args.newString
  } else {
    if (!stat) throw new Error(`File ${filepath} not found`)
    before = await fs.readFile(filepath, "utf8")
    const ending = before.includes("\r\n") ? "\r\n" : "\n"
    const oldString = withLineEnding(args.oldString, ending)
    const newString = withLineEnding(args.newString, ending)
    const count = occurrences(before, oldString)
    if (count === 0) {
      throw new Error(
        "Could not find oldString in the file. It must match exactly, including whitespace, indentation, and line endings.",
      )
    }
    if (count > 1 && !args.replaceAll) {
      throw new Error(
        `Found ${count} matches for oldString. Provide more surrounding context to make the match unique, or set replaceAll to replace every occurrence.`,
      )
    }
    // split/join rather than String.replace: newString may contain `$&`-style patterns.
    after = args.replaceAll
      ? before.split(oldString).join(newString)
      : before.slice(0, before.indexOf(oldString)) + newString + before.slice(before.indexOf(oldString) + oldString.length)
  }
  return { before, after }
}

function normalizeEndings(text: string): string {
  return text.replaceAll("\r\n", "\n")
}

function withLineEnding(text: string, ending: "\n" | "\r\n"): string {
  const normalized = normalizeEndings(text)
  return ending === "\n" ? normalized : normalized.replaceAll("\n", "\r\n")
}

function occurrences(haystack: string, needle: string): number {
  let count = 0
  let from = 0
  for (;;) {
    const index = haystack.indexOf(needle, from)
    if (index === -1) return count
    count++
    from = index + needle.length
  }
}

/** Unified diff of two versions of `file`, with added/removed line counts. */
export function unifiedDiff(file: string, before: string, after: string) {
  const patch = structuredPatch(file, file, before, after)
  let additions = 0
  let deletions = 0
  for (const hunk of patch.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith("+")) additions++
      else if (line.startsWith("-")) deletions++
    }
  }
  return { diff: formatPatch(patch), additions, deletions }
}
