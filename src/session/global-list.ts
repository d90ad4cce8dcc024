import type { Kysely } from "kysely"
import type { Database } from "../storage/index.ts"
import type { GlobalSession } from "./query-schema.ts"
import { repository, type Cursor, type Page } from "./repository.ts"

/** Filters of the cross-project session list (`GET /experimental/session`). */
export interface GlobalListOptions {
  /** Only this project's sessions. */
  projectID?: string
  /** Only sessions created exactly in this (absolute) directory. */
  directory?: string
  /** Only root sessions (no parentID). */
  roots?: boolean
  /** Only sessions updated at or after this time (epoch ms). */
  start?: number
  /** Case-insensitive match in titles and message content (as `GET /session?search=`). */
  search?: string
  /** Include archived sessions (default: excluded). */
  archived?: boolean
  /** Page size. */
  limit: number
  /** Keyset cursor: sessions strictly older than `(time, id)`, newest first. */
  before?: Cursor
}

/**
 * Sessions of every project, newest first (`time_updated DESC, id DESC`), one keyset page, each with
 * its project (`null` when Spool's project table does not know it, e.g. an import whose directory is
 * gone). With `search`, each session says where it matched, as `GET /session?search=` does: the title,
 * else the best content match (FTS5 snippet, matches in `[` `]`).
 */
export async function listAllSessions(db: Kysely<Database>, options: GlobalListOptions): Promise<Page<GlobalSession>> {
  const page = await repository.listSessions(db, { ...options })
  const projects = await repository.projectSummaries(db, page.items.map((info) => info.projectID))
  const needle = options.search ? options.search.toLowerCase() : undefined
  const content = needle
    ? await repository.contentMatches(db, page.items.filter((info) => !info.title.toLowerCase().includes(needle)).map((info) => info.id), options.search!)
    : new Map<string, { messageID: string; snippet: string }>()
  return {
    next: page.next,
    items: page.items.map((info) => {
      const found = content.get(info.id)
      const match = needle === undefined ? undefined : info.title.toLowerCase().includes(needle) ? { field: "title" as const } : found ? { field: "content" as const, ...found } : undefined
      return { ...info, ...(match ? { match } : {}), project: projects.get(info.projectID) ?? null }
    }),
  }
}
