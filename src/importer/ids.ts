import { createHash } from "node:crypto"
import { prefixes, type IdKind } from "../id/index.ts"

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const MASK_48 = (1n << 48n) - 1n

/**
 * A deterministic ID in OpenCode's format (`<prefix>_` + 12 hex time chars + 14 base62 chars):
 * the time field from `timeMs` (sessions descending, the rest ascending, as `createId`), the 14 chars
 * from SHA-256 of `seed`. The same seed and time always give the same ID, which makes imports
 * idempotent. Seeds must be unique per object, e.g. `claude-code:<session>:<line uuid>:text:0`.
 */
export function stableId(kind: IdKind, seed: string, timeMs: number): string {
  let value = (BigInt(Math.max(0, Math.floor(timeMs))) * 4096n) & MASK_48
  if (kind === "session") value = ~value & MASK_48
  const digest = createHash("sha256").update(`${kind}:${seed}`).digest()
  let random = ""
  for (let index = 0; index < 14; index++) random += BASE62[digest[index] % 62]
  return `${prefixes[kind]}_${value.toString(16).padStart(12, "0")}${random}`
}
