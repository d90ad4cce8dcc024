import type { Command } from "commander"
import { InvalidArgumentError } from "commander"
import type { App } from "../app.ts"
import { withApp } from "./util.ts"

/**
 * `spool stats [session]`: with a session, its steps (tokens, cost, cache efficiency); without, usage
 * across all sessions, filtered and grouped (issue 5).
 */
export function registerStats(program: Command) {
  program
    .command("stats")
    .description("Tokens (input, output, reasoning, cache read/write), cost and cache efficiency: of one session per step, or of all sessions grouped")
    .argument("[session]", "session id (omit for all sessions)")
    .option("--since <date>", "only usage since this date (YYYY-MM-DD or ISO time)")
    .option("--source <source>", "spool | claude-code | codex | opencode")
    .option("--project <id>", "project id")
    .option("--model <text>", "models whose provider/model contains this")
    .option("--by <group>", "day | session | model | source", "day")
    .option("--json", "print JSON")
    .action((sessionID: string | undefined, options: { json?: boolean; since?: string; source?: string; project?: string; model?: string; by: string }) =>
      withApp(process.cwd(), async (app) => {
        if (!sessionID) return printUsage(app, options)
        const stats = await app.sessions.stats(sessionID)
        if (options.json) {
          process.stdout.write(JSON.stringify(stats, null, 2) + "\n")
          return
        }
        const usage = (tokens: StepTokens, cost: number, efficiency: number) => [
          String(tokens.input),
          String(tokens.output),
          String(tokens.reasoning),
          String(tokens.cache.read),
          String(tokens.cache.write),
          cost.toFixed(4),
          percent(efficiency),
        ]
        const rows = stats.steps.map((step, index) => [String(index + 1), step.modelID, step.reason, ...usage(step.tokens, step.cost, step.cacheEfficiency)])
        const { total } = stats
        rows.push(["total", "", `${total.steps} steps`, ...usage(total.tokens, total.cost, total.cacheEfficiency)])
        printTable(["step", "model", "reason", ...USAGE_COLUMNS], rows, 3)
      }),
    )
}

async function printUsage(app: App, options: { json?: boolean; since?: string; source?: string; project?: string; model?: string; by: string }) {
  if (!["day", "session", "model", "source"].includes(options.by)) throw new InvalidArgumentError("--by must be day, session, model or source")
  const since = options.since ? Date.parse(options.since) : undefined
  if (since !== undefined && Number.isNaN(since)) throw new InvalidArgumentError(`--since: not a date: ${options.since}`)
  const { usageReport } = await import("../session/index.ts")
  const report = await usageReport(app.db, { since, source: options.source, projectID: options.project, model: options.model, by: options.by as "day" })
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n")
    return
  }
  const cells = [...report.rows, report.total].map((row) => [
    row.key,
    String(row.sessions),
    String(row.steps),
    String(row.tokens.input),
    String(row.tokens.output),
    String(row.tokens.reasoning),
    String(row.tokens.cache.read),
    String(row.tokens.cache.write),
    row.cost.toFixed(4),
    percent(row.cacheEfficiency),
    String(row.toolCalls),
    percent(row.toolErrorRate),
  ])
  printTable([options.by, "sessions", "steps", ...USAGE_COLUMNS, "tool calls", "tool err."], cells, 1)
}

const USAGE_COLUMNS = ["input", "output", "reasoning", "cache read", "cache write", "cost $", "cache eff."]

interface StepTokens {
  input: number
  output: number
  reasoning: number
  cache: { read: number; write: number }
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`
}

/** Writes an aligned table: the first `left` columns left-aligned, numbers right-aligned. */
function printTable(header: string[], rows: string[][], left: number) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: string[]) => cells.map((cell, column) => (column < left ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ")
  process.stdout.write(line(header) + "\n")
  for (const row of rows) process.stdout.write(line(row) + "\n")
}
