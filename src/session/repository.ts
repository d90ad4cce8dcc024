import { sql, type Kysely, type Transaction } from "kysely"
import type { Database } from "../storage/index.ts"
import type { Message, Part, SessionInfo, Todo, Tokens, WithParts } from "./schema.ts"

type Executor = Kysely<Database> | Transaction<Database>

/** Filters of `GET /session` (spec 11.5, plus Spool's cursor and archive filter). */
export interface SessionListFilter {
  /** Only this project's sessions; every project when undefined (`spool search`). */
  projectID?: string
  /** Exact directory match; only applied when the client passed `?directory=`. */
  directory?: string
  /** Only root sessions (no parentID). */
  roots?: boolean
  /** `time_updated >= start` (epoch ms). */
  start?: number
  /** Case-insensitive substring of the title; `%` and `_` match literally. */
  search?: string
  /** Include archived sessions (default: excluded). */
  archived?: boolean
  /** Page size; the repository fetches one more row to know whether a next page exists. */
  limit: number
  /** Keyset cursor: sessions strictly older than `(time, id)` in `time_updated DESC, id DESC` order. */
  before?: { time: number; id: string }
}

/** A keyset page cursor, `{id, time}` of the last row returned (OpenCode's message cursor shape). */
export interface Cursor {
  id: string
  time: number
}

/** What identifies a session to a user: its id, slug (`brave-otter`), title, directory and last update (epoch ms). */
export interface SessionReference {
  id: string
  slug: string
  title: string
  directory: string
  updated: number
}

export interface Page<T> {
  items: T[]
  next?: Cursor
}

function parse<T>(data: string): T {
  return JSON.parse(data) as T
}

/**
 * An FTS5 query matching every word of `search` (AND), each as a quoted phrase so operators and
 * punctuation are literal, the last one as a prefix. Undefined when `search` has no words.
 */
export function ftsQuery(search: string): string | undefined {
  const words = search.split(/\s+/).map((word) => word.replace(/"/g, '""')).filter((word) => word !== "")
  if (words.length === 0) return undefined
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? "*" : ""}`).join(" ")
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`)
}

/**
 * Queries over the session tables; every function takes the executor so callers can group writes in
 * one transaction. Reads order by stored times with the ID as tie-break, never by ID alone.
 */
