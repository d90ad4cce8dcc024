import { Hono } from "hono"
import { z } from "zod"
import { UsageDimension, UsageReport, type SessionQueries } from "../../session/index.ts"
import { BadRequestError } from "../../util/named-error.ts"
import { queryParams, requestDirectory } from "../request.ts"
import { doc } from "./doc.ts"

/** What `GET /stats` needs. */
export interface StatsRouteDeps {
  queries: SessionQueries
  /** Directory for requests that name none (unused as a filter: usage is not scoped to it). */
  cwd: string
}

const DAY_MS = 86_400_000

const Time = z.string().describe("A date (`YYYY-MM-DD`, UTC midnight), an ISO time, or epoch ms")

/** `GET /stats` query: `spool stats`' filters and grouping, plus `until`, `days`, `directory`, several dimensions, a time zone, sort and limit. */
const StatsQuery = z.object({
  since: Time.optional().describe("Only usage at or after this time: a date (`YYYY-MM-DD`, UTC midnight), an ISO time, or epoch ms"),
  until: Time.optional().describe("Only usage before this time (same forms as `since`)"),
  days: z.coerce.number().int().min(1).max(36_500).optional().describe("Only the last N×24 hours (instead of `since`)"),
  projectID: z.string().optional().describe("Only sessions of this project"),
  directory: z.string().optional().describe("Only sessions in this directory or below it (absolute, may be URL-encoded); the `x-opencode-directory` header does not filter"),
  source: z.enum(["spool", "claude-code", "codex", "opencode"]).optional().describe("`spool` for native sessions, else the import source"),
  model: z.string().optional().describe("Only models whose `provider/model` contains this"),
  groupBy: z
    .string()
    .optional()
    .describe("Comma-separated dimensions: day, session, model, source, tool (default `day`); several give a row per combination, e.g. `day,model` for tokens and cost per day stacked by model. With `tool`, only tool calls are counted"),
  timeZone: z.string().optional().describe("IANA time zone of the `day` dimension (default UTC)"),
  sort: z.enum(["key", "cost", "tokens", "toolCalls", "toolErrorRate"]).optional().describe("Row order: `key` ascending (default), else that figure descending (`tokens`: all five kinds summed)"),
  limit: z.coerce.number().int().min(1).max(100_000).optional().describe("At most this many rows after sorting (e.g. `groupBy=session&sort=cost&limit=10` for the top sessions by cost); `total` still counts all"),
})

/** Epoch ms of a `since`/`until` value. @throws BadRequestError */
function parseTime(name: string, value: string): number {
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (Number.isNaN(time)) throw new BadRequestError({ message: `${name}: not a date, ISO time or epoch ms: ${value}`, kind: "Query" })
  return time
}

/**
 * `GET /stats`: usage across sessions as `spool stats --json` reports it (issue 5), for the web UI's
 * usage page (issue 10): tokens (input, output, reasoning, cache read/write), cost (USD), cache
 * efficiency, steps, tool calls and error rate, per group. Steps of models with no known price are
 * counted in `unpricedSteps`, rows say `pricing`, and `unpriced` names the models: a cost is never a
 * silent $0. 400 for a malformed filter, an unknown dimension or time zone, `days` with `since`.
 */
export function statsRoutes(deps: StatsRouteDeps) {
  const app = new Hono()
  app.get(
    "/stats",
    doc({ operationId: "stats.usage", summary: "Usage across sessions (tokens, cost, cache efficiency, tool calls), filtered and grouped as `spool stats`", query: StatsQuery, response: UsageReport, errors: [400] }),
    async (c) => {
      const query = queryParams(c, StatsQuery)
      if (query.days !== undefined && query.since !== undefined) throw new BadRequestError({ message: "Give `since` or `days`, not both", kind: "Query" })
      const since = query.days !== undefined ? Date.now() - query.days * DAY_MS : query.since !== undefined ? parseTime("since", query.since) : undefined
      const until = query.until !== undefined ? parseTime("until", query.until) : undefined
      const groupBy = (query.groupBy ?? "day").split(",").map((dimension) => dimension.trim())
      const dimensions = z.array(UsageDimension).min(1).safeParse(groupBy)
      if (!dimensions.success || new Set(groupBy).size !== groupBy.length) {
        throw new BadRequestError({ message: `groupBy: comma-separated distinct dimensions of day, session, model, source, tool; got "${query.groupBy}"`, kind: "Query" })
      }
      const timeZone = query.timeZone ?? "UTC"
      try {
        new Intl.DateTimeFormat("en-CA", { timeZone })
      } catch {
        throw new BadRequestError({ message: `timeZone: unknown IANA time zone "${timeZone}"`, kind: "Query" })
      }
      const report = await deps.queries.usage({
        since,
        until,
        projectID: query.projectID,
        directory: query.directory !== undefined ? requestDirectory(c, deps.cwd) : undefined,
        source: query.source,
        model: query.model,
        by: dimensions.data,
        timeZone,
      })
      const sort = query.sort ?? "key"
      const figure = (row: (typeof report.rows)[number]) =>
        sort === "cost"
          ? row.cost
          : sort === "tokens"
            ? row.tokens.input + row.tokens.output + row.tokens.reasoning + row.tokens.cache.read + row.tokens.cache.write
            : sort === "toolCalls"
              ? row.toolCalls
              : row.toolErrorRate
      const rows = sort === "key" ? report.rows : [...report.rows].sort((a, b) => figure(b) - figure(a) || a.key.localeCompare(b.key))
      return c.json({ ...report, rows: query.limit !== undefined ? rows.slice(0, query.limit) : rows, filter: { since, until, timeZone, groupBy: dimensions.data } })
    },
  )
  return app
}
