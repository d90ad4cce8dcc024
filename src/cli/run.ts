import type { Command } from "commander"
import { resolve } from "node:path"
import { text as readStream } from "node:stream/consumers"
import type { App } from "../app.ts"
import type { BusEvent } from "../bus/index.ts"
import type { Part, SessionStatus, WithParts } from "../session/index.ts"
import { MAX_ATTEMPTS } from "../util/retry.ts"
import { createLogger } from "../util/log.ts"
import { startTerminalApprover } from "./approve.ts"
import { colorsFor, type Colors } from "./colors.ts"
import { excerpt, outcomeSuffix, toolInputSummary, toolOutcome, toolOutputText, type ToolPart } from "./tool-summary.ts"
import { describeError, modelOption, openApp, sessionIDFrom } from "./util.ts"

/** Exit code after SIGINT/SIGTERM (128 + SIGINT), as shells report an interrupted command. */
const INTERRUPTED_EXIT_CODE = 130

/**
 * `spool run "<prompt>"` (`spool run -` reads the prompt from stdin): one agent turn in-process (no server
 * needed), streaming the answer to stdout (each text part on its own line) and, on stderr, each tool call
 * (`→ tool input`), its outcome (`✓ title`, or `✗` for an error and for a bash command that exited non-zero,
 * with the exit code) and a short excerpt of its output, and each provider retry (`retrying 2/5 in 8 s:
 * Overloaded`). Colour only on a terminal (see `colorEnabled`).
 *
 * A tool call the permission rules say to ask about is asked in the terminal (once / always / reject), or
 * refused when stdin is not a terminal (see `startTerminalApprover`). `--session` takes an id, a unique id
 * prefix or a slug (`resolveSessionID`). A `--session` whose directory no longer exists (moved, deleted,
 * imported from another machine) continues in the `--dir` given on the command line (the session moves
 * there, see `SessionService.continueIn`); without an explicit `--dir` the run is refused with a hint.
 *
 * Exits 1 when the turn ends with an error or the session does not exist. A run that fails before its
 * first step produced anything (no model, bad credentials, provider unreachable) deletes the session it
 * created, so failed attempts leave no empty sessions (a `--session` is kept). SIGINT/SIGTERM abort the turn
 * — killing the command a `bash` tool is running — and store it as aborted before exiting with 130.
 */
export function registerRun(program: Command) {
  program
    .command("run")
    .description("Run one prompt in a session and stream the answer")
    .argument("<prompt...>", "the prompt ('-' reads it from stdin)")
    .option("-s, --session <id>", "continue this session (id, unique id prefix or slug) instead of creating one")
    .option("-m, --model <provider/model>", "model to use (default: the session's, config, then SPOOL_MODEL)", modelOption)
    .option("--dir <path>", "working directory of a new session; with --session, where one whose directory is gone continues", process.cwd())
    .action(async (words: string[], options: { session?: string; model?: string; dir: string }, command: Command) => {
      // `--dir` given on the command line (not the cwd default) is where a session whose directory is gone continues.
      const continueIn = command.getOptionValueSource("dir") === "cli" ? { directory: resolve(options.dir) } : {}
      const fromStdin = words.length === 1 && words[0] === "-"
      if (fromStdin && process.stdin.isTTY) process.stderr.write("reading the prompt from stdin; end it with Ctrl-D\n")
      const text = fromStdin ? (await readStream(process.stdin)).trim() : words.join(" ")
      if (text === "") {
        process.stderr.write("error: the prompt is empty\n")
        process.exit(1)
      }
      const { parseModel } = await import("../provider/index.ts")
      const app = await openApp({ cwd: options.dir, model: options.model, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? "warn") })
      let exitCode = 0
      let interrupted = false
      let sessionID: string | undefined
      let created = false
      const interrupt = () => {
        interrupted = true
        if (sessionID) app.prompts.abort(sessionID)
      }
      process.once("SIGINT", interrupt)
      process.once("SIGTERM", interrupt)
      const output = createPrinter(colorsFor(process.stderr))
      let result: WithParts | undefined
      try {
        if (options.session) sessionID = (await app.sessions.get(await sessionIDFrom(app, options.session))).id
        else {
          sessionID = (await app.sessions.create({ directory: resolve(options.dir) })).id
          created = true
        }
        const id = sessionID
        process.stderr.write(`session ${id}\n`)
        if (interrupted) throw new Error("interrupted")
        const unsubscribe = app.bus.subscribe((event) => output.print(event, id))
        // Tool calls the rules say to ask about: a terminal prompt, or a refusal when stdin is not a terminal.
        const stopApprover = startTerminalApprover(app, id)
        try {
          result = await app.prompts.prompt(id, { parts: [{ type: "text", text }], model: parseModel(options.model) }, continueIn)
        } finally {
          unsubscribe()
          stopApprover()
          output.end()
        }
        if (interrupted) {
          process.stderr.write("interrupted\n")
          exitCode = INTERRUPTED_EXIT_CODE
        } else if (result.info.role === "assistant" && result.info.error) {
          const data = result.info.error.data as { message?: string }
          process.stderr.write(`error: ${result.info.error.name}${data.message ? `: ${data.message}` : ""}\n`)
          exitCode = 1
        }
      } catch (error) {
        output.end()
        process.stderr.write(interrupted ? "interrupted\n" : `error: ${describeError(error)}\n`)
        exitCode = interrupted ? INTERRUPTED_EXIT_CODE : 1
      }
      try {
        if (exitCode === 1 && created && sessionID && producedNothing(result)) await discardSession(app, sessionID)
      } finally {
        await app.close()
      }
      process.exit(exitCode)
    })
}

