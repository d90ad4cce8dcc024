import type { Command } from "commander"
import { InvalidArgumentError } from "commander"
import type { App } from "../app.ts"
import type { Config } from "../config/index.ts"
import { sessionIDFrom, withApp } from "./util.ts"

/**
 * `spool stats [session]`: with a session, its steps (tokens, cost, cache efficiency); without, usage
 * across all sessions, filtered and grouped (issue 5). Steps of models with no known price (neither
 * `provider.<id>.models.<model>.cost` in config nor the bundled catalogue) show `unpriced` instead of
 * a cost, totals that leave some out end in `+?`, and a warning line on stderr names the models
 * (issue 9: never a silent $0).
 */
export function registerStats(program: Command) {
  program
    .command("stats")
    .description("Tokens (input, output, reasoning, cache read/write), cost and cache efficiency: of one session per step, or of all sessions grouped")
    .argument("[session]", "session id, unique id prefix or slug (omit for all sessions)")
    .option("--since <date>", "only usage since this date (YYYY-MM-DD or ISO time)")
    .option("--source <source>", "spool | claude-code | codex | opencode")
    .option("--project <id>", "project id")
    .option("--model <text>", "models whose provider/model contains this")
    .option("--by <group>", "day | session | model | source", "day")
    .option("--json", "print JSON")
    .action((sessionID: string | undefined, options: { json?: boolean; since?: string; source?: string; project?: string; model?: string; by: string }) =>
      withApp(process.cwd(), async (app) => {
        const { loadConfig } = await import("../config/index.ts")
        const config = loadConfig(process.cwd(), process.env)
        if (!sessionID) return printUsage(app, options, config)
        const { sessionStats } = await import("../session/index.ts")
        const info = await app.sessions.get(await sessionIDFrom(app, sessionID))
        const stats = await sessionStats(app.db, info.id, { config })
        if (options.json) process.stdout.write(JSON.stringify(stats, null, 2) + "\n")
        else {
          const usage = (tokens: StepTokens, cost: string, efficiency: number) => [
            String(tokens.input),
            String(tokens.output),
            String(tokens.reasoning),
            String(tokens.cache.read),
            String(tokens.cache.write),
            cost,
            percent(efficiency),
          ]
          const rows = stats.steps.map((step, index) => [
            String(index + 1),
            step.modelID,
            step.reason,
            ...usage(step.tokens, costCell(step.cost, step.unpriced ? 1 : 0, 1), step.cacheEfficiency),
          ])
          const { total } = stats
          rows.push(["total", "", `${total.steps} steps`, ...usage(total.tokens, costCell(total.cost, total.unpricedSteps, total.steps), total.cacheEfficiency)])
          printTable(["step", "model", "reason", ...USAGE_COLUMNS], rows, 3)
        }
        warnUnpriced(stats.unpriced, stats.total.unpricedSteps, stats.total.steps)
      }),
    )
}

async function printUsage(app: App, options: { json?: boolean; since?: string; source?: string; project?: string; model?: string; by: string }, config: Config) {
  if (!["day", "session", "model", "source"].includes(options.by)) throw new InvalidArgumentError("--by must be day, session, model or source")
  const since = options.since ? Date.parse(options.since) : undefined
  if (since !== undefined && Number.isNaN(since)) throw new InvalidArgumentError(`--since: not a date: ${options.since}`)
  const { usageReport } = await import("../session/index.ts")
  const report = await usageReport(app.db, { since, source: options.source, projectID: options.project, model: options.model, by: options.by as "day", config })
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n")
    warnUnpriced(report.unpriced, report.total.unpricedSteps, report.total.steps)
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
    costCell(row.cost, row.unpricedSteps, row.steps),
    percent(row.cacheEfficiency),
    String(row.toolCalls),
    percent(row.toolErrorRate),
  ])
  printTable([options.by, "sessions", "steps", ...USAGE_COLUMNS, "tool calls", "tool err."], cells, 1)
  warnUnpriced(report.unpriced, report.total.unpricedSteps, report.total.steps)
}

/**
 * A cost cell (USD, 4 decimals): `unpriced` when every step of the row is unpriced, the priced sum
 * followed by `+?` when only some are, else the sum.
 */
export function costCell(cost: number, unpricedSteps: number, steps: number): string {
  if (unpricedSteps > 0 && unpricedSteps >= steps) return "unpriced"
  return unpricedSteps > 0 ? `${cost.toFixed(4)}+?` : cost.toFixed(4)
}

/**
 * The warning line (stderr) naming the models whose steps have no price (see `unpricedStep`), with
 * how to price them. Nothing when every step is priced.
 */
export function unpricedWarning(models: string[], unpricedSteps: number, steps: number): string | undefined {
  if (models.length === 0) return undefined
  const plural = models.length === 1 ? "model" : "models"
  const slash = models[0].indexOf("/")
  const key = models.length === 1 && slash > 0 ? `provider.${models[0].slice(0, slash)}.models.${models[0].slice(slash + 1)}.cost` : "provider.<id>.models.<model>.cost"
  return `warning: no price for ${unpricedSteps} of ${steps} steps (${plural} ${models.join(", ")}): their cost is not counted; set ${key} in spool.json to price new turns (0 for a free model); \`spool import --force\` then re-prices imported sessions\n`
}

function warnUnpriced(models: string[], unpricedSteps: number, steps: number) {
  const line = unpricedWarning(models, unpricedSteps, steps)
  if (line) process.stderr.write(line)
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
