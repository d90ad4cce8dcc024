import type { TextPart } from "../../session/schema.ts"
import { imageRef, imagesOfContent, isInjectedContext, matchKey, rest, textOfContent, type ImageRef } from "./content.ts"
import { isObject, stringOf, type CodexRecord, type JsonObject } from "./records.ts"
import type { Transcript, UserDraft } from "./transcript.ts"

const ITEM_FIELDS = ["type", "role", "content"]

/**
 * User prompts. Codex records a prompt twice — the user `message` item (model view, with images) and
 * the `user_message` event (UI view) — in either order, next to user-role items of injected context
 * (spec transcript-formats.md 2.3). The event says which item is the prompt: the item with the same
 * text (else the nearest before it) becomes ONE user message, the other user items become context.
 * Items are held until their turn's event or the model's first output decides; files with no
 * `user_message` events at all (old builds) treat every user item not recognised as context as a prompt.
 */
export class Prompts {
  firstPrompt: string | undefined
  /**
   * Last prompt inside a replay region: a child's own first prompt is written milliseconds after the
   * copied burst, so it usually lands there (title fallback).
   */
  lastReplayedPrompt: string | undefined
  private readonly transcript: Transcript
  private sawEvents = false
  private pending: CodexRecord[] = []
  /** A prompt made from an event whose user item may still follow (0.14x order). */
  private fromEvent: { draft: UserDraft; key: string; part: TextPart } | undefined

  constructor(transcript: Transcript) {
    this.transcript = transcript
  }

  /** A user `message` item: merged into the prompt its event already made, context, or held. */
  item(record: CodexRecord): void {
    const item = record.payload
    const text = textOfContent(item.content)
    if (this.fromEvent && matchKey(text) === this.fromEvent.key) {
      const { draft, part } = this.fromEvent
      this.fromEvent = undefined
      const codex = this.transcript.codexOf(part)
      codex.responseItem = { line: record.line, ...rest(item, ITEM_FIELDS) }
      const unmapped = unmappedContent(item.content)
      if (unmapped) codex.content = unmapped
      if (!draft.parts.some((existing) => existing.type === "file")) this.transcript.addFiles(draft, record, imagesOfContent(item.content))
      return
    }
    if (isInjectedContext(text)) return this.transcript.addContext(record, text, "user", rest(item, ITEM_FIELDS))
    this.pending.push(record)
  }

  /** A `user_message` event: the prompt of a turn (with an old non-`plain` `kind`: injected context). */
  event(record: CodexRecord): void {
    const event = record.payload
    const text = stringOf(event.message) ?? ""
    if (typeof event.kind === "string" && event.kind !== "plain") {
      return this.transcript.addContext(record, text, `user_message:${event.kind}`, rest(event, ["type", "message"]))
    }
    this.sawEvents = true
    const key = matchKey(text)
    const held = this.pending.splice(0)
    let index = held.findLastIndex((item) => matchKey(textOfContent(item.payload.content)) === key)
    if (index < 0) index = held.length - 1
    for (const [position, other] of held.entries()) {
      if (position !== index) this.transcript.addContext(other, textOfContent(other.payload.content), "user", rest(other.payload, ITEM_FIELDS), true)
    }
    const extra = meaningful(rest(event, ["type", "message"]))
    if (index >= 0) {
      const { draft, part } = this.prompt(held[index], held[index].payload.content)
      this.transcript.codexOf(part).event = { line: record.line, ...extra }
      if (!draft.parts.some((existing) => existing.type === "file")) this.transcript.addFiles(draft, record, eventImages(event))
      return
    }
    const { draft, part } = this.prompt(record, text)
    if (extra) this.transcript.codexOf(part).event = extra
    this.transcript.addFiles(draft, record, eventImages(event))
    this.fromEvent = { draft, key, part }
  }

  /** Decides the held user items: the model is about to answer (or the file ended). */
  resolve(): void {
    this.fromEvent = undefined
    for (const item of this.pending.splice(0)) {
      if (this.sawEvents) this.transcript.addContext(item, textOfContent(item.payload.content), "user", rest(item.payload, ITEM_FIELDS))
      else this.prompt(item, item.payload.content)
    }
  }

  /** A prompt user message from an item's `content` (or an event's / inter-agent message's text). */
  prompt(record: CodexRecord, content: unknown): { draft: UserDraft; part: TextPart } {
    const transcript = this.transcript
    const draft = transcript.newUser(record, "user")
    transcript.turnOpen = true
    transcript.turnHasPrompt = true
    const text = textOfContent(content)
    if (transcript.replaying) this.lastReplayedPrompt = text.trim() || this.lastReplayedPrompt
    else this.firstPrompt ??= text.trim() || undefined
    const codex: JsonObject = {}
    if (record.type === "response_item") {
      const extra = rest(record.payload, ITEM_FIELDS)
      if (extra) codex.item = extra
      const unmapped = unmappedContent(content)
      if (unmapped) codex.content = unmapped
    }
    const part = transcript.textPart(draft, record, "text", text, codex)
    if (record.type === "response_item") transcript.addFiles(draft, record, imagesOfContent(content))
    return { draft, part }
  }
}

/** Content items that are neither text nor a usable image (kept in metadata so nothing is lost). */
export function unmappedContent(content: unknown): unknown[] | undefined {
  if (!Array.isArray(content)) return undefined
  const left = content.filter((item) => {
    if (!isObject(item)) return typeof item !== "string"
    if (typeof item.text === "string" && item.type !== "encrypted_content") return false
    return !((item.type === "input_image" || item.type === "image") && imageRef(item.image_url ?? item.url))
  })
  return left.length > 0 ? left : undefined
}

/** Images of a `user_message` event: `images` (data URLs) and `local_images` (paths). */
function eventImages(event: JsonObject): ImageRef[] {
  const all = [...(Array.isArray(event.images) ? event.images : []), ...(Array.isArray(event.local_images) ? event.local_images : [])]
  return all.flatMap((value) => {
    const ref = imageRef(isObject(value) ? (value.path ?? value.url) : value)
    return ref ? [ref] : []
  })
}

/** Drops empty arrays and nulls (no information); undefined when nothing is left. */
export function meaningful(object: JsonObject | undefined): JsonObject | undefined {
  if (!object) return undefined
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(object)) {
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) continue
    out[key] = value
  }
  return Object.keys(out).length > 0 ? out : undefined
}
