import { readFile } from "node:fs/promises"
import { dirname, isAbsolute, join, resolve } from "node:path"

/** Maximum import depth: a top-level file's imports are hop 1; imports found in a hop-5 file are not followed. */
export const MAX_IMPORT_HOPS = 5

/** A non-fatal problem met while loading instructions; `path` is the file (or config pattern) concerned. */
export interface InstructionProblem {
  path: string
  message: string
}

const FENCE = /^\s*(`{3,}|~{3,})/
const TRAILING_PUNCTUATION = /[.,;:!?)\]}>"']+$/

/** Blanks out inline code spans (`` `…` ``, ``` ``…`` ```) of one line, CommonMark-style (equal backtick runs). */
function stripCodeSpans(line: string): string {
  let out = ""
  let i = 0
  while (i < line.length) {
    if (line[i] !== "`") {
      out += line[i++]
      continue
    }
    let run = 0
    while (line[i + run] === "`") run++
    let close = -1
    for (let j = i + run; j < line.length; ) {
      if (line[j] !== "`") {
        j++
        continue
      }
      let other = 0
      while (line[j + other] === "`") other++
      if (other === run) {
        close = j
        break
      }
      j += other
    }
    if (close === -1) {
      out += line.slice(i, i + run)
      i += run
    } else {
      out += " ".repeat(close + run - i)
      i = close + run
    }
  }
  return out
}

/**
 * The `@path` import tokens of a Markdown text, in order of appearance. The rule:
 * - a token is `@` followed by non-blank characters, and the `@` is at the start of a line or preceded
 *   by whitespace (so `user@example.com` and `\@x` are not imports);
 * - trailing sentence punctuation (`.,;:!?)]}>"'`) is not part of the path;
 * - the path must look like one: contain `/` or `.` (`@AGENTS.md`, `@docs/x`, `@./Makefile`,
 *   `@~/notes.md`, `@/abs/file`); `@alice` is a mention, not an import;
 * - tokens inside fenced code blocks (``` or ~~~) and inline code spans are ignored.
 */
export function findImports(text: string): string[] {
  const found: string[] = []
  let fence: { char: string; length: number } | undefined
  for (const line of text.split(/\r?\n/)) {
    const marker = FENCE.exec(line)
    if (fence) {
      if (marker && marker[1][0] === fence.char && marker[1].length >= fence.length && line.trim() === marker[1]) fence = undefined
      continue
    }
    if (marker) {
      fence = { char: marker[1][0], length: marker[1].length }
      continue
    }
    for (const match of stripCodeSpans(line).matchAll(/(?:^|\s)@(\S+)/g)) {
      const token = match[1].replace(TRAILING_PUNCTUATION, "")
      if (token !== "" && /[./]/.test(token)) found.push(token)
    }
  }
  return found
}

/** Whether a missing import is worth reporting: it names a file (has an extension) or is explicitly a path. */
function looksLikeFile(token: string): boolean {
  return /^(\.{1,2}\/|\/|~\/)/.test(token) || /\.[A-Za-z0-9]+$/.test(token.slice(token.lastIndexOf("/") + 1))
}

/** Context shared by all files of one `loadInstructions` call. */
export interface ImportContext {
  home: string
  /** Files already placed in the output (top-level or imported): each appears only once. */
  included: Set<string>
  problems: InstructionProblem[]
}

/** A file's text with its imports inlined, and the imported paths (recursive, in output order). */
export interface Expanded {
  content: string
  imports: string[]
}

function target(token: string, from: string, home: string): string {
  if (token.startsWith("~/")) return join(home, token.slice(2))
  return isAbsolute(token) ? resolve(token) : resolve(dirname(from), token)
}

/**
 * Inlines the `@path` imports of `content` (the text of `path`; `chain` = the files importing it,
 * outermost first). The file's own text is kept as is; each imported file follows it, after a blank
 * line, as `Instructions from: <abs path>\n<its text, with its own imports inlined>`, in order of
 * appearance, depth first. A file already included anywhere in the output is not repeated. Cycles,
 * missing files and imports beyond `MAX_IMPORT_HOPS` are reported in `context.problems`, never thrown;
 * the `@token` is then left as written.
 */
export async function expandImports(path: string, content: string, context: ImportContext, chain: string[] = []): Promise<Expanded> {
  const lineage = [...chain, path]
  const blocks: string[] = []
  const imports: string[] = []
  for (const token of findImports(content)) {
    const file = target(token, path, context.home)
    if (lineage.includes(file)) {
      const cycle = [...lineage.slice(lineage.indexOf(file)), file].join(" -> ")
      context.problems.push({ path, message: `import @${token} skipped: cycle ${cycle}` })
      continue
    }
    if (context.included.has(file)) continue
    if (lineage.length > MAX_IMPORT_HOPS) {
      context.problems.push({ path, message: `import @${token} skipped: more than ${MAX_IMPORT_HOPS} hops from ${lineage[0]}` })
      continue
    }
    let text: string
    try {
      text = await readFile(file, "utf8")
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === "ENOENT" || code === "ENOTDIR") {
        if (looksLikeFile(token)) context.problems.push({ path, message: `import @${token} skipped: ${file} not found` })
      } else {
        context.problems.push({ path, message: `import @${token} skipped: ${file} cannot be read (${code ?? (error as Error).message})` })
      }
      continue
    }
    context.included.add(file)
    const inner = await expandImports(file, text, context, lineage)
    imports.push(file, ...inner.imports)
    blocks.push(`Instructions from: ${file}\n${inner.content.trimEnd()}`)
  }
  if (blocks.length === 0) return { content, imports }
  return { content: [content.trimEnd(), ...blocks].join("\n\n"), imports }
}
