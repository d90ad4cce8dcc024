/**
 * Output size limits for tool output shown to the model, as OpenCode's `Truncate` (`tool/truncation.ts`):
 * at most 2000 lines and 50 KiB. Unlike OpenCode we do not spill the full output to a file outside the
 * project (the model could not read it there); `bash` keeps the start and the end and drops the middle.
 */
export const MAX_LINES = 2000
export const MAX_BYTES = 50 * 1024

/** Characters kept in memory at each end of a stream before the middle is dropped. */
const KEEP_CHARS = 256 * 1024

/**
 * Accumulates streamed text in bounded memory: the first and the last ~256K characters, plus exact totals.
 */
export class OutputCollector {
  #head = ""
  /** Chunks after the head; older ones are dropped once the rest already holds KEEP_CHARS. */
  #tail: string[] = []
  #tailStart = 0
  #tailChars = 0
  #dropped = false
  #bytes = 0
  #newlines = 0

  append(text: string): void {
    if (text === "") return
    this.#bytes += Buffer.byteLength(text, "utf8")
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.#newlines++
    if (this.#head.length < KEEP_CHARS) {
      const room = KEEP_CHARS - this.#head.length
      this.#head += text.slice(0, room)
      text = text.slice(room)
    }
    if (text === "") return
    this.#tail.push(text)
    this.#tailChars += text.length
    while (this.#tail.length - this.#tailStart > 1 && this.#tailChars - this.#tail[this.#tailStart].length >= KEEP_CHARS) {
      this.#tailChars -= this.#tail[this.#tailStart].length
      this.#tailStart++
      this.#dropped = true
    }
    if (this.#tailStart > 1024 && this.#tailStart * 2 > this.#tail.length) {
      this.#tail = this.#tail.slice(this.#tailStart)
      this.#tailStart = 0
    }
  }

  #tailText(): string {
    const joined = this.#tail.slice(this.#tailStart).join("")
    if (joined.length > KEEP_CHARS) {
      this.#dropped = true
      return joined.slice(-KEEP_CHARS)
    }
    return joined
  }

  get bytes(): number {
    return this.#bytes
  }

  /** The first `chars` (at most 256K) characters collected so far, with "\n\n..." when there is more. */
  preview(chars: number): string {
    return this.#head.length > chars ? this.#head.slice(0, chars) + "\n\n..." : this.#head
  }

  /** The text to show the model: everything if within limits, else start + marker + end. */
  finish(): { text: string; truncated: boolean } {
    const lines = this.#newlines + 1
    const tailText = this.#tailText()
    if (!this.#dropped && lines <= MAX_LINES && this.#bytes <= MAX_BYTES) {
      return { text: this.#head + tailText, truncated: false }
    }
    const full = this.#dropped ? undefined : this.#head + tailText
    const head = takeHead(full ?? this.#head, MAX_LINES / 2, MAX_BYTES / 2)
    const rest = full === undefined ? tailText : full.slice(head.length)
    const tail = takeTail(rest, MAX_LINES / 2, MAX_BYTES / 2)
    const omittedLines = lines - countLines(head) - countLines(tail)
    const omittedBytes = this.#bytes - Buffer.byteLength(head, "utf8") - Buffer.byteLength(tail, "utf8")
    const omitted = omittedLines > 0 ? `${omittedLines} lines` : `${Math.max(omittedBytes, 0)} bytes`
    const marker =
      `...${omitted} truncated...\n` +
      `(The output exceeded ${MAX_LINES} lines or ${MAX_BYTES} bytes; only its start and end are shown. ` +
      `To see the rest, redirect the output to a file and inspect it with grep or read.)`
    return { text: `${head}\n\n${marker}\n\n${tail}`, truncated: true }
  }
}

function countLines(text: string): number {
  return text === "" ? 0 : text.split("\n").length
}

/** Whole lines from the start of `text` within both budgets (a first line over budget is cut). */
export function takeHead(text: string, maxLines: number, maxBytes: number): string {
  const lines = text.split("\n")
  const out: string[] = []
  let bytes = 0
  for (const line of lines) {
    if (out.length >= maxLines) break
    const size = Buffer.byteLength(line, "utf8") + (out.length > 0 ? 1 : 0)
    if (bytes + size > maxBytes) {
      if (out.length === 0) out.push(cutBytes(line, maxBytes, "start"))
      break
    }
    out.push(line)
    bytes += size
  }
  return out.join("\n")
}

/** Whole lines from the end of `text` within both budgets (a last line over budget is cut). */
export function takeTail(text: string, maxLines: number, maxBytes: number): string {
  const lines = text.split("\n")
  const out: string[] = []
  let bytes = 0
  for (let i = lines.length - 1; i >= 0; i--) {
    if (out.length >= maxLines) break
    const size = Buffer.byteLength(lines[i], "utf8") + (out.length > 0 ? 1 : 0)
    if (bytes + size > maxBytes) {
      if (out.length === 0) out.push(cutBytes(lines[i], maxBytes, "end"))
      break
    }
    out.unshift(lines[i])
    bytes += size
  }
  return out.join("\n")
}

function cutBytes(line: string, maxBytes: number, keep: "start" | "end"): string {
  const buffer = Buffer.from(line, "utf8")
  const part = keep === "start" ? buffer.subarray(0, maxBytes) : buffer.subarray(buffer.length - maxBytes)
  return part.toString("utf8")
}
