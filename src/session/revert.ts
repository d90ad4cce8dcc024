import { z } from "zod"
import type { Snapshot } from "../snapshot/index.ts"
import { NamedError, NotFoundError, SessionBusyError } from "../util/named-error.ts"
import { SessionEvent } from "./events.ts"
import { orderByTurn } from "./history.ts"
import type { ProjectCache } from "./projects.ts"
import { repository } from "./repository.ts"
import type { RevertPreview } from "./query-schema.ts"
import type { FileDiff, Part, SessionInfo, WithParts } from "./schema.ts"
import type { SessionService } from "./service.ts"
import { directoryExists } from "./session-directory.ts"
import type { SnapshotRegistry } from "./snapshots.ts"
import { changeSpan, spanDiffs, toRelative, totals } from "./summary.ts"
import type { Writer } from "./writer.ts"

/**
 * Unrevert would overwrite files edited since the revert. HTTP 409; nothing was changed; retry with
 * `force` to overwrite them.
 */
export const RevertConflictError = NamedError.create(
  "RevertConflictError",
  z.object({ message: z.string(), sessionID: z.string(), files: z.array(z.string()) }),
)

/** Revert is impossible for this session (no snapshots). HTTP 400; nothing is hidden or changed. */
export const SnapshotUnavailableError = NamedError.create(
  "SnapshotUnavailableError",
  z.object({ message: z.string(), sessionID: z.string() }),
)

export interface ReverterDeps {
  writer: Writer
  sessions: SessionService
  projects: ProjectCache
  snapshots: SnapshotRegistry
  /** True while the session runs or has queued turns. */
  busy(sessionID: string): boolean
}

/** Where a revert starts: a whole turn (`partID` absent) or a part inside an assistant message. */
interface RevertPoint {
  messageID: string
  partID?: string
  /** Messages (in turn order) whose parts from the point on are reverted; the first may be partial. */
  messages: WithParts[]
}

/**
 * Revert, unrevert, and the deferred cleanup of a revert (OpenCode semantics, spec 4.6), restoring
 * only the files the session's patches name — never a whole-tree checkout, so files nobody in this
 * session changed are never touched (OpenCode's `checkout-index -a` clobbers them, spec 12 #5).
 * A file changed by someone else after the agent's last change to it is a conflict: it is reported
 * in `revert.conflicts` and left as it is, unless `force`.
 */