/**
 * True when a failed turn never got past the start of its first step: no answer at all (the prompt was
 * refused) or an answer with nothing but step starts and retries (no text, no tool call, no finished step).
 */
function producedNothing(result: WithParts | undefined): boolean {
  return result === undefined || result.parts.every((part) => part.type === "step-start" || part.type === "retry")
}

/** Deletes the session a failed run created, saying so; a failure to delete is reported, not fatal. */
async function discardSession(app: App, sessionID: string): Promise<void> {
  try {
    await app.sessions.remove(sessionID)
    process.stderr.write(`removed session ${sessionID} (the run failed before its first step)\n`)
  } catch (error) {
    process.stderr.write(`could not remove session ${sessionID}: ${describeError(error)}\n`)
  }
}

/**
 * Streams the answer's text deltas to stdout, starting each new text part on its own line (reasoning is
 * not printed); to stderr: each tool call once when it starts running (`→ tool input`) and once when it
 * ends (`✓`/`✗` with the title, a failed bash command's exit code and an output excerpt), and each retry of
 * the provider call (`session.status` `retry`: `retrying 2/5 in 8 s: Overloaded`).
 */
function createPrinter(colors: Colors) {
  let textPart: string | undefined
  const reasoning = new Set<string>()
  const toolStates = new Map<string, string>()
  let lineOpen = false
  const write = (text: string) => {
    if (text === "") return
    process.stdout.write(text)
    lineOpen = !text.endsWith("\n")
  }
  const note = (text: string) => {
    // The answer's open line is ended first, so stderr notes never land mid-line on a terminal.
    if (lineOpen) write("\n")
    process.stderr.write(text)
  }
  const printTool = (part: ToolPart) => {
    const { state } = part
    if (toolStates.get(part.id) === state.status) return
    toolStates.set(part.id, state.status)
    if (state.status === "running") note(`${colors.cyan("→")} ${colors.bold(part.tool)} ${toolInputSummary(part)}\n`)
    const outcome = toolOutcome(part)
    if (!outcome) return
    const title = state.status === "completed" ? state.title : ""
    const mark = outcome.ok ? colors.green("✓") : colors.red("✗")
    const head = state.status === "error" ? `${part.tool}: ${excerpt(state.error, 1)[0] ?? ""}` : `${part.tool} ${title}${outcomeSuffix(outcome)}`
    const body = state.status === "error" ? excerpt(state.error).slice(1) : excerpt(toolOutputText(part))
    note(`${mark} ${outcome.ok ? head : colors.red(head)}\n${body.map((line) => colors.dim(`  │ ${line}`) + "\n").join("")}`)
  }
  return {
    print(event: BusEvent, sessionID: string) {
      const properties = event.properties as { sessionID?: string; partID?: string; field?: string; delta?: string; part?: Part; status?: SessionStatus }
      if (properties.sessionID !== sessionID) return
      if (event.type === "message.part.updated" && properties.part?.type === "reasoning") reasoning.add(properties.part.id)
      if (event.type === "message.part.delta" && properties.field === "text" && !reasoning.has(properties.partID ?? "")) {
        if (properties.partID !== textPart && lineOpen) write("\n")
        textPart = properties.partID
        write(properties.delta ?? "")
      }
      if (event.type === "message.part.updated" && properties.part?.type === "tool") printTool(properties.part)
      if (event.type === "session.status" && properties.status?.type === "retry") {
        const { attempt, message, next } = properties.status
        note(colors.yellow(`retrying ${attempt}/${MAX_ATTEMPTS} in ${formatDelay(next - Date.now())}: ${message}`) + "\n")
      }
    },
    /** Ends the last line of the answer. */
    end() {
      if (lineOpen) write("\n")
    },
  }
}

/** `8 s` from 1 s up (rounded), `250 ms` below, never negative. */
function formatDelay(ms: number): string {
  const wait = Math.max(0, ms)
  return wait >= 1000 ? `${Math.round(wait / 1000)} s` : `${Math.round(wait)} ms`
}
