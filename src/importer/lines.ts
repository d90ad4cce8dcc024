import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { createInterface } from "node:readline"

/** One line of a JSONL file: its 1-based number, parsed value (or the parse error), byte offset after it. */
export interface JsonLine {
  line: number
  value?: unknown
  error?: string
  /** Bytes read so far (for progress). */
  bytes: number
  total: number
}

/**
 * Streams a JSONL file line by line in bounded memory (one line at a time; a 100 MB file never sits in
 * memory). Empty lines are skipped; a line that is not valid JSON is yielded with `error` so the
 * caller can report it with its line number and go on. Never throws for content; throws only if the
 * file cannot be opened.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  const total = (await stat(path)).size
  const stream = createReadStream(path, { encoding: "utf8" })
  const lines = createInterface({ input: stream, crlfDelay: Infinity })
  let line = 0
  let bytes = 0
  for await (const text of lines) {
    line++
    bytes += Buffer.byteLength(text, "utf8") + 1
    if (text.trim() === "") continue
    try {
      yield { line, value: JSON.parse(text), bytes, total }
    } catch (error) {
      yield { line, error: `invalid JSON: ${(error as Error).message}`, bytes, total }
    }
  }
}
