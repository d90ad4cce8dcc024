import { sep } from "node:path"
import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import type { Database } from "../storage/index.ts"
import type { AssistantMessage, Part, SessionInfo, Tokens } from "./schema.ts"
import { cacheEfficiency, priceLookup, unpricedStep } from "./stats.ts"

/** What usage can be grouped by; `tool` counts tool calls only (per tool name), not steps. */
export type UsageDimension = "day" | "session" | "model" | "source" | "tool"

/** Filters of `spool stats` (and `GET /stats`) over many sessions. */
export interface UsageFilter {
  /** Only steps at or after this time (epoch ms). */
  since?: number
  /** Only steps before this time (epoch ms). */
  until?: number
  /** Only sessions whose directory is this absolute directory or inside it. */
  directory?: string
  /** `spool` for native sessions, else the import source (`claude-code`, `codex`, `opencode`). */
  source?: string
  projectID?: string
  /** Substring of `provider/model`. */
  model?: string
  /** One dimension, or several (a row per combination, e.g. `["day", "model"]` for a stacked chart). */
  by: UsageDimension | UsageDimension[]
  /** IANA time zone of `day` keys (default UTC). @throws RangeError for an unknown zone. */
  timeZone?: string
  /** Adds config prices (`provider.<id>.models.<model>.cost`) to the catalogue's when telling unpriced steps. */
  config?: Pick<Config, "provider">
}

/** One row of the report: usage of a group (a day, session, model or source). */
export interface UsageRow {
  /** The group's values of the `by` dimensions, joined with `|` in `by` order. */
  key: string
  /** The group's value per dimension (`day`: `YYYY-MM-DD`; `model`: `provider/model`; `session`: its id). */
  keys: Partial<Record<UsageDimension, string>>
  /** With the `session` dimension: the session's title, directory, project and source. */
  session?: { title: string; directory: string; projectID: string; source: string }
  sessions: number
  steps: number
  tokens: Tokens
  /** USD, over priced steps only. */
  cost: number
  /** Steps whose recorded cost 0 is unknown, not free (see `unpricedStep`); not in `cost`. */
  unpricedSteps: number
  cacheEfficiency: number
  toolCalls: number
  toolErrors: number
  /** toolErrors / toolCalls (0 when no calls). */
  toolErrorRate: number
  /** `priced`: every step has a known cost; `partial`: `cost` leaves some out; `unpriced`: none has one (never read its `cost` as $0). */
  pricing: "priced" | "partial" | "unpriced"
}

interface Accumulator {
  keys: Partial<Record<UsageDimension, string>>
  sessions: Set<string>
  steps: number
  tokens: Tokens
  cost: number
  unpricedSteps: number
  toolCalls: number
  toolErrors: number
}

/** `spool stats` across sessions: a row per group, their total, and the unpriced models. */
export interface UsageReport {
  rows: UsageRow[]
  total: UsageRow
  /** `provider/model` of every model with unpriced steps among the counted ones, sorted. */
  unpriced: string[]
}

/**
 * Usage across sessions (issue 5 `spool stats`): tokens (input, output, reasoning, cache read/write),
 * cost, cache efficiency, session and step counts, tool calls and their error rate, grouped by day
 * (of the step, UTC unless `timeZone`), session, model (`provider/model`), source or tool (tool calls
 * only), or by several of them at once (a row per combination). Reads step-finish and tool parts
 * once, streaming, so memory is bounded by the number of groups. Unpriced steps (`unpricedStep`: a
 * recorded $0 that no known price, in config or the bundled catalogue, makes free) are counted per
 * row and their models listed.
 */
