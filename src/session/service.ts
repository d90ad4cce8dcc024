import { resolve } from "node:path"
import type { Config } from "../config/index.ts"
import { createId } from "../id/index.ts"
import { NotFoundError, SessionBusyError } from "../util/named-error.ts"
import type { SessionCreateInput, SessionUpdateInput } from "./input-schema.ts"
import { relativePath, type ProjectCache } from "./projects.ts"
import { checkSessionDirectory, directoryExists } from "./session-directory.ts"
import { repository, type Cursor, type Page, type SessionListFilter, type SessionReference } from "./repository.ts"
import type { Message, Part, SessionInfo, Todo, WithParts } from "./schema.ts"
import { createSlug } from "./slug.ts"
import type { Writer } from "./writer.ts"
import { sessionStats, type SessionStats } from "./stats.ts"

/** Dependencies of the session service. */
export interface SessionServiceDeps {
  writer: Writer
  projects: ProjectCache
  /** True while the session runs or has queued turns (the prompt runner's view; shared with revert). */
  busy(sessionID: string): boolean
  /** Version string stamped on new sessions (`Session.version`). */
  version: string
  /**
   * The current config (re-read on reload): its `provider.<id>.models.<model>.cost` prices count in
   * `stats` beside the bundled catalogue's, so a model priced only in config is not reported unpriced.
   */
  config?: () => Pick<Config, "provider">
}

/** Options of `list`, in API terms (see `SessionListFilter`). */
export interface ListOptions {
  /** The instance directory the request is scoped to (query, header, or server cwd). */
  directory: string
  /**
   * Filter to sessions created exactly in `directory` (when the client passed `?directory=`). Outside
   * git (project `global`) the filter always applies, in place of the project.
   */
  exactDirectory?: boolean
  roots?: boolean
  start?: number
  search?: string
  archived?: boolean
  limit?: number
  before?: Cursor
  /** Every project, not just the directory's (`spool search`). */
  allProjects?: boolean
}

const DEFAULT_LIST_LIMIT = 100

/**
 * Session lifecycle (spec section 4): create, get, list, update, delete with cascade, children, fork,
 * messages and todos. Every change goes through the writer (store, then publish).
 *
 * Errors: `NotFoundError` for a missing session, parent or message; `BadRequestError` for a directory
 * that does not exist, is not a directory, or is `/` or the home directory (`checkSessionDirectory`); `SessionBusyError` for deleting a message of a busy session.
 */
