import type { Command } from "commander"
import { resolve } from "node:path"
import type { BusEvent } from "../bus/index.ts"
import type { Part } from "../session/index.ts"
import { createLogger } from "../util/log.ts"
import { describeError, modelOption, openApp } from "./util.ts"
import { startTerminalApprover } from "./approve.ts"

/** Exit code after SIGINT/SIGTERM (128 + SIGINT), as shells report an interrupted command. */
const INTERRUPTED_EXIT_CODE = 130

/**
 * `spool run "<prompt>"`: one agent turn in-process (no server needed), streaming the answer to
 * stdout (each text part on its own line) and tool calls to stderr. A tool call the permission rules say to
 * ask about is asked in the terminal (once / always / reject), or refused when stdin is not a terminal
 * (see `startTerminalApprover`). Exits 1 when the turn ends with an
 * error or the session does not exist. SIGINT/SIGTERM abort the turn — killing the command a `bash`
 * tool is running — and store it as aborted before exiting with 130.
 */
export function registerRun(program: Command) {
  program
    .command("run")
    .description("Run one prompt in a session and stream the answer")
    .argument("<prompt...>", "the prompt")
    .option("-s, --session <id>", "continue this session instead of creating one")
    .option("-m, --model <provider/model>", "model to use (default: the session's, config, then SPOOL_MODEL)", modelOption)
    .option("--dir <path>", "working directory of the session", process.cwd())
    .action(async (words: string[], options: { session?: string; model?: string; dir: string }) => {
      const { parseModel } = await import("../provider/index.ts")
      const app = await openApp({ cwd: options.dir, model: options.model, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? "warn") })
      let exitCode = 0
      let interrupted = false
      let sessionID: string | undefined
      const interrupt = () => {
        interrupted = true
        if (sessionID) app.prompts.abort(sessionID)
      }
      process.once("SIGINT", interrupt)
      process.once("SIGTERM", interrupt)
      const output = createPrinter()
      try {
        const session = options.session
          ? await app.sessions.get(options.session)
          : await app.sessions.create({ directory: resolve(options.dir) })
        sessionID = session.id
        process.stderr.write(`session ${session.id}\n`)
        if (interrupted) throw new Error("interrupted")
        const unsubscribe = app.bus.subscribe((event) => output.print(event, session.id))
        // Tool calls the rules say to ask about: a terminal prompt, or a refusal when stdin is not a terminal.
        const stopApprover = startTerminalApprover(app, session.id)
        const result = await app.prompts.prompt(session.id, {
          parts: [{ type: "text", text: words.join(" ") }],
          model: parseModel(options.model),
        })
        unsubscribe()
        stopApprover()
        output.end()
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
      } finally {
        await app.close()
      }
      process.exit(exitCode)
    })
}

/**
 * Streams the answer's text deltas to stdout, starting each new text part on its own line (reasoning is
 * not printed), and each tool's state changes to stderr (once per state: progress updates repeat
 * `running`).
 */
function createPrinter() {
  let textPart: string | undefined
  const reasoning = new Set<string>()
  const toolStates = new Map<string, string>()
  let lineOpen = false
  const write = (text: string) => {
    if (text === "") return
    process.stdout.write(text)
    lineOpen = !text.endsWith("\n")
  }
  return {
    print(event: BusEvent, sessionID: string) {
      const properties = event.properties as { sessionID?: string; partID?: string; field?: string; delta?: string; part?: Part }
      if (properties.sessionID !== sessionID) return
      if (event.type === "message.part.updated" && properties.part?.type === "reasoning") reasoning.add(properties.part.id)
      if (event.type === "message.part.delta" && properties.field === "text" && !reasoning.has(properties.partID ?? "")) {
        if (properties.partID !== textPart && lineOpen) write("\n")
        textPart = properties.partID
        write(properties.delta ?? "")
      }
      if (event.type === "message.part.updated" && properties.part?.type === "tool") {
        const { id, tool, state } = properties.part
        if (toolStates.get(id) === state.status) return
        toolStates.set(id, state.status)
        if (state.status === "running") process.stderr.write(`\n→ ${tool} ${JSON.stringify(state.input)}\n`)
        if (state.status === "error") process.stderr.write(`✗ ${tool}: ${state.error}\n`)
        if (state.status === "completed") process.stderr.write(`✓ ${tool} ${state.title}\n`)
      }
    },
    /** Ends the last line of the answer. */
    end() {
      if (lineOpen) write("\n")
    },
  }
}
