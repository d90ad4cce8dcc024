import { randomUUID } from "node:crypto"
import { createId } from "../id/index.ts"
import type { Config } from "../config/index.ts"
import { parseModel } from "../provider/index.ts"
import { bashTool, type ToolContext } from "../tool/index.ts"
import type { Logger } from "../util/log.ts"
import { BadRequestError, SessionBusyError } from "../util/named-error.ts"
import type { ProjectCache } from "./projects.ts"
import type { AssistantMessage, Part, SessionInfo, ToolPart, UserMessage, WithParts } from "./schema.ts"
import type { SessionService } from "./service.ts"
import type { StatusMap } from "./status.ts"
import { assistantMessage } from "./turn-recorder.ts"
import type { Writer } from "./writer.ts"

/** The text OpenCode puts on the user message of a shell command (`SessionPrompt.shell`). */
export const SHELL_USER_TEXT = "The following tool was executed by the user"

/** What running a user's shell command needs. */
export interface ShellDeps {
  writer: Writer
  sessions: SessionService
  status: StatusMap
  projects: ProjectCache
  config: () => Config
  log: Logger
  /** The default model, `provider/model`, when neither the request nor the session names one. */
  defaultModel: () => string | undefined
  /** The environment of the command (the bash tool's, see `ToolContext.env`). */
  shellEnv?: () => Record<string, string>
  /** True while an agent turn runs or is queued for the session. */
  busy: (sessionID: string) => boolean
}

/** `POST /session/:id/shell` input (OpenCode 1.18 `SessionPrompt.ShellInput`). */
export interface ShellInput {
  command: string
  agent?: string
  model?: { providerID: string; modelID: string }
  messageID?: string
}

/**
 * Runs a command the user typed (OpenCode's `!` mode) in the session directory and records it as
 * OpenCode 1.18 does (`SessionPrompt.shell`): a user message with one synthetic text part
 * (`SHELL_USER_TEXT`), then an assistant message (no tokens, cost 0) with one `bash` tool part going
 * running → completed (output and metadata as the agent's bash tool gives them; a failure to start is
 * the part's `error`). The session is `busy` meanwhile, then `idle`. No model is called.
 *
 * The command runs through the agent's `bash` tool (process group, timeout, sandbox when
 * `sandbox.enabled`, the recorded process group for crash recovery, the same environment) but is not
 * checked against the permission rules: the user typed it, as OpenCode does not ask either.
 *
 * @throws NotFoundError for a missing session; SessionBusyError (409) while an agent turn or another
 * shell command runs; BadRequestError when no model is known (the messages need one).
 */
export function createShellRunner(deps: ShellDeps) {
  const running = new Map<string, AbortController>()

  async function run(sessionID: string, input: ShellInput): Promise<WithParts> {
    const session = await deps.sessions.get(sessionID)
    if (deps.busy(sessionID) || running.has(sessionID)) throw new SessionBusyError({ sessionID, message: `Session ${sessionID} is busy` })
    const model = input.model ?? (session.model ? { providerID: session.model.providerID, modelID: session.model.id } : parseModel(deps.defaultModel()))
    if (!model) throw new BadRequestError({ message: "No model: pass model {providerID, modelID}, set SPOOL_MODEL, --model, or model in spool.json" })
    const abort = new AbortController()
    running.set(sessionID, abort)
    deps.status.set(session, { type: "busy" })
    try {
      return await record(session, input, model, abort.signal)
    } finally {
      running.delete(sessionID)
      deps.status.set(session, { type: "idle" })
    }
  }

  async function record(session: SessionInfo, input: ShellInput, model: { providerID: string; modelID: string }, signal: AbortSignal): Promise<WithParts> {
    const directory = session.directory
    const agent = input.agent ?? session.agent ?? "build"
    const user: UserMessage = { id: input.messageID ?? createId("message"), sessionID: session.id, role: "user", time: { created: Date.now() }, agent, model }
    await deps.writer.messageWithParts(user, [{ id: createId("part"), sessionID: session.id, messageID: user.id, type: "text", text: SHELL_USER_TEXT, synthetic: true }], directory)

    const project = await deps.projects.resolve(directory).catch(() => undefined)
    const worktree = !project || project.id === "global" ? directory : project.worktree
    let assistant: AssistantMessage = { ...assistantMessage(session, user, worktree, Date.now()), mode: agent, agent }
    await deps.writer.message(assistant, directory)

    const start = Date.now()
    let part: ToolPart = {
      id: createId("part"),
      sessionID: session.id,
      messageID: assistant.id,
      type: "tool",
      callID: randomUUID(),
      tool: "bash",
      state: { status: "running", input: { command: input.command }, time: { start } },
    }
    // Part writes in order: a progress update never lands after the final state.
    let writes: Promise<void> = Promise.resolve()
    const save = (next: ToolPart) => {
      part = next
      const snapshot = structuredClone(next)
      writes = writes.then(() => deps.writer.part(snapshot, directory)).catch((error) => deps.log.warn({ err: error, sessionID: session.id }, "shell part write failed"))
      return writes
    }
    await save(part)

    const config = deps.config()
    const context: ToolContext = {
      sessionID: session.id,
      messageID: assistant.id,
      callID: part.callID,
      directory,
      abort: signal,
      metadata(update) {
        if (part.state.status !== "running") return
        const group = part.state.metadata?.process
        void save({ ...part, state: { ...part.state, ...update, ...(update.metadata ? { metadata: { ...update.metadata, ...(group !== undefined ? { process: group } : {}) } } : {}) } })
      },
      process: async (group) => {
        if (part.state.status !== "running") return
        await save({ ...part, state: { ...part.state, metadata: { ...part.state.metadata, process: group } } })
      },
      todos: { read: async () => [], write: async () => {} },
      // The user typed the command: nothing to ask (OpenCode's shell does not ask either).
      ask: async () => {},
      ...(config.sandbox?.enabled ? { sandbox: { network: config.sandbox.network ?? false, writable: config.sandbox.writable ?? [], workTree: worktree } } : {}),
      ...(deps.shellEnv ? { env: deps.shellEnv() } : {}),
    }
    try {
      const result = await bashTool.execute({ command: input.command, description: "" }, context)
      await save({ ...part, state: { status: "completed", input: { command: input.command }, output: result.output, title: result.title, metadata: result.metadata, time: { start, end: Date.now() } } })
    } catch (error) {
      await save({ ...part, state: { status: "error", input: { command: input.command }, error: error instanceof Error ? error.message : String(error), time: { start, end: Date.now() } } })
    }
    assistant = { ...assistant, time: { ...assistant.time, completed: Date.now() } }
    await deps.writer.message(assistant, directory)
    return { info: assistant, parts: [part as Part] }
  }

  /** Stops the running shell command of a session (its process group), if any. */
  function abort(sessionID: string): void {
    running.get(sessionID)?.abort(new DOMException("Aborted", "AbortError"))
  }

  return { run, abort, busy: (sessionID: string) => running.has(sessionID) }
}
export type ShellRunner = ReturnType<typeof createShellRunner>
