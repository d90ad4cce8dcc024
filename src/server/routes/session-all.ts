import { Hono } from "hono"
import { z } from "zod"
import { GlobalSession, type SessionQueries } from "../../session/index.ts"
import { decodeCursor, QueryBoolean, queryParams, requestDirectory, setNextPage } from "../request.ts"
import { doc } from "./doc.ts"

/** What the cross-project session list needs. */
export interface SessionAllRouteDeps {
  queries: SessionQueries
  /** Directory for requests that name none (unused as a filter: this list is not scoped to it). */
  cwd: string
}

/** `GET /experimental/session` query: OpenCode's filters, its time cursor, plus Spool's keyset `before` and `projectID`. */
const GlobalListQuery = z.object({
  projectID: z.string().optional().describe("Only this project's sessions"),
  directory: z
    .string()
    .optional()
    .describe("Only sessions created exactly in this directory (absolute, may be URL-encoded). A filter, not the instance directory: the `x-opencode-directory` header does not filter"),
  roots: QueryBoolean.describe("Only root sessions (no parentID)"),
  start: z.coerce.number().optional().describe("Only sessions updated at or after this time (epoch ms)"),
  search: z.string().optional().describe("Case-insensitive match in titles and message content; each session says where it matched (`match`)"),
  limit: z.coerce.number().int().min(0).max(1000).optional().describe("Page size, 0 to 1000 (default 100)"),
  cursor: z.string().optional().describe("OpenCode's cursor: sessions updated before this time (epoch ms); also accepts the previous page's X-Next-Cursor"),
  before: z.string().optional().describe("The previous page's X-Next-Cursor: sessions older than its last one (as `GET /session`)"),
  archived: QueryBoolean.describe("Include archived sessions (default false)"),
})

/**
 * `GET /experimental/session` (OpenCode 1.18's `experimental.session.list`, `GlobalSession[]`): the
 * sessions of every project, live and imported, newest first, each with its `project` summary. Paged
 * like `GET /session`: `X-Next-Cursor` (and `Link: rel="next"`) when more follow, passed back as
 * `before` or `cursor`; OpenCode's numeric `cursor` (epoch ms) works too. 400 for a malformed query or
 * cursor.
 */
export function sessionAllRoutes(deps: SessionAllRouteDeps) {
  const app = new Hono()
  app.get(
    "/experimental/session",
    doc({ operationId: "experimental.session.list", summary: "List sessions of every project, newest first (cursor paging)", query: GlobalListQuery, response: z.array(GlobalSession), errors: [400] }),
    async (c) => {
      const query = queryParams(c, GlobalListQuery)
      const limit = query.limit ?? 100
      if (limit === 0) return c.json([])
      const cursor = query.before ?? query.cursor
      const page = await deps.queries.listAll({
        projectID: query.projectID,
        directory: query.directory !== undefined ? requestDirectory(c, deps.cwd) : undefined,
        roots: query.roots,
        start: query.start,
        search: query.search,
        archived: query.archived,
        limit,
        before: cursor === undefined ? undefined : /^\d+$/.test(cursor) ? { time: Number(cursor), id: "" } : decodeCursor(cursor),
      })
      setNextPage(c, page.next, limit)
      return c.json(page.items)
    },
  )
  return app
}
