import type { Command } from "commander"
import { withApp } from "./util.ts"

/** `spool stats <session>`: per-step and per-session tokens, cost and cache efficiency. */
export function registerStats(program: Command) {
  program
    .command("stats")
    .description("Tokens (input, output, reasoning, cache read/write), cost and cache efficiency of a session, per step")
    .argument("<session>", "session id")
    .option("--json", "print JSON")
    .action((sessionID: string, options: { json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const stats = await app.sessions.stats(sessionID)
        if (options.json) {
          process.stdout.write(JSON.stringify(stats, null, 2) + "\n")
          return
        }
        const header = ["step", "model", "reason", "input", "output", "reasoning", "cache read", "cache write", "cost $", "cache eff."]
        const rows = stats.steps.map((step, index) => [
          String(index + 1),
          step.modelID,
          step.reason,
          String(step.tokens.input),
          String(step.tokens.output),
          String(step.tokens.reasoning),
          String(step.tokens.cache.read),
          String(step.tokens.cache.write),
          step.cost.toFixed(4),
          `${(step.cacheEfficiency * 100).toFixed(1)}%`,
        ])
        const { total } = stats
        rows.push([
          "total",
          "",
          `${total.steps} steps`,
          String(total.tokens.input),
          String(total.tokens.output),
          String(total.tokens.reasoning),
          String(total.tokens.cache.read),
          String(total.tokens.cache.write),
          total.cost.toFixed(4),
          `${(total.cacheEfficiency * 100).toFixed(1)}%`,
        ])
        const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
        const line = (cells: string[]) => cells.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ")
        process.stdout.write(line(header) + "\n")
        for (const row of rows) process.stdout.write(line(row) + "\n")
      }),
    )
}