export async function usageReport(db: Kysely<Database>, filter: UsageFilter): Promise<UsageReport> {
  const priced = priceLookup(filter.config)
  const unpriced = new Set<string>()
  const dimensions = Array.isArray(filter.by) ? filter.by : [filter.by]
  const dayOf = dayKey(filter.timeZone)
  const sessions = new Map<string, { source: string; projectID: string; title: string; directory: string }>()
  for (const row of await db.selectFrom("session").select(["id", "data"]).execute()) {
    const info = JSON.parse(row.data) as SessionInfo
    const source = (info.metadata?.import as { source?: string } | undefined)?.source ?? "spool"
    sessions.set(row.id, { source, projectID: info.projectID, title: info.title, directory: info.directory })
  }
  const messages = new Map<string, AssistantMessage>()
  const groups = new Map<string, Accumulator>()
  const total: Accumulator = { keys: {}, sessions: new Set(), steps: 0, tokens: zero(), cost: 0, unpricedSteps: 0, toolCalls: 0, toolErrors: 0 }
  const rows = db
    .selectFrom("part")
    .innerJoin("message", "message.id", "part.message_id")
    .select(["part.session_id as session", "part.data as part", "part.time_created as time", "message.id as message", "message.data as info"])
    .where("part.type", "in", ["step-finish", "tool"])
    .$if(filter.since !== undefined, (query) => query.where("part.time_created", ">=", filter.since!))
    .$if(filter.until !== undefined, (query) => query.where("part.time_created", "<", filter.until!))
    .stream()
  for await (const row of rows) {
    const session = sessions.get(row.session)
    if (!session) continue
    if (filter.source && session.source !== filter.source) continue
    if (filter.projectID && session.projectID !== filter.projectID) continue
    if (filter.directory && !within(session.directory, filter.directory)) continue
    let info = messages.get(row.message)
    if (!info) {
      info = JSON.parse(row.info) as AssistantMessage
      if (messages.size > 10_000) messages.clear()
      messages.set(row.message, info)
    }
    const model = info.role === "assistant" ? `${info.providerID}/${info.modelID}` : "unknown"
    if (filter.model && !model.includes(filter.model)) continue
    const part = JSON.parse(row.part) as Part
    if (dimensions.includes("tool") && part.type !== "tool") continue
    const keys: Partial<Record<UsageDimension, string>> = {}
    for (const dimension of dimensions) {
      keys[dimension] =
        dimension === "day"
          ? dayOf(Number(row.time))
          : dimension === "session"
            ? row.session
            : dimension === "model"
              ? model
              : dimension === "source"
                ? session.source
                : part.type === "tool"
                  ? part.tool
                  : ""
    }
    const key = dimensions.map((dimension) => keys[dimension]).join("|")
    const group = groups.get(key) ?? { keys, sessions: new Set(), steps: 0, tokens: zero(), cost: 0, unpricedSteps: 0, toolCalls: 0, toolErrors: 0 }
    groups.set(key, group)
    const isUnpriced = part.type === "step-finish" && info.role === "assistant" && unpricedStep(part, info.providerID, info.modelID, priced)
    if (isUnpriced) unpriced.add(model)
    for (const target of [group, total]) {
      target.sessions.add(row.session)
      if (part.type === "step-finish") {
        target.steps++
        target.cost += part.cost
        if (isUnpriced) target.unpricedSteps++
        add(target.tokens, part.tokens)
      } else if (part.type === "tool") {
        target.toolCalls++
        if (part.state.status === "error") target.toolErrors++
      }
    }
  }
  const toRow = (key: string, group: Accumulator): UsageRow => ({
    key,
    keys: group.keys,
    ...(group.keys.session !== undefined && sessions.has(group.keys.session) ? { session: sessions.get(group.keys.session)! } : {}),
    sessions: group.sessions.size,
    steps: group.steps,
    tokens: group.tokens,
    cost: group.cost,
    unpricedSteps: group.unpricedSteps,
    cacheEfficiency: cacheEfficiency(group.tokens),
    toolCalls: group.toolCalls,
    toolErrors: group.toolErrors,
    toolErrorRate: group.toolCalls > 0 ? group.toolErrors / group.toolCalls : 0,
    pricing: group.unpricedSteps === 0 ? "priced" : group.unpricedSteps >= group.steps ? "unpriced" : "partial",
  })
  return {
    rows: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, group]) => toRow(key, group)),
    total: toRow("total", total),
    unpriced: [...unpriced].sort(),
  }
}

/** `YYYY-MM-DD` of an epoch-ms time in a time zone (UTC when none). @throws RangeError for an unknown zone. */
function dayKey(timeZone: string | undefined): (time: number) => string {
  if (!timeZone || timeZone === "UTC") return (time) => new Date(time).toISOString().slice(0, 10)
  // en-CA formats dates as YYYY-MM-DD.
  const format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
  return (time) => format.format(time)
}

/** Whether `directory` is `root` or inside it. */
function within(directory: string, root: string): boolean {
  const base = root.endsWith(sep) ? root : root + sep
  return directory === root || directory.startsWith(base)
}

function zero(): Tokens {
  return { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
}

function add(target: Tokens, tokens: Tokens) {
  target.input += tokens.input
  target.output += tokens.output
  target.reasoning += tokens.reasoning
  target.cache.read += tokens.cache.read
  target.cache.write += tokens.cache.write
}
