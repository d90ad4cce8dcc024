import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import type { Database } from "../storage/index.ts"
import type { AssistantMessage, Part, SessionInfo, Tokens } from "./schema.ts"
import { cacheEfficiency, priceLookup, unpricedStep } from "./stats.ts"

/** Filters of `spool stats` over many sessions. */
export interface UsageFilter {
  /** Only steps at or after this time (epoch ms). */
  since?: number
  /** `spool` for native sessions, else the import source (`claude-code`, `codex`, `opencode`). */
  source?: string
  projectID?: string
  /** Substring of `provider/model`. */
  model?: string
  by: "day" | "session" | "model" | "source"
  /** Adds config prices (`provider.<id>.models.<model>.cost`) to the catalogue's when telling unpriced steps. */
  config?: Pick<Config, "provider">
}

/** One row of the report: usage of a group (a day, session, model or source). */
export interface UsageRow {
  key: string
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
}

interface Accumulator {
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
 * (UTC, of the step), session, model (`provider/model`) or source. Reads step-finish and tool parts
 * once, streaming, so memory is bounded by the number of groups. Unpriced steps (`unpricedStep`: a
 * recorded $0 that no known price, in config or the bundled catalogue, makes free) are counted per
 * row and their models listed.
 */
export async function usageReport(db: Kysely<Database>, filter: UsageFilter): Promise<UsageReport> {
  const priced = priceLookup(filter.config)
  const unpriced = new Set<string>()
  const sessions = new Map<string, { source: string; projectID: string; title: string }>()
  for (const row of await db.selectFrom("session").select(["id", "data"]).execute()) {
    const info = JSON.parse(row.data) as SessionInfo
    const source = (info.metadata?.import as { source?: string } | undefined)?.source ?? "spool"
    sessions.set(row.id, { source, projectID: info.projectID, title: info.title })
  }
  const messages = new Map<string, AssistantMessage>()
  const groups = new Map<string, Accumulator>()
  const total: Accumulator = { sessions: new Set(), steps: 0, tokens: zero(), cost: 0, unpricedSteps: 0, toolCalls: 0, toolErrors: 0 }
  const rows = db
    .selectFrom("part")
    .innerJoin("message", "message.id", "part.message_id")
    .select(["part.session_id as session", "part.data as part", "part.time_created as time", "message.id as message", "message.data as info"])
    .where("part.type", "in", ["step-finish", "tool"])
    .$if(filter.since !== undefined, (query) => query.where("part.time_created", ">=", filter.since!))
    .stream()
  for await (const row of rows) {
    const session = sessions.get(row.session)
    if (!session) continue
    if (filter.source && session.source !== filter.source) continue
    if (filter.projectID && session.projectID !== filter.projectID) continue
    let info = messages.get(row.message)
    if (!info) {
      info = JSON.parse(row.info) as AssistantMessage
      if (messages.size > 10_000) messages.clear()
      messages.set(row.message, info)
    }
    const model = info.role === "assistant" ? `${info.providerID}/${info.modelID}` : "unknown"
    if (filter.model && !model.includes(filter.model)) continue
    const key =
      filter.by === "day" ? new Date(Number(row.time)).toISOString().slice(0, 10) : filter.by === "session" ? row.session : filter.by === "model" ? model : session.source
    const group = groups.get(key) ?? { sessions: new Set(), steps: 0, tokens: zero(), cost: 0, unpricedSteps: 0, toolCalls: 0, toolErrors: 0 }
    groups.set(key, group)
    const part = JSON.parse(row.part) as Part
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
    sessions: group.sessions.size,
    steps: group.steps,
    tokens: group.tokens,
    cost: group.cost,
    unpricedSteps: group.unpricedSteps,
    cacheEfficiency: cacheEfficiency(group.tokens),
    toolCalls: group.toolCalls,
    toolErrors: group.toolErrors,
    toolErrorRate: group.toolCalls > 0 ? group.toolErrors / group.toolCalls : 0,
  })
  return {
    rows: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, group]) => toRow(key, group)),
    total: toRow("total", total),
    unpriced: [...unpriced].sort(),
  }
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
