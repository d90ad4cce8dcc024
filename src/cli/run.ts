import type { Command } from "commander"
import { resolve } from "node:path"
import { createApp } from "../app.ts"
import type { BusEvent } from "../bus/index.ts"
import { parseModel } from "../provider/index.ts"
import type { Part } from "../session/index.ts"
import { createLogger } from "../util/log.ts"

/**
 * `spool run "<prompt>"`: one agent turn in-process (no server needed), streaming the answer to
 * stdout and tool calls to stderr. Exits 1 when the turn ends with an error.
 */
export function registerRun(program: Command) {
  program
    .command("run")
    .description("Run one prompt in a session and stream the answer")
    .argument("<prompt...>", "the prompt")
    .option("-s, --session <id>", "continue this session instead of creating one")
    .option("-m, --model <provider/model>", "model to use (default: config, then SPOOL_MODEL)")
    .option("--dir <path>", "working directory of the session", process.cwd())
    .action(async (words: string[], options: { session?: string; model?: string; dir: string }) => {
      const app = await createApp({ cwd: options.dir, model: options.model, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? "warn") })
      let exitCode = 0
      try {
        const session = options.session
          ? await app.sessions.get(options.session)
          : await app.sessions.create({ directory: resolve(options.dir) })
        process.stderr.write(`session ${session.id}\n`)
        const unsubscribe = app.bus.subscribe((event) => print(event, session.id))
        const result = await app.prompts.prompt(session.id, {
          parts: [{ type: "text", text: words.join(" ") }],
          model: parseModel(options.model),
        })
        unsubscribe()
        process.stdout.write("\n")
        if (result.info.role === "assistant" && result.info.error) {
          const data = result.info.error.data as { message?: string }
          process.stderr.write(`error: ${result.info.error.name}${data.message ? `: ${data.message}` : ""}\n`)
          exitCode = 1
        }
      } catch (error) {
        process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
        exitCode = 1
      } finally {
        await app.close()
      }
      process.exit(exitCode)
    })
}

function print(event: BusEvent, sessionID: string) {
  const properties = event.properties as { sessionID?: string; field?: string; delta?: string; part?: Part }
  if (properties.sessionID !== sessionID) return
  if (event.type === "message.part.delta" && properties.field === "text") {
    process.stdout.write(properties.delta ?? "")
  }
  if (event.type === "message.part.updated" && properties.part?.type === "tool") {
    const { tool, state } = properties.part
    if (state.status === "running") process.stderr.write(`\n→ ${tool} ${JSON.stringify(state.input)}\n`)
    if (state.status === "error") process.stderr.write(`✗ ${tool}: ${state.error}\n`)
    if (state.status === "completed") process.stderr.write(`✓ ${tool} ${state.title}\n`)
  }
}
