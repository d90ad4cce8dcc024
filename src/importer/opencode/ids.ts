import { prefixes } from "../../id/index.ts"
import { stableId } from "../ids.ts"

/** Kinds of OpenCode record that get Spool IDs on import. */
export type RecordKind = "session" | "message" | "part"

/** An ID in OpenCode's own format: `ses_`/`msg_`/`prt_` + 12 hex time chars + 14 base62 chars. */
const OPENCODE_ID = /^(ses|msg|prt)_([0-9a-f]{12})([0-9A-Za-z]{14})$/

/** True when `id` is a well-formed OpenCode ID of `kind`. */
export function isOpenCodeId(kind: RecordKind, id: string): boolean {
  const match = OPENCODE_ID.exec(id)
  return match !== null && match[1] === prefixes[kind]
}

/**
 * Spool's ID for an OpenCode record: `stableId(kind, seed, time)` with `seed` defaulting to
 * `opencode:<original id>`. When the original is a well-formed OpenCode ID its 12-hex time field is kept
 * as is (`now_ms * 4096 + counter`, inverted for sessions) and only the 14 random characters come from
 * the seed. That keeps two properties `stableId` alone cannot give:
 * - the new IDs sort exactly like the originals, even for parts created within the same millisecond
 *   (OpenCode clients order messages and parts by ID);
 * - the mapping is a pure function of the original ID, so a reference to a record that is not in the
 *   input (a parent session exported on its own) still maps to the ID that record gets when imported.
 * Other IDs (hand-written fixtures, very old data) get plain `stableId(kind, seed, fallbackTime)`.
 */
export function mapOpenCodeId(kind: RecordKind, original: string, seed = `opencode:${original}`, fallbackTime = 0): string {
  const stable = stableId(kind, seed, fallbackTime)
  const match = OPENCODE_ID.exec(original)
  if (match === null || match[1] !== prefixes[kind]) return stable
  return `${match[1]}_${match[2]}${stable.slice(-14)}`
}
