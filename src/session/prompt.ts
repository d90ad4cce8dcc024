import { createId } from "../id/index.ts"
import { parseModel } from "../provider/index.ts"
import { BadRequestError } from "../util/named-error.ts"
import type { PromptInput } from "./input-schema.ts"
import type { AssistantMessage, Part, SessionInfo, UserMessage, WithParts } from "./schema.ts"
import type { SessionService } from "./service.ts"
import { runTurn, type TurnDeps } from "./turn.ts"
import { assistantMessage } from "./turn-recorder.ts"
import { SessionEvent } from "./events.ts"
import { watchWrites } from "./writer.ts"
import { StorageFullError, UnknownError } from "../util/named-error.ts"
import { toStorageError } from "../util/storage-full.ts"
import type { MessageError } from "../provider/index.ts"
import { checkAgent, checkPromptFits } from "./admission.ts"
import type { ProjectCache } from "./projects.ts"
import { Snapshot } from "../snapshot/index.ts"
import type { FileGuard } from "../tool/index.ts"
import type { Reverter } from "./revert.ts"
import type { SnapshotRegistry } from "./snapshots.ts"
import { titleSession } from "./title.ts"
import { repository } from "./repository.ts"
import { directoryExists } from "./session-directory.ts"

/** Dependencies of the prompt runner. */
export interface PromptDeps extends TurnDeps {
  sessions: SessionService
  projects: ProjectCache
  snapshots: SnapshotRegistry
  /** Finalises a pending revert before a new prompt is stored. */
  reverter: Pick<Reverter, "cleanup">
  files?: { forSession(sessionID: string): FileGuard }
  /** The default model, `provider/model`, used when neither the prompt nor the session names one. */
  defaultModel: () => string | undefined
}

interface QueuedTurn {
  session: SessionInfo
  user: UserMessage
  resolve(result: WithParts): void
}

/** Options of a prompt besides its body. */
export interface PromptOptions {
  /**
   * The directory the request explicitly names (`?directory=`; `spool run --dir`): where a session whose
   * own directory is gone continues. Ignored while the session's directory exists.
   */
  directory?: string
}

interface SessionRun {
  queue: QueuedTurn[]
  abort?: AbortController
  done?: Promise<void>
}

const DEFAULT_AGENT = "build"
/** How long (ms) a prompt's answer waits after its turn's last event (see `drain`). */
const ANSWER_AFTER_EVENTS_MS = 50

/**
 * Prompts and the per-session turn queue (spec 9.1 and 6.2, with Spool's queue semantics).
 *
 * Contract:
 * - The user message and its parts are stored (and published) before `prompt` waits for anything.
 * - One turn runs per session at a time. A prompt that arrives while a turn runs is queued and gets its
 *   own turn afterwards, in arrival order; it is never merged into the running turn and never dropped.
 * - `abort` stops the running turn only; queued prompts still run (they were sent after the aborted one
 *   and usually say what to do instead).
 * - `prompt` resolves with the last assistant message of its turn (with an `error` when the turn failed)
 *   or, with `noReply`, with the user message.
 */
