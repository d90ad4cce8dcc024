import { randomBytes } from "node:crypto"
import { z } from "zod"

/**
 * Prefixed, time-sortable identifiers with OpenCode's exact format
 * (`packages/schema/src/identifier.ts`, spec 1.2):
 * `<prefix>_` + 12 hex chars (48-bit big-endian `now_ms * 4096 + counter`) + 14 base62 random chars.
 * Sessions are *descending* (the time field is bit-inverted so newer sort first); every other prefix
 * is *ascending*.
 *
 * Contract: never use ID order for logic. The 48-bit time field wraps every ~795 days (it wrapped on
 * 2026-08-14), so Spool orders by stored `time_created`/`time_updated` columns with the ID only as a
 * tie-break.
 */
export const prefixes = {
  session: "ses",
  message: "msg",
  part: "prt",
  event: "evt",
  permission: "per",
} as const
export type IdKind = keyof typeof prefixes

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const RANDOM_LENGTH = 14
const MASK_48 = (1n << 48n) - 1n

let lastTimestamp = 0
let counter = 0

function randomBase62(length: number): string {
  const bytes = randomBytes(length)
  let out = ""
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62]
  return out
}

/** Creates a new ID of the given kind; `descending` defaults to true only for sessions. */
export function createId(kind: IdKind, descending = kind === "session", now = Date.now()): string {
  if (now !== lastTimestamp) {
    lastTimestamp = now
    counter = 0
  }
  counter++
  let value = (BigInt(now) * 4096n + BigInt(counter)) & MASK_48
  if (descending) value = ~value & MASK_48
  return `${prefixes[kind]}_${value.toString(16).padStart(12, "0")}${randomBase62(RANDOM_LENGTH)}`
}

/**
 * A zod schema accepting any string with the kind's prefix (`ses_…`). OpenCode only checks the prefix,
 * and clients may supply their own IDs, so the body after the prefix is not validated.
 */
export function idSchema(kind: IdKind) {
  const prefix = `${prefixes[kind]}_`
  return z.string().startsWith(prefix, { message: `Expected an ID starting with "${prefix}"` })
}

/** True when `value` carries the prefix of `kind`. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${prefixes[kind]}_`) && value.length > prefixes[kind].length + 1
}
