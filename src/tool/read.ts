import { createReadStream } from "node:fs"
import fs from "node:fs/promises"
import path from "node:path"
import { createInterface } from "node:readline"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { displayPath, resolveInside } from "./path.ts"

export const DEFAULT_READ_LIMIT = 2000
export const MAX_LINE_LENGTH = 2000
export const MAX_READ_BYTES = 50 * 1024
const MAX_LINE_SUFFIX = `... (line truncated to ${MAX_LINE_LENGTH} chars)`

const BINARY_EXTENSIONS = new Set([
  ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".exe", ".dll", ".so", ".dylib", ".class",
  ".jar", ".war", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".bin", ".dat",
  ".obj", ".o", ".a", ".lib", ".wasm", ".pyc", ".pyo", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico",
  ".webp", ".pdf", ".sqlite", ".db", ".woff", ".woff2", ".ttf", ".otf", ".mp3", ".mp4", ".mov", ".avi",
])

const DESCRIPTION = `Read a text file from the project.

- filePath may be absolute or relative to the project directory; it must lie inside the project directory.
- By default up to ${DEFAULT_READ_LIMIT} lines are returned from the start of the file. Use offset (1-based line number) and limit to page through longer files.
- Each line is prefixed with its line number as "N: ". Lines longer than ${MAX_LINE_LENGTH} characters are cut, and at most ${MAX_READ_BYTES / 1024} KB of text is returned per call; the output says where to continue.
- Binary files cannot be read. For a directory, use the list tool instead.
- Read a file before editing it, and read several files in parallel when you need them.`

const parameters = z.object({
  filePath: z.string().describe("The path to the file to read (absolute, or relative to the project directory)"),
  offset: z.coerce.number().int().describe("The line number to start reading from (1-indexed)").optional(),
  limit: z.coerce.number().int().describe(`The maximum number of lines to read (defaults to ${DEFAULT_READ_LIMIT})`).optional(),
})

/**
 * `read` — returns numbered lines of a text file. Mirrors OpenCode `packages/opencode/src/tool/read.ts`.
 *
 * Input: `{ filePath, offset?, limit? }`; `offset` is a 1-based line number (default 1), `limit` a line count
 * (default 2000).
 * Output (as OpenCode 1.x):
 * `<path>ABS</path>\n<type>file</type>\n<content>\n1: first line\n2: ...\n\n(End of file - total N lines)\n</content>`;
 * when more lines remain the footer is `(Showing lines A-B of N. Use offset=B+1 to continue.)`, and when the
 * 50 KB cap cut the page it is `(Output capped at 50 KB. Showing lines A-B. Use offset=B+1 to continue.)`.
 * Lines over 2000 chars are cut with `... (line truncated to 2000 chars)`.
 * Title: path relative to the session directory. Metadata: `{ preview (first 20 lines), truncated }`.
 * Read tracking: when `ctx.files` is set, the exact bytes of the whole file (not just the page shown) are
 * recorded as this session's view of it (`recordRead`), which `edit`/`write` then check against.
 * Errors: path outside the session directory; `File not found: ABS` (with "Did you mean one of these?" siblings
 * whose names contain or are contained in the requested name); a directory (suggests `list`); a binary file;
 * `offset` < 1 or past the end of the file; `limit` < 1.
 */