export function createPromptRunner(deps: PromptDeps) {
  const runs = new Map<string, SessionRun>()

  /**
   * Checks a prompt before anything is stored: the session exists, client-supplied IDs are new, a
   * model is known. A `noReply` prompt runs no model, so it needs none (OpenCode 1.18 stores it
   * too): `model` is then undefined when nothing names one. A session whose directory is gone (an
   * imported session from another machine, a deleted checkout) runs no turn there: the prompt is refused
   * unless `options.directory` names an existing directory to continue in, where the session then moves
   * (`SessionService.continueIn`; noReply prompts run nothing and are stored as they are).
   * @throws NotFoundError, BadRequestError
   */
  async function admit(sessionID: string, input: PromptInput, options: PromptOptions = {}) {
    let session = await deps.sessions.get(sessionID)
    await rejectExistingIDs(input)
    checkAgent(deps.config(), input.agent)
    const agentModel = parseModel(deps.config().agent?.[input.agent ?? DEFAULT_AGENT]?.model)
    const model = input.model ?? agentModel ?? lastModel(session) ?? parseModel(deps.defaultModel())
    if (!model) {
      if (input.noReply) return { session, model }
      throw new BadRequestError({ message: "No model: pass model {providerID, modelID}, set SPOOL_MODEL, --model, or model in spool.json" })
    }
    checkPromptFits(deps.config(), model, input)
    if (!input.noReply && !directoryExists(session.directory)) {
      if (options.directory === undefined) {
        throw new BadRequestError({
          message: `The session's directory ${session.directory} no longer exists (moved, deleted, or imported from another machine): its tools cannot run there. To continue the session in an existing directory, send the prompt with ?directory=<path> (spool run: --dir <path>).`,
        })
      }
      session = await deps.sessions.continueIn(sessionID, options.directory)
    }
    return { session, model }
  }

  /**
   * Stores a prompt and, unless `noReply`, runs its turn (queued behind running ones); resolves with the
   * turn's last assistant message. `options.directory`: where to continue a session whose directory is
   * gone (see `admit`).
   */
  async function prompt(sessionID: string, input: PromptInput, options: PromptOptions = {}): Promise<WithParts> {
    const admitted = await admit(sessionID, input, options)
    const model = admitted.model
    // A pending revert is final once the user moves on: its messages are deleted now (spec 4.6).
    const session = await deps.reverter.cleanup(admitted.session)
    const now = Date.now()
    const user: UserMessage = {
      id: input.messageID ?? createId("message"),
      sessionID,
      role: "user",
      time: { created: now },
      agent: input.agent ?? DEFAULT_AGENT,
      // The model the prompt is for, as OpenCode records it; a noReply prompt with none anywhere
      // (no prompt, agent, session or default model) records empty ids, and the session keeps none.
      model: { providerID: model?.providerID ?? "", modelID: model?.modelID ?? "" },
      ...(input.system ? { system: input.system } : {}),
      ...(input.tools ? { tools: input.tools } : {}),
    }
    const parts: Part[] = input.parts.map((part) => ({ ...part, id: part.id ?? createId("part"), sessionID, messageID: user.id }) as Part)

    const touched: SessionInfo = {
      ...session,
      agent: user.agent,
      ...(model ? { model: { id: model.modelID, providerID: model.providerID, variant: input.variant ?? "default" } } : {}),
      time: { ...session.time, updated: now },
    }
    await deps.writer.updateSession(touched)
    // All or nothing: a failed write (507 on a full disk) must not leave a prompt without its text.
    await deps.writer.messageWithParts(user, parts, session.directory)
    if (input.noReply || !model) return { info: user, parts }
    void titleSession(deps, touched, parts).catch((error) => deps.log.warn({ err: error, sessionID }, "title generation failed"))
    return enqueue(touched, user)
  }

  /** Queues a stored user message for its turn; resolves with the turn's last assistant message. */
  function enqueue(session: SessionInfo, user: UserMessage): Promise<WithParts> {
    return new Promise<WithParts>((resolve) => {
      const run = runs.get(session.id) ?? { queue: [] }
      runs.set(session.id, run)
      run.queue.push({ session, user, resolve })
      // `drain` never rejects; the catch only keeps a bug in it from becoming an unhandled rejection.
      if (!run.done) run.done = drain(session.id, run).catch((error) => deps.log.error({ err: error, sessionID: session.id }, "turn queue failed"))
    })
  }

  /**
   * `POST /session/:id/summarize {providerID, modelID}`: stores a user message carrying a `compaction`
   * part and queues it like a prompt; its turn writes the summary (`summary: true`). Resolves with the
   * summary message.
   */
  async function summarize(sessionID: string, model: { providerID: string; modelID: string }): Promise<WithParts> {
    const session = await deps.reverter.cleanup(await deps.sessions.get(sessionID))
    const user: UserMessage = {
      id: createId("message"),
      sessionID,
      role: "user",
      time: { created: Date.now() },
      agent: session.agent ?? DEFAULT_AGENT,
      model,
    }
    await deps.writer.messageWithParts(user, [{ id: createId("part"), sessionID, messageID: user.id, type: "compaction", auto: false }], session.directory)
    return enqueue(session, user)
  }

  /**
   * Client-supplied IDs must be new: storing under an existing ID would overwrite another message or
   * part (possibly of another session) while its row stays where it was.
   * @throws BadRequestError
   */
  async function rejectExistingIDs(input: PromptInput) {
    const db = deps.writer.db
    const [message] = input.messageID ? await repository.existingIDs(db, "message", [input.messageID]) : []
    if (message) throw new BadRequestError({ message: `Message ID already exists: ${message}`, kind: "Payload" })
    const partIDs = input.parts.flatMap((part) => (part.id ? [part.id] : []))
    const [part] = await repository.existingIDs(db, "part", partIDs)
    if (part) throw new BadRequestError({ message: `Part ID already exists: ${part}`, kind: "Payload" })
  }

  /**
   * Runs the queued turns of a session one after another, then sets it idle. Never rejects: each turn's
   * waiter is resolved whatever happens to the turn (see `runQueued`), and the queue goes on.
   * A waiter is resolved only once its turn's events are all published — the session touched after the
   * turn and, for the last queued turn, `session.status` idle — so the `POST` that waits answers after
   * them, as OpenCode's does (`opencode run --attach` exits on the answer).
   */
  async function drain(sessionID: string, run: SessionRun) {
    let first = true
    let directory: string | undefined
    let current: QueuedTurn | undefined
    let last: { waiter: QueuedTurn; result: WithParts } | undefined
    try {
      while (run.queue.length > 0) {
        const next = run.queue.shift()!
        current = next
        const session = await deps.sessions.get(sessionID).catch(() => undefined)
        if (!session) {
          next.resolve({ info: next.user, parts: [] })
          continue
        }
        directory = session.directory
        if (first || deps.status.get(sessionID).type === "idle") deps.status.set(session, { type: "busy" })
        const restamp = !first
        first = false
        const result = await runQueued(run, session, next, restamp)
        current = undefined
        await deps.writer
          .patchSession(sessionID, (latest) => ({ ...latest, time: { ...latest.time, updated: Date.now() } }))
          .catch((error) => deps.log.warn({ err: error, sessionID }, "could not touch the session after its turn"))
        // The last turn's waiter waits for the idle status (below); earlier ones are answered now.
        if (run.queue.length > 0) next.resolve(result)
        else last = { waiter: next, result }
      }
    } catch (error) {
      deps.log.error({ err: error, sessionID }, "turn queue failed")
      for (const queued of [...(current ? [current] : []), ...run.queue.splice(0)]) queued.resolve({ info: queued.user, parts: [] })
    } finally {
      runs.delete(sessionID)
      if (directory !== undefined) deps.status.set({ id: sessionID, directory }, { type: "idle" })
      if (last) {
        const { waiter, result } = last
        // The events went out on the clients' event streams; the answer goes out on another connection
        // a little later, so a client that stops reading events when the answer arrives (`opencode run
        // --attach`) has read them first (OpenCode answers ~150 ms after its last event).
        setTimeout(() => waiter.resolve(result), ANSWER_AFTER_EVENTS_MS)
      }
    }
  }

  /**
   * Runs one queued turn; never throws. The turn writes through `watchWrites`: its first failed write
   * (a full disk) aborts it, and the turn ends with that error (`StorageFullError`). A turn that throws
   * anyway (a write outside the recorder, a bug) ends with an assistant message carrying the error,
   * stored when the database takes it, and `session.error` is published.
   */
  async function runQueued(run: SessionRun, session: SessionInfo, next: QueuedTurn, restamp: boolean): Promise<WithParts> {
    const controller = new AbortController()
    run.abort = controller
    let writeFailure: unknown
    const writer = watchWrites(deps.writer, (error) => {
      writeFailure ??= error
      controller.abort(new DOMException("Aborted: the turn could not be stored", "AbortError"))
    })
    let worktree = session.directory
    try {
      if (restamp) {
        // A prompt that waited for an earlier turn is stamped with the time its own turn starts, so it
        // lists after that turn's answers (the order the model sees it in).
        next.user = { ...next.user, time: { ...next.user.time, created: Date.now() } }
        await writer.message(next.user, session.directory)
      }
      const project = await deps.projects.resolve(session.directory)
      worktree = project.id === "global" ? session.directory : project.worktree
      const snapshot = deps.snapshots.forSession(session, project)
      const result = await runTurn(
        { ...deps, writer },
        {
          session,
          user: next.user,
          worktree,
          abort: controller.signal,
          snapshot: snapshot instanceof Snapshot ? snapshot : undefined,
          files: deps.files?.forSession(session.id),
        },
      )
      if (writeFailure !== undefined && (result?.info.role !== "assistant" || result.info.error?.name !== turnError(writeFailure).name)) {
        // The failed write was not the recorder's own (a tool's todo list, say): the turn still ends with it.
        return await failTurn(session, next.user, worktree, writeFailure, result)
      }
      return result ?? { info: next.user, parts: [] }
    } catch (error) {
      return await failTurn(session, next.user, worktree, writeFailure ?? error)
    } finally {
      run.abort = undefined
    }
  }

  /**
   * Ends a turn with `error` (`StorageFullError` for a full disk, else `UnknownError`): on `result`'s
   * assistant message, or a new one answering `user`; stored if the database takes it (best effort: the
   * disk may still be full), published as `session.error`. Never throws.
   */
  async function failTurn(session: SessionInfo, user: UserMessage, worktree: string, error: unknown, result?: WithParts): Promise<WithParts> {
    const messageError = turnError(error)
    deps.log.error({ err: error, sessionID: session.id }, "turn failed")
    const now = Date.now()
    const base = result?.info.role === "assistant" ? result.info : assistantMessage(session, user, worktree, now)
    const info: AssistantMessage = { ...base, error: messageError, finish: "error", time: { ...base.time, completed: now } }
    try {
      await deps.writer.message(info, session.directory)
    } catch (writeError) {
      deps.log.warn({ err: writeError, sessionID: session.id }, "could not store the failed turn's error")
    }
    deps.writer.bus.publish(SessionEvent.Error, { sessionID: session.id, error: messageError }, session.directory)
    return { info, parts: result?.parts ?? [] }
  }

  /**
   * Starts a prompt without waiting for the turn (`prompt_async`); failures end up on the message, and a
   * prompt that could not even be stored (a full disk) is reported as `session.error`.
   */
  async function promptAsync(sessionID: string, input: PromptInput, options: PromptOptions = {}): Promise<void> {
    // Refuse what `prompt` would refuse while the client can still be told (400/404, not a silent 204).
    const { session } = await admit(sessionID, input, options)
    void prompt(sessionID, input, options).catch((error) => {
      deps.log.error({ err: error, sessionID }, "async prompt failed")
      // The client has had its 204: the event stream is where it learns (a full disk: StorageFullError).
      deps.writer.bus.publish(SessionEvent.Error, { sessionID, error: turnError(error) }, session.directory)
    })
  }

  /** Aborts the running turn of a session, if any. Always succeeds (`POST /abort` → `true`). */
  function abort(sessionID: string): void {
    runs.get(sessionID)?.abort?.abort(new DOMException("Aborted", "AbortError"))
  }

  /** True while a turn runs or is queued. */
  function busy(sessionID: string): boolean {
    return runs.has(sessionID)
  }

  /** Aborts every running turn and waits for the queues to settle (shutdown). */
  async function stopAll(): Promise<void> {
    for (const [, run] of runs) {
      for (const queued of run.queue.splice(0)) queued.resolve({ info: queued.user, parts: [] })
      run.abort?.abort(new DOMException("Aborted", "AbortError"))
    }
    await Promise.all([...runs.values()].map((run) => run.done))
  }

  return { prompt, promptAsync, summarize, abort, busy, stopAll }
}

/** A turn's failure as an assistant error: `StorageFullError` for a full disk, else `UnknownError`. */
function turnError(error: unknown): MessageError {
  const mapped = toStorageError(error)
  if (StorageFullError.isInstance(mapped)) return mapped.toObject()
  return new UnknownError({ message: error instanceof Error ? error.message : String(error) }).toObject()
}

function lastModel(session: SessionInfo) {
  return session.model ? { providerID: session.model.providerID, modelID: session.model.id } : undefined
}

export type PromptRunner = ReturnType<typeof createPromptRunner>