export const repository = {
  async upsertProject(db: Executor, project: { id: string; worktree: string; vcs?: string }, now: number) {
    await db
      .insertInto("project")
      .values({ id: project.id, worktree: project.worktree, vcs: project.vcs ?? null, time_created: now, time_updated: now })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ worktree: project.worktree, time_updated: now }))
      .execute()
  },

  async insertSession(db: Executor, info: SessionInfo) {
    await db.insertInto("session").values(sessionRow(info)).execute()
  },

  async updateSession(db: Executor, info: SessionInfo) {
    const { id, ...row } = sessionRow(info)
    await db.updateTable("session").set(row).where("id", "=", id).execute()
  },

  async getSession(db: Executor, id: string): Promise<SessionInfo | undefined> {
    const row = await db.selectFrom("session").select("data").where("id", "=", id).executeTakeFirst()
    return row ? parse<SessionInfo>(row.data) : undefined
  },

  async listSessions(db: Executor, filter: SessionListFilter): Promise<Page<SessionInfo>> {
    const rows = await sessionListQuery(db, filter).select("data").limit(filter.limit + 1).execute()
    const page = rows.slice(0, filter.limit)
    const last = page.at(-1)
    return {
      items: page.map((row) => parse<SessionInfo>(row.data)),
      next: rows.length > filter.limit && last ? { id: last.id, time: Number(last.time_updated) } : undefined,
    }
  },

  /**
   * The cursor of the page after the first `filter.limit` sessions (the `{id, time}` of the
   * `limit`-th), or undefined when no session follows it. Reads only indexed columns, never `data`:
   * a page too large to build in memory is streamed in batches, and its next-page headers are sent first.
   */
  async listNextCursor(db: Executor, filter: SessionListFilter): Promise<Cursor | undefined> {
    if (filter.limit <= 0) return undefined
    const rows = await sessionListQuery(db, filter).limit(2).offset(filter.limit - 1).execute()
    return rows.length === 2 ? { id: rows[0].id, time: Number(rows[0].time_updated) } : undefined
  },

  /**
   * Where `search` matches inside each session's messages: the best-ranked part per session with an
   * FTS5 snippet (matches wrapped in `[` `]`).
   */
  async contentMatches(db: Executor, sessionIDs: string[], search: string): Promise<Map<string, { messageID: string; snippet: string }>> {
    const result = new Map<string, { messageID: string; snippet: string }>()
    const match = ftsQuery(search)
    if (!match || sessionIDs.length === 0) return result
    const { rows } = await sql<{ session_id: string; message_id: string; snippet: string }>`
      select session_id, message_id, snippet(part_fts, 0, '[', ']', '…', 12) as snippet
      from part_fts where part_fts match ${match} and session_id in (${sql.join(sessionIDs)})
      order by rank`.execute(db)
    for (const row of rows) if (!result.has(row.session_id)) result.set(row.session_id, { messageID: row.message_id, snippet: row.snippet })
    return result
  },

  /**
   * Parts whose indexed text (see migration 0002: text, reasoning, a tool's name/input/output) matches
   * the FTS5 query `match` (build it with `ftsQuery`), with the FTS5 snippet around the match (matched
   * words between `open` and `close`, `…` where text was cut, about `tokens` words) and what the hit
   * needs to be shown: its session's title, directory and project, its message's creation time. Order:
   * `rank` (best first) or `message` (message time, then part creation: the reading order of a session).
   * `directory` is an exact match on the session's directory; archived sessions only with `archived`.
   */
  async searchParts(
    db: Executor,
    filter: { match: string; sessionID?: string; projectID?: string; directory?: string; archived?: boolean; limit: number; order: "rank" | "message"; open: string; close: string; tokens: number },
  ): Promise<Array<{ sessionID: string; messageID: string; partID: string; partType: string; title: string; directory: string; projectID: string; time: number; snippet: string }>> {
    const conditions = [sql`part_fts match ${filter.match}`]
    if (filter.sessionID !== undefined) conditions.push(sql`part_fts.session_id = ${filter.sessionID}`)
    if (filter.projectID !== undefined) conditions.push(sql`session.project_id = ${filter.projectID}`)
    if (filter.directory !== undefined) conditions.push(sql`session.directory = ${filter.directory}`)
    if (!filter.archived) conditions.push(sql`session.time_archived is null`)
    const order = filter.order === "rank" ? sql`part_fts.rank, part.id` : sql`message.time_created, message.id, part.time_created, part.id`
    const { rows } = await sql<{ session_id: string; message_id: string; part_id: string; part_type: string; title: string; directory: string; project_id: string; time: number; snippet: string }>`
      select part_fts.session_id, part_fts.message_id, part.id as part_id, part.type as part_type, session.title, session.directory, session.project_id,
        message.time_created as time, snippet(part_fts, 0, ${filter.open}, ${filter.close}, '…', ${filter.tokens}) as snippet
      from part_fts
        join part on part.rowid = part_fts.rowid
        join session on session.id = part_fts.session_id
        join message on message.id = part_fts.message_id
      where ${sql.join(conditions, sql` and `)}
      order by ${order}
      limit ${filter.limit}`.execute(db)
    return rows.map((row) => ({
      sessionID: row.session_id,
      messageID: row.message_id,
      partID: row.part_id,
      partType: row.part_type,
      title: row.title,
      directory: row.directory,
      projectID: row.project_id,
      time: Number(row.time),
      snippet: row.snippet,
    }))
  },

  /** `{id, worktree}` of the given projects that are in the project table. */
  async projectSummaries(db: Executor, ids: string[]): Promise<Map<string, { id: string; worktree: string }>> {
    const result = new Map<string, { id: string; worktree: string }>()
    const unique = [...new Set(ids)]
    for (let offset = 0; offset < unique.length; offset += 500) {
      const rows = await db.selectFrom("project").select(["id", "worktree"]).where("id", "in", unique.slice(offset, offset + 500)).execute()
      for (const row of rows) result.set(row.id, { id: row.id, worktree: row.worktree })
    }
    return result
  },

  /**
   * The id, slug, title and directory of every session (archived included), newest first: what a
   * short reference typed on the command line (an id prefix, a slug) is matched against, and what
   * "did you mean" suggests from (see `src/cli/resolve-session.ts`).
   */
  async sessionReferences(db: Executor): Promise<SessionReference[]> {
    const rows = await db
      .selectFrom("session")
      .select(["id", "title", "directory", "time_updated", sql<string | null>`json_extract(data, '$.slug')`.as("slug")])
      .orderBy("time_updated", "desc")
      .orderBy("id", "desc")
      .execute()
    return rows.map((row) => ({ id: row.id, slug: row.slug ?? "", title: row.title, directory: row.directory, updated: Number(row.time_updated) }))
  },

  async children(db: Executor, parentID: string): Promise<SessionInfo[]> {
    const rows = await db
      .selectFrom("session")
      .select("data")
      .where("parent_id", "=", parentID)
      .orderBy("time_created", "asc")
      .orderBy("id", "asc")
      .execute()
    return rows.map((row) => parse<SessionInfo>(row.data))
  },

  /** Deletes one session row; messages, parts and todos go by foreign-key cascade. */
  async deleteSession(db: Executor, id: string) {
    await db.deleteFrom("part").where("session_id", "=", id).execute()
    await db.deleteFrom("session").where("id", "=", id).execute()
  },

  async upsertMessage(db: Executor, info: Message, now: number) {
    await db
      .insertInto("message")
      .values({ id: info.id, session_id: info.sessionID, role: info.role, time_created: info.time.created, time_updated: now, data: JSON.stringify(info) })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ time_created: info.time.created, time_updated: now, data: JSON.stringify(info) }))
      .execute()
  },

  async getMessage(db: Executor, sessionID: string, messageID: string): Promise<WithParts | undefined> {
    const row = await db
      .selectFrom("message")
      .select("data")
      .where("id", "=", messageID)
      .where("session_id", "=", sessionID)
      .executeTakeFirst()
    if (!row) return undefined
    const info = parse<Message>(row.data)
    return { info, parts: await repository.parts(db, [messageID]).then((map) => map.get(messageID) ?? []) }
  },

  /**
   * Messages with parts, oldest first. With `limit`, the newest `limit` messages (before `before` when
   * given) and a cursor to the next older page when one exists (spec 11.6).
   */
  async listMessages(db: Executor, sessionID: string, options: { limit?: number; before?: Cursor } = {}): Promise<Page<WithParts>> {
    let query = db.selectFrom("message").select(["id", "time_created", "data"]).where("session_id", "=", sessionID)
    if (options.before) {
      const { time, id } = options.before
      query = query.where((eb) => eb.or([eb("time_created", "<", time), eb.and([eb("time_created", "=", time), eb("id", "<", id)])]))
    }
    let rows
    let next: Cursor | undefined
    if (options.limit) {
      rows = await query.orderBy("time_created", "desc").orderBy("id", "desc").limit(options.limit + 1).execute()
      if (rows.length > options.limit) {
        rows = rows.slice(0, options.limit)
        const oldest = rows.at(-1)!
        next = { id: oldest.id, time: Number(oldest.time_created) }
      }
      rows.reverse()
    } else {
      rows = await query.orderBy("time_created", "asc").orderBy("id", "asc").execute()
    }
    const parts = await repository.parts(db, rows.map((row) => row.id))
    return {
      items: rows.map((row) => ({ info: parse<Message>(row.data), parts: parts.get(row.id) ?? [] })),
      next,
    }
  },

  /** Parts of the given messages, each list in creation order. */
  async parts(db: Executor, messageIDs: string[]): Promise<Map<string, Part[]>> {
    const result = new Map<string, Part[]>()
    for (let offset = 0; offset < messageIDs.length; offset += 500) {
      const chunk = messageIDs.slice(offset, offset + 500)
      if (chunk.length === 0) break
      const rows = await db
        .selectFrom("part")
        .select(["message_id", "data"])
        .where("message_id", "in", chunk)
        .orderBy("time_created", "asc")
        .orderBy("id", "asc")
        .execute()
      for (const row of rows) {
        const list = result.get(row.message_id) ?? []
        list.push(parse<Part>(row.data))
        result.set(row.message_id, list)
      }
    }
    return result
  },

  /** Which of the given message or part IDs are already stored (in any session). */
  async existingIDs(db: Executor, table: "message" | "part", ids: string[]): Promise<string[]> {
    const found: string[] = []
    // Chunked: SQLite allows at most 32,766 bound variables in one statement.
    for (let offset = 0; offset < ids.length; offset += 500) {
      const rows = await db.selectFrom(table).select("id").where("id", "in", ids.slice(offset, offset + 500)).execute()
      for (const row of rows) found.push(row.id)
    }
    return found
  },

  async deleteMessage(db: Executor, messageID: string) {
    await db.deleteFrom("message").where("id", "=", messageID).execute()
  },

  /**
   * Inserts or replaces a part. `created` orders parts within their message (default `now`); imports
   * pass the message's time plus the part's index, since all of a message's parts share one timestamp.
   */
  async upsertPart(db: Executor, part: Part, now: number, created = now) {
    await db
      .insertInto("part")
      .values({ id: part.id, message_id: part.messageID, session_id: part.sessionID, type: part.type, time_created: created, time_updated: now, data: JSON.stringify(part) })
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ time_updated: now, data: JSON.stringify(part) }))
      .execute()
  },

  async deletePart(db: Executor, partID: string) {
    await db.deleteFrom("part").where("id", "=", partID).execute()
  },

  /** Sum of cost (USD) and tokens over the session's `step-finish` parts, and their number. */
  async usage(db: Executor, sessionID: string): Promise<{ cost: number; tokens: Tokens; steps: number }> {
    const rows = await db.selectFrom("part").select("data").where("session_id", "=", sessionID).where("type", "=", "step-finish").execute()
    const total = { cost: 0, steps: rows.length, tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } } }
    for (const row of rows) {
      const part = parse<Extract<Part, { type: "step-finish" }>>(row.data)
      total.cost += part.cost
      total.tokens.input += part.tokens.input
      total.tokens.output += part.tokens.output
      total.tokens.reasoning += part.tokens.reasoning
      total.tokens.cache.read += part.tokens.cache.read
      total.tokens.cache.write += part.tokens.cache.write
    }
    return total
  },

  /**
   * Every snapshot tree a session references: `step-start`/`step-finish` snapshots, `patch` hashes,
   * and a pending revert's trees. Used by snapshot garbage collection.
   */
  async snapshotReferences(db: Executor): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>()
    const add = (sessionID: string, tree: string | undefined) => {
      if (!tree) return
      const set = result.get(sessionID) ?? new Set<string>()
      set.add(tree)
      result.set(sessionID, set)
    }
    const parts = await db.selectFrom("part").select(["session_id", "data"]).where("type", "in", ["step-start", "step-finish", "patch"]).execute()
    for (const row of parts) {
      const part = parse<Part>(row.data)
      if (part.type === "step-start" || part.type === "step-finish") add(row.session_id, part.snapshot)
      if (part.type === "patch") add(row.session_id, part.hash)
    }
    const sessions = await db.selectFrom("session").select(["id", "data"]).execute()
    for (const row of sessions) {
      const info = parse<SessionInfo>(row.data)
      add(row.id, info.revert?.snapshot)
      add(row.id, info.revert?.reverted)
      if (!result.has(row.id)) result.set(row.id, new Set())
    }
    return result
  },

  /** The session's `step-finish` parts with their message's model, in time order (per-step stats). */
  async steps(db: Executor, sessionID: string): Promise<Array<{ part: Extract<Part, { type: "step-finish" }>; message: Message; time: number }>> {
    const rows = await db
      .selectFrom("part")
      .innerJoin("message", "message.id", "part.message_id")
      .select(["part.data as part", "message.data as message", "part.time_created as time"])
      .where("part.session_id", "=", sessionID)
      .where("part.type", "=", "step-finish")
      .orderBy("part.time_created", "asc")
      .orderBy("part.id", "asc")
      .execute()
    return rows.map((row) => ({ part: parse(row.part), message: parse(row.message), time: Number(row.time) }))
  },

  /** Parts that were still streaming or running when the process stopped. */
  async unfinishedParts(db: Executor): Promise<Part[]> {
    // Filtered in SQL so start-up does not parse every part of a large database (SQLite JSON functions;
    // the PostgreSQL dialect will use its JSON operators here).
    const rows = await db
      .selectFrom("part")
      .select("data")
      .where((eb) =>
        eb.or([
          eb.and([eb("type", "=", "tool"), eb(sql`json_extract(data, '$.state.status')`, "in", ["pending", "running"])]),
          eb.and([eb("type", "in", ["text", "reasoning"]), eb(sql`json_extract(data, '$.time.start')`, "is not", null), eb(sql`json_extract(data, '$.time.end')`, "is", null)]),
        ]),
      )
      .execute()
    return rows
      .map((row) => parse<Part>(row.data))
      .filter((part) =>
        part.type === "tool"
          ? part.state.status === "pending" || part.state.status === "running"
          : (part.type === "text" || part.type === "reasoning") && part.time !== undefined && part.time.end === undefined,
      )
  },

  /** Assistant messages that never completed (no `time.completed`). */
  async unfinishedAssistants(db: Executor): Promise<Message[]> {
    const rows = await db.selectFrom("message").select("data").where("role", "=", "assistant").where(sql`json_extract(data, '$.time.completed')`, "is", null).execute()
    return rows.map((row) => parse<Message>(row.data)).filter((message) => message.role === "assistant" && message.time.completed === undefined)
  },

  async todos(db: Executor, sessionID: string): Promise<Todo[]> {
    const rows = await db
      .selectFrom("todo")
      .select(["content", "status", "priority"])
      .where("session_id", "=", sessionID)
      .orderBy("position", "asc")
      .execute()
    return rows
  },

  async setTodos(db: Executor, sessionID: string, todos: Todo[], now: number) {
    await db.deleteFrom("todo").where("session_id", "=", sessionID).execute()
    if (todos.length === 0) return
    await db
      .insertInto("todo")
      .values(todos.map((todo, position) => ({ session_id: sessionID, position, content: todo.content, status: todo.status, priority: todo.priority, time_created: now, time_updated: now })))
      .execute()
  },
}

