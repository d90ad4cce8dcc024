import type { Part, ReasoningPart, TextPart } from "../../session/schema.ts"
import { matchKey } from "./content.ts"
import type { CodexRecord, JsonObject } from "./records.ts"
import type { Transcript } from "./transcript.ts"

type Kind = "text" | "reasoning"

interface Echo {
  kind: Kind
  key: string
  record: CodexRecord
  text: string
  extra?: JsonObject
}

/**
 * `agent_message` / `agent_reasoning` events are the UI copies of the assistant `message` and
 * `reasoning` items (spec transcript-formats.md 2.3: "pick one source per concept"). The item is the
 * source; an event folds into the part with the same text (before or after it, within the turn) and
 * only its extra fields (e.g. `memory_citation`) are kept. An event whose item never came becomes a
 * part of its own in the turn's reply, or is kept verbatim when the turn has none.
 */
export class Echoes {
  private readonly transcript: Transcript
  private pending: Echo[] = []
  private readonly keys = new WeakMap<Part, string[]>()

  constructor(transcript: Transcript) {
    this.transcript = transcript
  }

  /** A text / reasoning part from an item, with the texts an event may repeat. */
  register(part: TextPart | ReasoningPart, kind: Kind, texts: string[]): void {
    const keys = texts.map(matchKey)
    const index = keys.findIndex((key) => this.pending.some((echo) => echo.kind === kind && echo.key === key))
    if (index >= 0) {
      const echo = this.pending.findIndex((pending) => pending.kind === kind && pending.key === keys[index])
      this.absorb(part, this.pending.splice(echo, 1)[0])
      keys.splice(index, 1)
    }
    this.keys.set(part, keys)
  }

  /** An event copy: folded into the matching part of the current turn, else held. */
  event(record: CodexRecord, kind: Kind, text: string, extra: JsonObject | undefined): void {
    const echo: Echo = { kind, key: matchKey(text), record, text, extra }
    const messages = this.transcript.messages
    for (let index = messages.length - 1; index >= 0 && messages[index].info.role === "assistant"; index--) {
      for (const part of messages[index].parts) {
        const keys = part.type === kind ? this.keys.get(part) : undefined
        const position = keys?.indexOf(echo.key) ?? -1
        if (position < 0) continue
        keys!.splice(position, 1)
        return this.absorb(part as TextPart | ReasoningPart, echo)
      }
    }
    this.pending.push(echo)
  }

  /** The turn ends: held events whose item never came. */
  flush(): void {
    const transcript = this.transcript
    for (const echo of this.pending.splice(0)) {
      const draft = transcript.turnAssistant
      if (!draft) {
        transcript.keep(echo.record)
        continue
      }
      const codex = { fromEvent: true, ...(echo.extra ? { event: echo.extra } : {}) }
      if (echo.kind === "text") {
        transcript.textPart(draft, echo.record, "text", echo.text, codex)
        continue
      }
      const time = transcript.time(echo.record)
      transcript.addPart(draft, {
        id: transcript.id("part", `${echo.record.line}:reasoning`, time),
        sessionID: transcript.identity.sessionID,
        messageID: draft.info.id,
        type: "reasoning",
        text: echo.text,
        time: { start: time, end: time },
        metadata: { codex: { line: echo.record.line, ...codex } },
      })
    }
  }

  private absorb(part: TextPart | ReasoningPart, echo: Echo): void {
    if (echo.extra) this.transcript.codexOf(part).event = { line: echo.record.line, ...echo.extra }
  }
}