export function createSessionService(deps: SessionServiceDeps) {
  const { writer, projects } = deps
  const db = writer.db

  async function get(id: string): Promise<SessionInfo> {
    const info = await repository.getSession(db, id)
    if (!info) throw new NotFoundError({ message: `Session not found: ${id}` })
    return info
  }

  async function create(input: SessionCreateInput & { directory: string }): Promise<SessionInfo> {
    const directory = checkSessionDirectory(input.directory)
    if (input.parentID) await get(input.parentID)
    const project = await projects.resolve(directory)
    const now = Date.now()
    const iso = new Date(now).toISOString()
    const info: SessionInfo = {
      id: createId("session"),
      slug: createSlug(),
      projectID: project.id,
      ...(input.workspaceID ? { workspaceID: input.workspaceID } : {}),
      directory,
      path: project.id === "global" ? undefined : relativePath(project.worktree, directory),
      ...(input.parentID ? { parentID: input.parentID } : {}),
      cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      title: input.title ?? `${input.parentID ? "Child" : "New"} session - ${iso}`,
      version: deps.version,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ...(input.permission ? { permission: input.permission } : {}),
      time: { created: now, updated: now },
    }
    if (info.path === undefined) delete info.path
    await repository.upsertProject(db, { id: project.id, worktree: project.worktree, vcs: project.vcs }, now)
    await writer.createSession(info)
    return info
  }

  async function listFilter(options: ListOptions): Promise<SessionListFilter> {
    const project = options.allProjects ? undefined : await projects.resolve(options.directory)
    // Outside git (and for a directory that no longer exists) every directory shares OpenCode's "global"
    // project: the project alone would list the sessions of every such directory (all imports among
    // them). There the directory is the filter instead, as OpenCode's `?directory=`; sessions imported
    // from it keep the project id their source gave them, and are listed too.
    const global = project?.id === "global"
    return {
      projectID: global ? undefined : project?.id,
      directory: options.exactDirectory || global ? resolve(options.directory) : undefined,
      roots: options.roots,
      start: options.start,
      search: options.search,
      archived: options.archived,
      limit: options.limit ?? DEFAULT_LIST_LIMIT,
      before: options.before,
    }
  }

  /**
   * The cursor of the page that follows the first `options.limit` sessions of the list, undefined
   * when there is none; reads no session data (for pages streamed in batches, whose headers go first).
   */
  async function listNextCursor(options: ListOptions): Promise<Cursor | undefined> {
    return repository.listNextCursor(db, await listFilter(options))
  }

  async function list(options: ListOptions): Promise<Page<SessionInfo>> {
    const page = await repository.listSessions(db, await listFilter(options))
    if (!options.search) return page
    // Say where each result matched: the title, else the best content match.
    const needle = options.search.toLowerCase()
    const content = await repository.contentMatches(db, page.items.filter((info) => !info.title.toLowerCase().includes(needle)).map((info) => info.id), options.search)
    return {
      ...page,
      items: page.items.map((info) => {
        if (info.title.toLowerCase().includes(needle)) return { ...info, match: { field: "title" as const } }
        const found = content.get(info.id)
        return found ? { ...info, match: { field: "content" as const, ...found } } : info
      }),
    }
  }

  /**
   * Applies a PATCH (spec 4.2): title and `time.archived` do not bump `time.updated`; metadata is
   * replaced and permission rules are appended, both bumping it.
   */
  async function update(id: string, input: SessionUpdateInput): Promise<SessionInfo> {
    const info = structuredClone(await get(id))
    const now = Date.now()
    if (input.title !== undefined) info.title = input.title
    if (input.time?.archived !== undefined) info.time.archived = input.time.archived
    if (input.metadata !== undefined) {
      info.metadata = input.metadata
      info.time.updated = now
    }
    if (input.permission !== undefined) {
      info.permission = [...(info.permission ?? []), ...input.permission]
      info.time.updated = now
    }
    await writer.updateSession(info)
    return info
  }

  /**
   * Moves a session whose directory no longer exists to `directory`, so that its turns run there (issue
   * 9: an imported session from another machine, a deleted checkout): `directory`, `projectID` and `path`
   * become those of the new directory, `time.updated` now; `session.updated` is published. A session
   * whose directory still exists is returned unchanged (a request's directory only routes, as in
   * OpenCode). @throws NotFoundError; BadRequestError (400) when `directory` is unusable (see
   * `checkSessionDirectory`: missing, not a directory, `/`, the home directory).
   */
  async function continueIn(id: string, directory: string): Promise<SessionInfo> {
    const info = structuredClone(await get(id))
    if (directoryExists(info.directory)) return info
    const target = checkSessionDirectory(directory)
    const project = await projects.resolve(target)
    const now = Date.now()
    info.directory = target
    info.projectID = project.id
    if (project.id === "global") delete info.path
    else info.path = relativePath(project.worktree, target)
    info.time.updated = now
    await repository.upsertProject(db, { id: project.id, worktree: project.worktree, vcs: project.vcs }, now)
    await writer.updateSession(info)
    return info
  }

  /** Deletes a session and, first, all its descendants (each publishes `session.deleted`). */
  async function remove(id: string): Promise<void> {
    const info = await get(id)
    const removeTree = async (session: SessionInfo) => {
      for (const child of await repository.children(db, session.id)) await removeTree(child)
      await writer.deleteSession(session)
    }
    await removeTree(info)
  }

  async function children(id: string): Promise<SessionInfo[]> {
    await get(id)
    return repository.children(db, id)
  }

  /**
   * Forks a session (spec 4.4): a new root session in the same directory titled `<title> (fork #N)`,
   * where N is one more than the highest fork number among the original's existing forks, with the
   * messages strictly before `messageID` (all when absent) copied under fresh IDs; `parentID` links are
   * rewritten and original creation times kept.
   * @throws NotFoundError when the session or `messageID` does not exist.
   */
  async function fork(id: string, messageID?: string): Promise<SessionInfo> {
    const original = await get(id)
    const { items } = await repository.listMessages(db, id)
    let cut = items.length
    if (messageID) {
      cut = items.findIndex((message) => message.info.id === messageID)
      if (cut === -1) throw new NotFoundError({ message: `Message not found: ${messageID}` })
    }
    const base = original.title.replace(/ \(fork #\d+\)$/, "")
    const forkNumber = await nextForkNumber(original, base)
    const info = await create({
      directory: original.directory,
      title: `${base} (fork #${forkNumber})`,
      metadata: original.metadata ? structuredClone(original.metadata) : undefined,
      workspaceID: original.workspaceID,
    })
    const ids = new Map<string, string>()
    for (const { info: message } of items.slice(0, cut)) ids.set(message.id, createId("message"))
    for (const { info: message, parts } of items.slice(0, cut)) {
      const copy = { ...structuredClone(message), id: ids.get(message.id)!, sessionID: info.id } as Message
      if (copy.role === "assistant") copy.parentID = ids.get(copy.parentID) ?? copy.parentID
      await writer.message(copy, info.directory)
      for (const part of parts) {
        const partCopy = { ...structuredClone(part), id: createId("part"), sessionID: info.id, messageID: copy.id } as Part
        if (partCopy.type === "compaction" && partCopy.tail_start_id) partCopy.tail_start_id = ids.get(partCopy.tail_start_id) ?? partCopy.tail_start_id
        await writer.part(partCopy, info.directory)
      }
    }
    return (await writer.refreshUsage(info.id)) ?? info
  }

  async function nextForkNumber(original: SessionInfo, base: string): Promise<number> {
    const project = await projects.resolve(original.directory)
    const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(fork #(\\d+)\\)$`)
    let highest = 0
    let before: Cursor | undefined
    do {
      const page = await repository.listSessions(db, { projectID: project.id, search: `${base} (fork #`, archived: true, limit: 500, before })
      for (const session of page.items) {
        const match = pattern.exec(session.title)
        if (match) highest = Math.max(highest, Number(match[1]))
      }
      before = page.next
    } while (before)
    return highest + 1
  }

  async function messages(id: string, options: { limit?: number; before?: Cursor }): Promise<Page<WithParts>> {
    await get(id)
    return repository.listMessages(db, id, options)
  }

  async function message(id: string, messageID: string): Promise<WithParts> {
    await get(id)
    const found = await repository.getMessage(db, id, messageID)
    if (!found) throw new NotFoundError({ message: `Message not found: ${messageID}` })
    return found
  }

  /** Deletes one message and its parts (no file changes). @throws SessionBusyError while a turn runs. */
  async function deleteMessage(id: string, messageID: string): Promise<void> {
    const info = await get(id)
    if (deps.busy(id)) throw new SessionBusyError({ sessionID: id, message: `Session is busy: ${id}` })
    await message(id, messageID)
    await writer.removeMessage(id, messageID, info.directory)
    await writer.refreshUsage(id)
  }

  /**
   * Per-step and per-session tokens, cost and cache efficiency; steps are told unpriced against config
   * prices and the catalogue's (see `sessionStats`). @throws NotFoundError
   */
  async function stats(id: string): Promise<SessionStats> {
    await get(id)
    return sessionStats(db, id, { config: deps.config?.() })
  }

  async function todos(id: string): Promise<Todo[]> {
    await get(id)
    return repository.todos(db, id)
  }

  /** Id, slug, title and directory of every session, newest first (resolving a short id or slug: `src/cli/resolve-session.ts`). */
  function references(): Promise<SessionReference[]> {
    return repository.sessionReferences(db)
  }

  return { get, create, list, listNextCursor, continueIn, update, remove, children, fork, messages, message, deleteMessage, todos, stats, references }
}

export type SessionService = ReturnType<typeof createSessionService>
