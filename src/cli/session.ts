import type { Command } from "commander"
import { resolve } from "node:path"
import type { App } from "../app.ts"
import type { SessionInfo, WithParts } from "../session/index.ts"
import { colorsFor, type Colors } from "./colors.ts"
import { costCell } from "./stats.ts"
import { excerpt, outcomeSuffix, toolInputSummary, toolOutcome, toolOutputText, EXCERPT_LINES, EXCERPT_WIDTH } from "./tool-summary.ts"
import { positiveIntegerOption, sessionIDFrom, withApp } from "./util.ts"

/**
 * `spool session list|show|delete`: read and manage stored sessions without a server. A session is named
 * by its id, a unique id prefix or its slug (`resolveSessionID`). Errors (an unknown session, a bad config
 * file) end in one `error: …` line and exit code 1 (see `main.ts`).
 */
export function registerSession(program: Command) {
  const session = program.command("session").description("List, show and delete sessions")

  session
    .command("list")
    .description("Sessions of the project in --dir (or of every project with --all), newest first")
    .option("--dir <path>", "project directory", process.cwd())
    .option("-a, --all", "sessions of every project, with their directories")
    .option("-n, --limit <n>", "how many", positiveIntegerOption, "50")
    .option("--archived", "include archived sessions")
    .option("--json", "print JSON")
    .action((options: { dir: string; all?: boolean; limit: string; archived?: boolean; json?: boolean }) =>
      withApp(options.dir, async (app) => {
        const page = await app.sessions.list({ directory: resolve(options.dir), allProjects: options.all, limit: Number(options.limit), archived: options.archived })
        if (options.json) process.stdout.write(JSON.stringify(page.items, null, 2) + "\n")
        else {
          const colors = colorsFor(process.stdout)
          for (const info of page.items) process.stdout.write(listLine(info, await costOf(app, info), colors, options.all === true) + "\n")
        }
      }),
    )

  session
    .command("show")
    .description("A session's messages with their ids, tool calls (abridged) and any pending revert")
    .argument("<id>", "session id, unique id prefix or slug")
    .option("--full", "tool inputs and outputs in full")
    .option("--json", "print JSON")
    .action((reference: string, options: { full?: boolean; json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const id = await sessionIDFrom(app, reference)
        const info = await app.sessions.get(id)
        const { items } = await app.sessions.messages(id, {})
        if (options.json) process.stdout.write(JSON.stringify({ info, messages: items }, null, 2) + "\n")
        else printSession(info, items, colorsFor(process.stdout), options.full === true)
      }),
    )

  session
    .command("delete")
    .description("Delete a session and its child sessions")
    .argument("<id>", "session id, unique id prefix or slug")
    .action((reference: string) =>
      withApp(process.cwd(), async (app) => {
        const id = await sessionIDFrom(app, reference)
        await app.sessions.remove(id)
        process.stdout.write(`deleted ${id}\n`)
      }),
    )
}

/** `ses_…  brave-otter  2026-…Z  $0.0123  Title` (with `--all`, the directory after the title). */
function listLine(info: SessionInfo, cost: string, colors: Colors, withDirectory: boolean): string {
  const line = `${info.id}  ${colors.cyan(info.slug)}  ${colors.dim(new Date(info.time.updated).toISOString())}  ${cost}  ${info.title}`
  return withDirectory ? `${line}  ${colors.dim(`(${info.directory})`)}` : line
}

/**
 * A session's cost for the list, as `spool stats` tells it (`costCell`): `$0.0123`; `unpriced` when every
 * step used a model with no known price (in config or the bundled catalogue), so its recorded $0 means
 * "unknown"; `$0.0123+?` when only some did. A session that used no tokens costs `$0.0000` without
 * reading its steps.
 */
async function costOf(app: App, info: SessionInfo): Promise<string> {
  const tokens = info.tokens
  if (tokens && tokens.input + tokens.output + tokens.reasoning + tokens.cache.read + tokens.cache.write <= 0) return `$${(info.cost ?? 0).toFixed(4)}`
  const { total } = await app.sessions.stats(info.id)
  const cell = costCell(total.cost, total.unpricedSteps, total.steps)
  return cell === "unpriced" ? cell : `$${cell}`
}

/**
 * Prints a session for reading: title, id, slug and directory; then each message as
 * `[role] msg_…` (assistant: `provider/model`, cost, error) followed by its text, and each tool call as
 * `✓|✗ tool input` with an excerpt of its output (all of it with `full`). A pending revert is a marker line
 * before the first reverted message (or part); the messages after it are tagged `(reverted)`.
 */
function printSession(info: SessionInfo, messages: WithParts[], colors: Colors, full: boolean): void {
  const lines = full ? Infinity : EXCERPT_LINES
  const width = full ? Infinity : EXCERPT_WIDTH
  const out: string[] = [colors.bold(info.title), `${info.id}  ${colors.cyan(info.slug)}`, info.directory]
  const revert = info.revert
  if (revert) {
    out.push(colors.yellow(`revert pending from ${revert.partID ?? revert.messageID}${revert.files?.length ? ` (restored ${revert.files.join(", ")})` : ""}: \`spool unrevert ${info.id}\` undoes it; the next prompt drops the reverted messages`))
  }
  out.push("")
  let reverted = false
  const marker = () => colors.yellow(`── reverted from here (spool unrevert ${info.id} restores) ──`)
  for (const message of messages) {
    if (revert && !reverted && message.info.id === revert.messageID && !revert.partID) {
      reverted = true
      out.push(marker())
    }
    const head = [`[${message.info.role}]`, colors.dim(message.info.id)]
    if (message.info.role === "assistant") {
      head.push(`${message.info.providerID}/${message.info.modelID}`)
      if (message.info.cost > 0) head.push(`$${message.info.cost.toFixed(4)}`)
    }
    if (reverted) head.push(colors.yellow("(reverted)"))
    out.push(head.join(" "))
    for (const part of message.parts) {
      if (revert && !reverted && part.id === revert.partID) {
        reverted = true
        out.push(marker())
      }
      if (part.type === "text" && !part.synthetic) out.push(part.text)
      if (part.type === "file") out.push(colors.dim(`[file ${part.filename ?? part.url.slice(0, 60)}]`))
      if (part.type === "patch") out.push(colors.dim(`  changed ${part.files.join(", ")}`))
      if (part.type === "tool") {
        const outcome = toolOutcome(part)
        const mark = !outcome ? colors.yellow("…") : outcome.ok ? colors.green("✓") : colors.red("✗")
        const status = outcome ? outcomeSuffix(outcome) : ` (${part.state.status})`
        out.push(`  ${mark} ${colors.bold(part.tool)} ${toolInputSummary(part, width)}${outcome?.ok === false ? colors.red(status) : status}`)
        for (const line of excerpt(toolOutputText(part), lines, width)) out.push(colors.dim(`    │ ${line}`))
      }
    }
    if (message.info.role === "assistant" && message.info.error) {
      const data = message.info.error.data as { message?: unknown }
      out.push(colors.red(`  error: ${message.info.error.name}${typeof data.message === "string" ? `: ${data.message}` : ""}`))
    }
  }
  process.stdout.write(out.join("\n") + "\n")
}
