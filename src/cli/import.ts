import type { Command } from "commander"
import { InvalidArgumentError } from "commander"
import { existsSync } from "node:fs"
import { homedir } from "node:os"
import { resolve, sep } from "node:path"
import { withApp } from "./util.ts"

const SOURCES = ["claude-code", "codex", "opencode"] as const
/** How users know each source. */
const NAMES: Record<(typeof SOURCES)[number], string> = { "claude-code": "Claude Code", codex: "Codex", opencode: "OpenCode" }

/**
 * `spool import [--from source] [paths…]`: imports Claude Code, Codex and OpenCode sessions (default:
 * every default location that exists). A progress bar on a terminal (stderr), nothing without one;
 * `--json` prints the summary. Problems (corrupt lines) are reported with file and line.
 *
 * Exit code 1, with a hint, and nothing imported when a path does not exist or holds another tool's
 * sessions than `--from` says (judged by `sniffSource`: "these look like Claude Code sessions: use --from
 * claude-code"); exit code 1 with a hint when nothing was recognised as sessions (no default location
 * exists, or no file yielded a session); 0 otherwise.
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
        if (paths.length > 0) await checkInputs(inputs)
        if (inputs.length === 0) throw new ImportHintError(`no ${options.from ? NAMES[options.from] : "Claude Code, Codex or OpenCode"} sessions in their usual locations (${(await usualLocations(options.from)).join(", ")}); to import from elsewhere: spool import --from <source> <path>`)
        const bar = process.stderr.isTTY && !options.json ? await progressBar() : undefined
        const summary = await app.importSessions(inputs, {
          force: options.force,
          parsers,
          onProgress: bar ? (done, total) => bar.update(total === 0 ? 1 : done / total) : undefined,
        })
        bar?.stop()
        // Nothing at all was recognised as sessions of the source (files already imported do count).
        const recognised = summary.sessions.created + summary.sessions.updated + summary.unchanged > 0
        if (!recognised) process.exitCode = 1
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
        if (!recognised) {
          const from = [...new Set(inputs.map((input) => NAMES[input.source]))].join(" or ")
          process.stderr.write(`error: nothing was recognised as ${from} sessions; is --from right? (${SOURCES.join(", ")})\n`)
        }
      }),
    )
}

/** A user error of `spool import` whose message carries its own hint (printed as `error: …`, exit code 1). */
class ImportHintError extends Error {}

/**
 * Refuses, before anything is imported, paths that do not exist and paths whose files are another tool's
 * sessions than their `--from` (see `sniffSource`); each problem on its own line with what to do instead.
 * @throws ImportHintError
 */
async function checkInputs(inputs: Array<{ source: (typeof SOURCES)[number]; path: string }>): Promise<void> {
  const { sniffSource } = await import("../importer/index.ts")
  const problems: string[] = []
  for (const input of inputs) {
    if (!existsSync(input.path)) {
      problems.push(`${input.path}: no such file or directory`)
      continue
    }
    const found = await sniffSource(input.path)
    if (found && found !== input.source) problems.push(`${input.path} holds ${NAMES[found]} sessions, not ${NAMES[input.source]}: use --from ${found}`)
  }
  if (problems.length > 0) throw new ImportHintError(`${problems.join("\n       ")}\nnothing was imported`)
}

/** The default locations Spool looks in (for `from`, or all), for the "nothing found" hint. */
async function usualLocations(from?: (typeof SOURCES)[number]): Promise<string[]> {
  const { defaultLocations } = await import("../importer/index.ts")
  const home = homedir()
  return defaultLocations()
    .filter((input) => !from || input.source === from)
    .map((input) => (input.path.startsWith(home + sep) ? `~${input.path.slice(home.length)}` : input.path))
}

async function progressBar() {
  const { SingleBar, Presets } = await import("cli-progress")
  const bar = new SingleBar({ format: "importing [{bar}] {percentage}% | {eta_formatted} left", stream: process.stderr, hideCursor: true }, Presets.shades_classic)
  bar.start(1, 0)
  return bar
}
