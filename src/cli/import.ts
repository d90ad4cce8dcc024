import type { Command } from "commander"
import { InvalidArgumentError } from "commander"
import { resolve } from "node:path"
import { withApp } from "./util.ts"

const SOURCES = ["claude-code", "codex", "opencode"] as const

/**
 * `spool import [--from source] [paths…]`: imports Claude Code, Codex and OpenCode sessions (default:
 * every default location that exists). A progress bar on a terminal (stderr), nothing without one;
 * `--json` prints the summary. Problems (corrupt lines) are reported with file and line; exit code 0
 * unless nothing could be read at all.
 */
export function registerImport(program: Command) {
  program
    .command("import")
    .description("Import Claude Code, Codex and OpenCode sessions (default: their usual locations)")
    .argument("[paths...]", "files or directories to import (need --from)")
    .option("--from <source>", `source format: ${SOURCES.join(" | ")}`, (value: string) => {
      if (!(SOURCES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SOURCES.join(", ")}`)
      return value
    })
    .option("--force", "re-read files even when unchanged since the last import")
    .option("--json", "print a JSON summary")
    .action((paths: string[], options: { from?: (typeof SOURCES)[number]; force?: boolean; json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const { defaultInputs, parsers } = await import("../importer/index.ts")
        if (paths.length > 0 && !options.from) throw new InvalidArgumentError("paths need --from claude-code|codex|opencode")
        const inputs = paths.length > 0 ? paths.map((path) => ({ source: options.from!, path: resolve(path) })) : defaultInputs().filter((input) => !options.from || input.source === options.from)
        const bar = process.stderr.isTTY && !options.json ? await progressBar() : undefined
        const summary = await app.importSessions(inputs, {
          force: options.force,
          parsers,
          onProgress: bar ? (done, total) => bar.update(total === 0 ? 1 : done / total) : undefined,
        })
        bar?.stop()
        if (options.json) {
          process.stdout.write(JSON.stringify({ ...summary, problems: summary.problems.length, problemList: summary.problems.slice(0, 100) }, null, 2) + "\n")
          return
        }
        process.stdout.write(
          `imported ${summary.files} file(s) (${summary.unchanged} unchanged): ${summary.sessions.created} new session(s), ${summary.sessions.updated} updated, ${summary.messagesAdded} message(s) and ${summary.partsAdded} part(s) added\n`,
        )
        for (const [source, counts] of Object.entries(summary.bySource)) process.stdout.write(`  ${source}: ${counts.files} file(s), ${counts.sessions} session(s)\n`)
        if (summary.problems.length > 0) {
          process.stderr.write(`${summary.problems.length} record(s) skipped:\n`)
          for (const problem of summary.problems.slice(0, 20)) process.stderr.write(`  ${problem.path}${problem.line ? `:${problem.line}` : ""}: ${problem.message}\n`)
          if (summary.problems.length > 20) process.stderr.write(`  … ${summary.problems.length - 20} more (use --json)\n`)
        }
      }),
    )
}

async function progressBar() {
  const { SingleBar, Presets } = await import("cli-progress")
  const bar = new SingleBar({ format: "importing [{bar}] {percentage}% | {eta_formatted} left", stream: process.stderr, hideCursor: true }, Presets.shades_classic)
  bar.start(1, 0)
  return bar
}