/** `id, time_updated` of the sessions matching `filter` (not its `limit`), newest first. */
function sessionListQuery(db: Executor, filter: SessionListFilter) {
  let query = db.selectFrom("session").select(["id", "time_updated"])
  if (filter.projectID !== undefined) query = query.where("project_id", "=", filter.projectID)
  if (filter.directory !== undefined) query = query.where("directory", "=", filter.directory)
  if (filter.roots) query = query.where("parent_id", "is", null)
  if (filter.start !== undefined) query = query.where("time_updated", ">=", filter.start)
  if (!filter.archived) query = query.where("time_archived", "is", null)
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search.toLowerCase())}%`
    const match = ftsQuery(filter.search)
    query = match
      ? query.where(sql<boolean>`(lower(title) like ${pattern} escape '\\' or id in (select session_id from part_fts where part_fts match ${match}))`)
      : query.where(sql<boolean>`lower(title) like ${pattern} escape '\\'`)
  }
  if (filter.before) {
    const { time, id } = filter.before
    query = query.where((eb) => eb.or([eb("time_updated", "<", time), eb.and([eb("time_updated", "=", time), eb("id", "<", id)])]))
  }
  return query.orderBy("time_updated", "desc").orderBy("id", "desc")
}

function sessionRow(info: SessionInfo) {
  return {
    id: info.id,
    project_id: info.projectID,
    parent_id: info.parentID ?? null,
    directory: info.directory,
    title: info.title,
    time_created: info.time.created,
    time_updated: info.time.updated,
    time_archived: info.time.archived ?? null,
    data: JSON.stringify(info),
  }
}
