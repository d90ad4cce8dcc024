import { join } from "node:path"
import type { Logger } from "../util/log.ts"
import type { Snapshot } from "../snapshot/index.ts"
import { SessionEvent } from "./events.ts"
import { orderByTurn } from "./history.ts"
import { repository } from "./repository.ts"
import { withSummary } from "./revert.ts"
import type { SessionInfo, UserMessage } from "./schema.ts"
import { spanDiffs } from "./summary.ts"
import type { Writer } from "./writer.ts"

/** What a finished step changed on disk. */
export interface StepChanges {
  /** Tree after the step. */
  tree: string
  /** Absolute paths of the files that differ from the step's start tree. */
  files: string[]
  /** Work-tree-relative paths skipped for exceeding the snapshot size cap. */
  skipped: string[]
}

/**
 * Snapshots around the steps of one turn (spec 2.5, issue 3): the tree before each step, the tree
 * after it and the files it changed, plus the per-turn diffs on the user message and the session
 * summary. A snapshot failure is logged and the step goes on without one: losing undo for a step is
 * better than losing the step.
 */
export function createStepSnapshots(input: { snapshot?: Snapshot; writer: Writer; log: Logger; session: SessionInfo; user: () => UserMessage }) {
  const { snapshot, writer, log } = input
  let turnStart: string | undefined
  let turnEnd: string | undefined
  const turnFiles = new Set<string>()

  async function track(): Promise<{ tree: string; skipped: string[] } | undefined> {
    if (!snapshot) return undefined
    try {
      return await snapshot.track()
    } catch (error) {
      log.warn({ err: error, sessionID: input.session.id }, "snapshot failed; this step cannot be reverted")
      return undefined
    }
  }

  return {
    /** Tree before a step (`step-start.snapshot`). */
    async start(): Promise<string | undefined> {
      const result = await track()
      if (result && turnStart === undefined) turnStart = result.tree
      return result?.tree
    },

    /**
     * Tree after a step and what changed since `start`. A step that ran only read-only tools (or none)
     * cannot have changed files, so its start tree is reused instead of scanning the work tree again.
     */
    async finish(start: string | undefined, changesFiles: boolean): Promise<StepChanges | undefined> {
      if (!snapshot || !start) return undefined
      if (!changesFiles) {
        turnEnd = start
        return { tree: start, files: [], skipped: [] }
      }
      const result = await track()
      if (!result) return undefined
      turnEnd = result.tree
      try {
        const changed = await snapshot.changedFiles(start, result.tree)
        for (const file of changed) turnFiles.add(file)
        return { tree: result.tree, files: changed.map((file) => join(snapshot.workTree, file)), skipped: result.skipped }
      } catch (error) {
        log.warn({ err: error }, "snapshot diff failed")
        return { tree: result.tree, files: [], skipped: result.skipped }
      }
    },

    /**
     * After a step that changed files: stores the turn's diffs on the user message
     * (`summary.diffs`) and the session's on `Session.summary`, publishing `session.diff`.
     */
    async summarise(): Promise<void> {
      if (!snapshot || turnStart === undefined || turnEnd === undefined) return
      try {
        const diffs = await spanDiffs(snapshot, { from: turnStart, to: turnEnd, files: [...turnFiles].sort() })
        const stored = await repository.getMessage(writer.db, input.session.id, input.user().id)
        if (stored && stored.info.role === "user") {
          await writer.message({ ...stored.info, summary: { ...stored.info.summary, diffs } }, input.session.directory)
        }
        const messages = orderByTurn((await repository.listMessages(writer.db, input.session.id)).items)
        const { summary } = await withSummary(input.session, snapshot, messages)
        const next = await writer.patchSession(input.session.id, (session) => ({ ...session, summary }))
        if (next) writer.bus.publish(SessionEvent.Diff, { sessionID: next.id, diff: summary?.diffs ?? [] }, next.directory)
      } catch (error) {
        log.warn({ err: error }, "diff summary failed")
      }
    },
  }
}