export function createReverter(deps: ReverterDeps) {
  const { writer } = deps

  /**
   * The session's snapshot store. @throws SnapshotUnavailableError (400) when snapshots are off or
   * impossible here, or when the session's directory is gone (an imported session from another machine,
   * a deleted checkout): nothing can be restored there, and git cannot even start in it.
   */
  async function snapshotOf(session: SessionInfo) {
    if (!directoryExists(session.directory)) {
      throw new SnapshotUnavailableError({
        sessionID: session.id,
        message: `Cannot revert: the session's directory ${session.directory} no longer exists (moved, deleted, or imported from another machine). No message was hidden and no file was changed.`,
      })
    }
    const project = await deps.projects.resolve(session.directory)
    const snapshot = deps.snapshots.forSession(session, project)
    if (!(snapshot instanceof Object && "track" in snapshot)) {
      throw new SnapshotUnavailableError({ sessionID: session.id, message: `Cannot revert: ${(snapshot as { reason: string }).reason}. No message was hidden and no file was changed.` })
    }
    return snapshot as Snapshot
  }

  function assertIdle(id: string) {
    if (deps.busy(id)) throw new SessionBusyError({ sessionID: id, message: `Session is busy: ${id}` })
  }

  async function orderedMessages(id: string): Promise<WithParts[]> {
    return orderByTurn((await repository.listMessages(writer.db, id)).items)
  }

  function revertPoint(messages: WithParts[], messageID: string, partID?: string): RevertPoint {
    const index = messages.findIndex((message) => message.info.id === messageID)
    if (index === -1) throw new NotFoundError({ message: `Message not found: ${messageID}` })
    const target = messages[index]
    if (partID) {
      const partIndex = target.parts.findIndex((part) => part.id === partID)
      if (partIndex === -1) throw new NotFoundError({ message: `Part not found: ${partID}` })
      const keepsContent = target.parts.slice(0, partIndex).some((part) => part.type === "text" || part.type === "tool")
      if (keepsContent) {
        return { messageID, partID, messages: [{ ...target, parts: target.parts.slice(partIndex) }, ...messages.slice(index + 1)] }
      }
    }
    let start = index
    while (start > 0 && messages[start].info.role !== "user") start--
    return { messageID: messages[start].info.id, messages: messages.slice(start) }
  }

  /** For each file the patches name: the tree before its first change and after its last one. */
  function fileHistory(point: RevertPoint, workTree: string) {
    const history = new Map<string, { before: string; after?: string }>()
    for (const message of point.messages) {
      const after = message.parts.find((part): part is Extract<Part, { type: "step-finish" }> => part.type === "step-finish")?.snapshot
      for (const part of message.parts) {
        if (part.type !== "patch") continue
        for (const absolute of part.files) {
          const file = toRelative(workTree, absolute)
          const entry = history.get(file)
          if (entry) entry.after = after ?? entry.after
          else history.set(file, { before: part.hash, after })
        }
      }
    }
    return history
  }

  /** Files a revert restored that were edited since (their disk content differs from the revert's). */
  async function editedSince(snapshot: Snapshot, revert: NonNullable<SessionInfo["revert"]>): Promise<string[]> {
    const files = revert.files ?? []
    if (!revert.reverted || files.length === 0) return []
    const expected = await snapshot.blobIds(revert.reverted, files)
    const disk = await snapshot.diskBlobIds(files)
    return files.filter((file) => expected.get(file) !== disk.get(file))
  }

  /** Puts back the files a revert restored, skipping `skip`. */
  async function undo(snapshot: Snapshot, revert: NonNullable<SessionInfo["revert"]>, skip: string[] = []): Promise<void> {
    const files = (revert.files ?? []).filter((file) => !skip.includes(file))
    if (revert.snapshot && files.length > 0) await snapshot.restore(revert.snapshot, files)
  }

  /**
   * Where a revert to `input` starts, each file's history from there, and the files (sorted).
   * @throws NotFoundError (message or part), SnapshotUnavailableError when a tree the files need is not
   * in the store (a turn recorded elsewhere, e.g. imported).
   */
  async function plan(id: string, snapshot: Snapshot, input: { messageID: string; partID?: string }) {
    const messages = await orderedMessages(id)
    const point = revertPoint(messages, input.messageID, input.partID)
    const history = fileHistory(point, snapshot.workTree)
    const files = [...history.keys()].sort()
    const trees = new Set([...history.values()].flatMap((entry) => [entry.before, ...(entry.after ? [entry.after] : [])]))
    for (const tree of trees) {
      if (!(await snapshot.has(tree))) {
        throw new SnapshotUnavailableError({
          sessionID: id,
          message: `Cannot revert: snapshot ${tree} is not in Spool's snapshot store (the turn was recorded elsewhere, e.g. an imported session). No message was hidden and no file was changed.`,
        })
      }
    }
    return { point, history, files }
  }

  /**
   * The conflicts among the files of `history`: a file whose content `now` (blob id per file, undefined
   * when absent) differs from what the agent's last step left (one git call per tree), sorted.
   */
  async function conflictsOf(snapshot: Snapshot, history: Map<string, { before: string; after?: string }>, now: Map<string, string | undefined>): Promise<string[]> {
    const conflicts: string[] = []
    const byAfter = new Map<string, string[]>()
    for (const [file, entry] of history) if (entry.after) byAfter.set(entry.after, [...(byAfter.get(entry.after) ?? []), file])
    for (const [after, group] of byAfter) {
      const agent = await snapshot.blobIds(after, group)
      for (const file of group) if (agent.get(file) !== now.get(file)) conflicts.push(file)
    }
    return conflicts.sort()
  }

  /** `files` grouped by the tree each is restored from (its content before the session's first change). */
  function byBefore(history: Map<string, { before: string; after?: string }>, files: string[]): Map<string, string[]> {
    const byTree = new Map<string, string[]>()
    for (const file of files) {
      const before = history.get(file)!.before
      byTree.set(before, [...(byTree.get(before) ?? []), file])
    }
    return byTree
  }

  /**
   * `GET /session/:id/revert?messageID=&partID=`: what `revert` with the same input would restore and
   * leave alone now, through the same plan and conflict check, changing nothing a user sees (no file,
   * no session; the work tree is tracked into Spool's private snapshot store, as `revert` does, so both
   * compare the same blobs). A pending revert is taken as undone
   * first, as `revert` does (its files edited since stay). Allowed while the session is busy (the answer
   * may then be stale).
   * @throws NotFoundError, SnapshotUnavailableError (400)
   */
  async function preview(id: string, input: { messageID: string; partID?: string }): Promise<RevertPreview> {
    const session = await deps.sessions.get(id)
    const snapshot = await snapshotOf(session)
    const { point, history, files } = await plan(id, snapshot, input)
    const now = files.length === 0 ? new Map<string, string | undefined>() : await snapshot.blobIds((await snapshot.track()).tree, files)
    if (session.revert?.snapshot) {
      const edited = await editedSince(snapshot, session.revert)
      const undone = (session.revert.files ?? []).filter((file) => !edited.includes(file))
      const before = await snapshot.blobIds(session.revert.snapshot, undone)
      for (const file of undone) if (history.has(file)) now.set(file, before.get(file))
    }
    const conflicts = files.length === 0 ? [] : await conflictsOf(snapshot, history, now)
    const restored: RevertPreview["files"] = []
    for (const [tree, group] of byBefore(history, files.filter((file) => !conflicts.includes(file)))) {
      const before = await snapshot.blobIds(tree, group)
      for (const file of group) restored.push({ file, action: before.get(file) === undefined ? "delete" : "restore" })
    }
    return {
      sessionID: id,
      messageID: point.messageID,
      ...(point.partID ? { partID: point.partID } : {}),
      files: restored.sort((a, b) => a.file.localeCompare(b.file)),
      conflicts,
      pending: session.revert !== undefined,
      diffs: await spanDiffs(snapshot, changeSpan(point.messages, snapshot.workTree)),
    }
  }

  /**
   * `POST /session/:id/revert {messageID, partID?, force?}`: restores the files changed at and after
   * that point and records the revert; messages stay until the next prompt.
   * @throws SessionBusyError, NotFoundError, SnapshotUnavailableError
   */
  async function revert(id: string, input: { messageID: string; partID?: string; force?: boolean }): Promise<SessionInfo> {
    assertIdle(id)
    let session = await deps.sessions.get(id)
    const snapshot = await snapshotOf(session)
    if (session.revert) {
      // Re-reverting: first put back what the previous revert restored (files edited since stay).
      await undo(snapshot, session.revert, input.force ? [] : await editedSince(snapshot, session.revert))
      session = { ...session, revert: undefined }
    }
    const { point, history, files } = await plan(id, snapshot, input)
    const current = await snapshot.track()
    const conflicts = input.force || files.length === 0 ? [] : await conflictsOf(snapshot, history, await snapshot.blobIds(current.tree, files))
    const restored = files.filter((file) => !conflicts.includes(file))
    for (const [tree, group] of byBefore(history, restored)) await snapshot.restore(tree, group)
    const reverted = await snapshot.track()
    const diffs = await snapshot.diff(current.tree, reverted.tree, restored)

    const next: SessionInfo = {
      ...session,
      revert: {
        messageID: point.messageID,
        ...(point.partID ? { partID: point.partID } : {}),
        snapshot: current.tree,
        diff: diffs.map((diff) => diff.patch).join(""),
        files: restored,
        ...(conflicts.length > 0 ? { conflicts } : {}),
        reverted: reverted.tree,
      },
      summary: { ...totals(diffs), diffs },
      time: { ...session.time, updated: Date.now() },
    }
    await writer.updateSession(next)
    writer.bus.publish(SessionEvent.Diff, { sessionID: id, diff: diffs }, session.directory)
    return next
  }

  /**
   * `POST /session/:id/unrevert {force?}`: puts back exactly the files the revert restored. When some
   * of them were edited since the revert, nothing is changed and `RevertConflictError` (409) names
   * them, unless `force`. No revert → the session as is.
   * @throws SessionBusyError, NotFoundError, RevertConflictError
   */
  async function unrevert(id: string, input: { force?: boolean } = {}): Promise<SessionInfo> {
    assertIdle(id)
    const session = await deps.sessions.get(id)
    if (!session.revert) return session
    const snapshot = await snapshotOf(session)
    if (!input.force) {
      const edited = await editedSince(snapshot, session.revert)
      if (edited.length > 0) {
        throw new RevertConflictError({
          sessionID: id,
          files: edited,
          message: `Files changed since the revert: ${edited.join(", ")}. Nothing was changed; unrevert with force to overwrite them.`,
        })
      }
    }
    await undo(snapshot, session.revert)
    const next: SessionInfo = { ...session, time: { ...session.time, updated: Date.now() } }
    delete next.revert
    const updated = await withSummary(next, snapshot, await orderedMessages(id))
    await writer.updateSession(updated)
    if (updated.summary?.diffs) writer.bus.publish(SessionEvent.Diff, { sessionID: id, diff: updated.summary.diffs }, session.directory)
    return updated
  }

  /**
   * Finalises a pending revert before a new prompt (spec 4.6 "cleanup"): deletes the reverted messages
   * (or, with `partID`, that message's parts from `partID` on), publishes their removal, clears
   * `revert`. Files are not touched again.
   */
  async function cleanup(session: SessionInfo): Promise<SessionInfo> {
    if (!session.revert) return session
    const messages = await orderedMessages(session.id)
    const point = revertPoint(messages, session.revert.messageID, session.revert.partID)
    const [first, ...rest] = point.messages
    if (point.partID) {
      for (const part of first.parts) await writer.removePart(part, session.directory)
    } else {
      await writer.removeMessage(session.id, first.info.id, session.directory)
    }
    for (const message of rest) await writer.removeMessage(session.id, message.info.id, session.directory)
    const next: SessionInfo = { ...session }
    delete next.revert
    const snapshot = await snapshotOf(session).catch(() => undefined)
    const remaining = await orderedMessages(session.id)
    await writer.updateSession(snapshot ? await withSummary(next, snapshot, remaining) : next)
    return (await writer.refreshUsage(session.id)) ?? next
  }

  /** `GET /session/:id/diff[?messageID=]`: the session's file diffs, or one turn's. */
  async function diff(id: string, messageID?: string): Promise<FileDiff[]> {
    const session = await deps.sessions.get(id)
    if (!messageID) return session.summary?.diffs ?? []
    const message = await deps.sessions.message(id, messageID)
    if (message.info.role === "user") return message.info.summary?.diffs ?? []
    const parent = await deps.sessions.message(id, message.info.parentID)
    return parent.info.role === "user" ? (parent.info.summary?.diffs ?? []) : []
  }

  return { revert, unrevert, cleanup, diff, preview }
}

/** The session with `summary` recomputed over `messages` (all the session's changes). */
export async function withSummary(session: SessionInfo, snapshot: Snapshot, messages: WithParts[]): Promise<SessionInfo> {
  const diffs = await spanDiffs(snapshot, changeSpan(messages, snapshot.workTree))
  return { ...session, summary: { ...totals(diffs), diffs } }
}

export type Reverter = ReturnType<typeof createReverter>
