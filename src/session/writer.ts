import type { Kysely } from "kysely"
import type { Bus } from "../bus/index.ts"
import type { Database } from "../storage/index.ts"
import { toStorageError } from "../util/storage-full.ts"
import { MessageEvent, SessionEvent, TodoEvent } from "./events.ts"
import { repository } from "./repository.ts"
import type { Message, Part, SessionInfo, Todo } from "./schema.ts"
import { cacheEfficiency } from "./stats.ts"

/**
 * The only path by which session state changes: each method stores the change, then publishes the
 * matching event ("write, then publish"), so any client that reloads after an event sees the change.
 */
export interface Writer {
  db: Kysely<Database>
  bus: Bus
  createSession(info: SessionInfo): Promise<void>
  updateSession(info: SessionInfo): Promise<void>
  deleteSession(info: SessionInfo): Promise<void>
  message(info: Message, directory: string): Promise<void>
  removeMessage(sessionID: string, messageID: string, directory: string): Promise<void>
  part(part: Part, directory: string): Promise<void>
  /**
   * Stores a message with its parts in one transaction — all or nothing, so a failed write (a full disk)
   * never leaves a prompt without its text — then publishes `message.updated` and each `message.part.updated`.
   */
  messageWithParts(info: Message, parts: Part[], directory: string): Promise<void>
  /** Stores a part without publishing (periodic saves of streaming text; the delta events went out). */
  savePart(part: Part): Promise<void>
  removePart(part: Pick<Part, "id" | "sessionID" | "messageID">, directory: string): Promise<void>
  todos(sessionID: string, todos: Todo[], directory: string): Promise<void>
  /** Recomputes the session's cost and token totals from its step-finish parts, stores and publishes. */
  refreshUsage(sessionID: string): Promise<SessionInfo | undefined>
  /**
   * Read-modify-write of one session inside a transaction, so concurrent patches (usage totals, a
   * title arriving mid-turn) never overwrite each other. `change` returns undefined to leave it as is.
   */
  patchSession(sessionID: string, change: (info: SessionInfo) => SessionInfo | undefined): Promise<SessionInfo | undefined>
}

/** Creates the writer over a database and bus. `now` is injectable for tests (epoch ms). */
export function createWriter(db: Kysely<Database>, bus: Bus, now: () => number = Date.now): Writer {
  const writer: Writer = {
    db,
    bus,
    async createSession(info) {
      await repository.insertSession(db, info)
      bus.publish(SessionEvent.Created, { sessionID: info.id, info }, info.directory)
    },
    async updateSession(info) {
      await repository.updateSession(db, info)
      bus.publish(SessionEvent.Updated, { sessionID: info.id, info }, info.directory)
    },
    async deleteSession(info) {
      await repository.deleteSession(db, info.id)
      bus.publish(SessionEvent.Deleted, { sessionID: info.id, info }, info.directory)
    },
    async message(info, directory) {
      await repository.upsertMessage(db, info, now())
      bus.publish(MessageEvent.Updated, { sessionID: info.sessionID, info }, directory)
    },
    async removeMessage(sessionID, messageID, directory) {
      await repository.deleteMessage(db, messageID)
      bus.publish(MessageEvent.Removed, { sessionID, messageID }, directory)
    },
    async part(part, directory) {
      const time = now()
      await repository.upsertPart(db, part, time)
      bus.publish(MessageEvent.PartUpdated, { sessionID: part.sessionID, part, time }, directory)
    },
    async messageWithParts(info, parts, directory) {
      const time = now()
      await db.transaction().execute(async (trx) => {
        await repository.upsertMessage(trx, info, time)
        for (const part of parts) await repository.upsertPart(trx, part, time)
      })
      bus.publish(MessageEvent.Updated, { sessionID: info.sessionID, info }, directory)
      for (const part of parts) bus.publish(MessageEvent.PartUpdated, { sessionID: part.sessionID, part, time }, directory)
    },
    async savePart(part) {
      await repository.upsertPart(db, part, now())
    },
    async removePart(part, directory) {
      await repository.deletePart(db, part.id)
      bus.publish(MessageEvent.PartRemoved, { sessionID: part.sessionID, messageID: part.messageID, partID: part.id }, directory)
    },
    async todos(sessionID, todos, directory) {
      await db.transaction().execute((trx) => repository.setTodos(trx, sessionID, todos, now()))
      bus.publish(TodoEvent.Updated, { sessionID, todos }, directory)
    },
    async refreshUsage(sessionID) {
      const usage = await repository.usage(db, sessionID)
      return writer.patchSession(sessionID, (info) => ({
        ...info,
        cost: usage.cost,
        tokens: usage.tokens,
        stats: { steps: usage.steps, cacheEfficiency: cacheEfficiency(usage.tokens) },
      }))
    },
    async patchSession(sessionID, change) {
      const next = await db.transaction().execute(async (trx) => {
        const info = await repository.getSession(trx, sessionID)
        const changed = info ? change(info) : undefined
        if (changed) await repository.updateSession(trx, changed)
        return changed
      })
      if (next) bus.publish(SessionEvent.Updated, { sessionID: next.id, info: next }, next.directory)
      return next
    },
  }
  return writer
}

/** The writer methods that store something (all but `db` and `bus`). */
type WriteMethod = Exclude<keyof Writer, "db" | "bus">
const WRITE_METHODS: WriteMethod[] = [
  "createSession",
  "updateSession",
  "deleteSession",
  "message",
  "removeMessage",
  "part",
  "messageWithParts",
  "savePart",
  "removePart",
  "todos",
  "refreshUsage",
  "patchSession",
]

/**
 * The writer of one turn: the same writes, but the first one that fails calls `onFailure(error)` (the
 * prompt runner aborts the turn then: a turn whose record cannot be stored must not stream on into a
 * void). Every failure still reaches the caller, a full disk as `StorageFullError` (`toStorageError`).
 */
export function watchWrites(writer: Writer, onFailure: (error: unknown) => void): Writer {
  const watched: Writer = { ...writer }
  for (const method of WRITE_METHODS) {
    const write = writer[method] as (...args: unknown[]) => Promise<unknown>
    ;(watched as unknown as Record<WriteMethod, unknown>)[method] = async (...args: unknown[]) => {
      try {
        return await write(...args)
      } catch (error) {
        const mapped = toStorageError(error)
        onFailure(mapped)
        throw mapped
      }
    }
  }
  return watched
}
