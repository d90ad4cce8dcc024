import { createHash } from "node:crypto"
import type { ModelMessage, SystemModelMessage } from "ai"
import type { CachePlan, CacheTtl } from "../provider/cache.ts"
import type { WithParts } from "./schema.ts"

/** The cache decision recorded in each step's `step-finish.metadata.cache`. */
export interface CacheDecision extends CachePlan {
  reason: string
  breakpoints?: number
  /** Set when the request's prefix differed from the previous request's before its last breakpoint. */
  prefixBreak?: string
}

/** A pause longer than this between turns means the user works "minutes apart" (ms). */
const MINUTES_APART_MS = 4 * 60_000

/**
 * Chooses cache TTLs for a session's requests (issue 4):
 * - `5m` / `1h` from config force both.
 * - `auto` (default): the stable block (tools + system + instructions) gets `1h`: it is shared by every
 *   session of the project and must survive a coffee break — a 1h write costs 2× input once per hour,
 *   a re-write after every pause costs 1.25× each time. The conversation gets `1h` once the user has
 *   paused longer than 4 minutes between turns in this session (a 6-minute pause must not re-write the
 *   whole history), `5m` while turns follow each other closely (cheaper writes).
 */
export function chooseCachePlan(configured: "auto" | CacheTtl | undefined, history: WithParts[]): CacheDecision {
  if (configured === "5m" || configured === "1h") {
    return { stable: configured, messages: configured, reason: `cache.ttl is ${configured} in config` }
  }
  const gaps = turnGaps(history)
  const longest = Math.max(0, ...gaps)
  if (longest > MINUTES_APART_MS) {
    return { stable: "1h", messages: "1h", reason: `turns are minutes apart (longest pause ${Math.round(longest / 1000)} s): 1h on the stable block and the conversation` }
  }
  return { stable: "1h", messages: "5m", reason: "stable block shared across sessions: 1h; turns follow closely: 5m on the conversation" }
}

/** Pauses (ms) between the end of each turn and the next user prompt. */
function turnGaps(history: WithParts[]): number[] {
  const gaps: number[] = []
  let lastEnd: number | undefined
  for (const { info } of history) {
    if (info.role === "user") {
      if (lastEnd !== undefined) gaps.push(info.time.created - lastEnd)
      lastEnd = undefined
    } else {
      lastEnd = info.time.completed ?? info.time.created
    }
  }
  return gaps
}

/**
 * Remembers the block hashes of each session's previous request and reports the first block that
 * changed before the previous request's last breakpoint — a "prefix break" that costs a cache re-write.
 */
export function createPrefixTracker() {
  const previous = new Map<string, { hashes: string[]; lastBreakpoint: number }>()
  return {
    /** Compares and remembers; returns a description of the changed block, or undefined. */
    check(sessionID: string, request: { tools: string; instructions: SystemModelMessage[]; messages: ModelMessage[] }): string | undefined {
      const blocks: Array<{ name: string; hash: string; breakpoint: boolean }> = [
        { name: "tools", hash: hash(request.tools), breakpoint: false },
        ...request.instructions.map((message, index) => ({ name: `system[${index}]`, hash: hash(JSON.stringify(message.content)), breakpoint: message.providerOptions !== undefined })),
        ...request.messages.map((message, index) => ({
          name: `messages[${index}] (${message.role})`,
          hash: hash(JSON.stringify({ role: message.role, content: message.content })),
          breakpoint: message.providerOptions?.anthropic !== undefined,
        })),
      ]
      const before = previous.get(sessionID)
      const lastBreakpoint = blocks.findLastIndex((block) => block.breakpoint)
      previous.set(sessionID, { hashes: blocks.map((block) => block.hash), lastBreakpoint })
      if (!before) return undefined
      const limit = Math.min(before.lastBreakpoint, blocks.length - 1)
      for (let index = 0; index <= limit; index++) {
        if (before.hashes[index] !== blocks[index].hash) return blocks[index].name
      }
      return undefined
    },
    forget(sessionID: string) {
      previous.delete(sessionID)
    },
  }
}
export type PrefixTracker = ReturnType<typeof createPrefixTracker>

function hash(text: string): string {
  return createHash("sha1").update(text).digest("hex")
}