export const readTool = defineTool({
  name: "read",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    if (args.offset !== undefined && args.offset < 1) throw new Error("offset must be greater than or equal to 1")
    if (args.limit !== undefined && args.limit < 1) throw new Error("limit must be greater than or equal to 1")
    const filepath = await resolveInside(ctx.directory, args.filePath)
    const title = displayPath(ctx.directory, filepath)
    await ctx.ask({ permission: "read", patterns: [title], always: ["*"], metadata: { filepath } })

    const stat = await fs.stat(filepath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined
      throw error
    })
    if (!stat) throw await notFound(filepath)
    if (stat.isDirectory()) {
      throw new Error(`Path is a directory, not a file: ${filepath}. Use the list tool to see its contents.`)
    }
    if (!stat.isFile()) throw new Error(`Not a regular file: ${filepath}`)
    if (await isBinaryFile(filepath, stat.size)) throw new Error(`Cannot read binary file: ${filepath}`)

    const offset = args.offset ?? 1
    const file = await readLines(filepath, offset, args.limit ?? DEFAULT_READ_LIMIT)
    // The session has now seen this version of the file (all of it, even if only a page is shown).
    await ctx.files?.recordRead(filepath, file.bytes)
    if (file.count < offset && !(file.count === 0 && offset === 1)) {
      throw new Error(`Offset ${offset} is out of range for this file (${file.count} lines)`)
    }

    let output = `<path>${filepath}</path>\n<type>file</type>\n<content>\n`
    output += file.lines.map((line, i) => `${i + offset}: ${line}`).join("\n")
    const last = offset + file.lines.length - 1
    if (file.cut) {
      output += `\n\n(Output capped at ${MAX_READ_BYTES / 1024} KB. Showing lines ${offset}-${last}. Use offset=${last + 1} to continue.)`
    } else if (file.more) {
      output += `\n\n(Showing lines ${offset}-${last} of ${file.count}. Use offset=${last + 1} to continue.)`
    } else {
      output += `\n\n(End of file - total ${file.count} lines)`
    }
    output += "\n</content>"

    return {
      title,
      output,
      metadata: { preview: file.lines.slice(0, 20).join("\n"), truncated: file.more || file.cut },
    }
  },
})

async function notFound(filepath: string): Promise<Error> {
  const dir = path.dirname(filepath)
  const base = path.basename(filepath).toLowerCase()
  const entries = await fs.readdir(dir).catch(() => [] as string[])
  const suggestions = entries
    .filter((entry) => {
      const name = entry.toLowerCase()
      return name.includes(base) || base.includes(name)
    })
    .slice(0, 3)
    .map((entry) => path.join(dir, entry))
  if (suggestions.length === 0) return new Error(`File not found: ${filepath}`)
  return new Error(`File not found: ${filepath}\n\nDid you mean one of these?\n${suggestions.join("\n")}`)
}

/** Numbered page of `filepath`, plus the raw bytes of the whole file the page was cut from. */
async function readLines(filepath: string, offset: number, limit: number) {
  // Bytes, not text: readline decodes them (UTF-8), and the same chunks are kept for `recordRead`.
  const stream = createReadStream(filepath)
  const chunks: Buffer[] = []
  stream.on("data", (chunk) => chunks.push(chunk as Buffer))
  const reader = createInterface({ input: stream, crlfDelay: Infinity })
  const lines: string[] = []
  let bytes = 0
  let count = 0
  let cut = false
  let more = false
  try {
    for await (const text of reader) {
      count += 1
      if (count < offset) continue
      if (cut) continue
      if (lines.length >= limit) {
        more = true
        continue
      }
      const line = text.length > MAX_LINE_LENGTH ? text.slice(0, MAX_LINE_LENGTH) + MAX_LINE_SUFFIX : text
      const size = Buffer.byteLength(line, "utf8") + (lines.length > 0 ? 1 : 0)
      if (bytes + size > MAX_READ_BYTES) {
        cut = true
        more = true
        continue
      }
      lines.push(line)
      bytes += size
    }
  } finally {
    reader.close()
    stream.destroy()
  }
  return { lines, count, cut, more, bytes: Buffer.concat(chunks) }
}

/** Extension list, then a NUL byte or >30% control characters in the first 4 KB (as OpenCode). */
export async function isBinaryFile(filepath: string, size: number): Promise<boolean> {
  if (BINARY_EXTENSIONS.has(path.extname(filepath).toLowerCase())) return true
  if (size === 0) return false
  const handle = await fs.open(filepath, "r")
  try {
    const sample = Buffer.alloc(Math.min(4096, size))
    const { bytesRead } = await handle.read(sample, 0, sample.length, 0)
    return looksBinary(sample.subarray(0, bytesRead))
  } finally {
    await handle.close()
  }
}

export function looksBinary(sample: Buffer): boolean {
  if (sample.length === 0) return false
  let control = 0
  for (const byte of sample) {
    if (byte === 0) return true
    if (byte < 9 || (byte > 13 && byte < 32)) control++
  }
  return control / sample.length > 0.3
}
