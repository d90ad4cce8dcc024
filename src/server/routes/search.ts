import { Hono } from "hono"
import { z } from "zod"
import { SearchHit, SessionSearchMatch, type SessionQueries } from "../../session/index.ts"
import { idParam, QueryBoolean, queryParams, requestDirectory } from "../request.ts"
import { doc } from "./doc.ts"

/** What the search routes need. */
export interface SearchRouteDeps {
  queries: SessionQueries
  /** Directory for requests that name none (unused as a filter: search is not scoped to it). */
  cwd: string
}

const QueryText = z.string().max(1000).describe("Words to find: all of them, the last one as a prefix; punctuation and FTS operators are literal")

/** `GET /search` query. */
const SearchQuery = z.object({
  query: QueryText,
  limit: z.coerce.number().int().min(0).max(500).optional().describe("At most this many hits, 0 to 500 (default 50)"),
  projectID: z.string().optional().describe("Only sessions of this project"),
  directory: z
    .string()
    .optional()
    .describe("Only sessions created exactly in this directory (absolute, may be URL-encoded). A filter: the `x-opencode-directory` header does not filter"),
  archived: QueryBoolean.describe("Include archived sessions (default false)"),
})

/** `GET /session/:id/search` query. */
const SessionSearchQuery = z.object({
  query: QueryText,
  limit: z.coerce.number().int().min(0).max(5000).optional().describe("At most this many matches, 0 to 5000 (default 1000)"),
})

/**
 * Spool's full-text search over message content (the FTS5 index of text, reasoning and tool parts),
 * which the web UI needs and OpenCode lacks (its session search matches titles only):
 * - `GET /search?query=` → `SearchHit[]`, best match first, across every project;
 * - `GET /session/:id/search?query=` → `SessionSearchMatch[]` in reading order, over every message of
 *   the session (also those a client has not loaded), so a UI can jump to any match.
 * Snippets are plain text segments (`{text, match}`), never markup. 400 for a missing or malformed
 * query, 404 for a missing session.
 */
export function searchRoutes(deps: SearchRouteDeps) {
  const app = new Hono()

  app.get("/search", doc({ operationId: "search.content", summary: "Full-text search of message content across all projects, best match first", query: SearchQuery, response: z.array(SearchHit), errors: [400] }), async (c) => {
    const query = queryParams(c, SearchQuery)
    return c.json(
      await deps.queries.search({
        query: query.query,
        limit: query.limit ?? 50,
        projectID: query.projectID,
        directory: query.directory !== undefined ? requestDirectory(c, deps.cwd) : undefined,
        archived: query.archived,
      }),
    )
  })

  app.get(
    "/session/:sessionID/search",
    doc({ operationId: "session.search", summary: "Find in one session: matching parts of every message, in reading order", query: SessionSearchQuery, response: z.array(SessionSearchMatch), errors: [400, 404] }),
    async (c) => {
      const id = idParam(c, "sessionID", "session")
      const query = queryParams(c, SessionSearchQuery)
      return c.json(await deps.queries.searchSession(id, { query: query.query, limit: query.limit ?? 1000 }))
    },
  )

  return app
}
