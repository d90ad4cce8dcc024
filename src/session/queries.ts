import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import type { Database } from "../storage/index.ts"
import { searchContent, searchSession } from "./content-search.ts"
import { listAllSessions, type GlobalListOptions } from "./global-list.ts"
import { usageReport, type UsageFilter } from "./usage-report.ts"

/** What the read-only cross-session queries need: the database and the current config (prices). */
export interface SessionQueriesDeps {
  db: Kysely<Database>
  /** The current config (re-read on reload); its `provider.<id>.models.<model>.cost` prices count in usage reports. */
  config?: () => Pick<Config, "provider">
}

/**
 * Read-only queries across sessions and projects that the web UI asks for (issue 10), bound to one
 * database: the cross-project session list, full-text search, find-in-session, usage reports. Nothing here writes.
 */
export function createSessionQueries(deps: SessionQueriesDeps) {
  const { db } = deps
  return {
    /** See `listAllSessions`. */
    listAll: (options: GlobalListOptions) => listAllSessions(db, options),
    /** See `searchContent`. */
    search: (options: Parameters<typeof searchContent>[1]) => searchContent(db, options),
    /** See `searchSession`. @throws NotFoundError */
    searchSession: (sessionID: string, options: { query: string; limit: number }) => searchSession(db, sessionID, options),
    /** Usage across sessions (`usageReport`), unpriced steps told against config prices and the catalogue's. */
    usage: (filter: Omit<UsageFilter, "config">) => usageReport(db, { ...filter, config: deps.config?.() }),
  }
}

export type SessionQueries = ReturnType<typeof createSessionQueries>
