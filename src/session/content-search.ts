import type { Kysely } from "kysely"
import type { Database } from "../storage/index.ts"
import { NotFoundError } from "../util/named-error.ts"
import type { SearchHit, SessionSearchMatch, SnippetSegment } from "./query-schema.ts"
import { ftsQuery, repository } from "./repository.ts"

/** Snippet markers: control characters that text typed or pasted into a session practically never holds. */
const OPEN = "\u0002"
const CLOSE = "\u0003"
/** About this many words of context per snippet (FTS5 `snippet()` token count, at most 64). */
const SNIPPET_TOKENS = 16

/**
 * Splits an FTS5 snippet whose matches sit between `OPEN` and `CLOSE` into plain text segments,
 * adjacent segments of the same kind merged, empty ones dropped; the markers never reach the output.
 */
export function snippetSegments(snippet: string): SnippetSegment[] {
  const segments: SnippetSegment[] = []
  const push = (text: string, match: boolean) => {
    const clean = text.replaceAll(OPEN, "").replaceAll(CLOSE, "")
    if (clean === "") return
    const last = segments.at(-1)
    if (last && last.match === match) last.text += clean
    else segments.push({ text: clean, match })
  }
  let rest = snippet
  while (rest !== "") {
    const open = rest.indexOf(OPEN)
    if (open === -1) {
      push(rest, false)
      break
    }
    push(rest.slice(0, open), false)
    const close = rest.indexOf(CLOSE, open + 1)
    if (close === -1) {
      push(rest.slice(open + 1), true)
      break
    }
    push(rest.slice(open + 1, close), true)
    rest = rest.slice(close + 1)
  }
  return segments
}

/**
 * Full-text search of message content across every project (`GET /search`): the parts whose indexed
 * text (text, reasoning, a tool's name, input and output) holds every word of `query` (the last one
 * as a prefix; punctuation and FTS operators are literal, see `ftsQuery`), best match first, at most
 * `limit`. A query with no words matches nothing. `directory` is an exact match on the session's
 * directory; archived sessions only with `archived`.
 */
export async function searchContent(
  db: Kysely<Database>,
  options: { query: string; limit: number; projectID?: string; directory?: string; archived?: boolean },
): Promise<SearchHit[]> {
  const match = ftsQuery(options.query)
  if (!match || options.limit <= 0) return []
  const rows = await repository.searchParts(db, { ...options, match, order: "rank", open: OPEN, close: CLOSE, tokens: SNIPPET_TOKENS })
  return rows.map((row) => ({ ...row, snippet: snippetSegments(row.snippet) }))
}

/**
 * Find in one session (`GET /session/:id/search`): its matching parts in reading order (message
 * time, then part order), covering every message whether or not a client has loaded it, at most
 * `limit`. Same matching rules as `searchContent`. @throws NotFoundError for a missing session.
 */
export async function searchSession(db: Kysely<Database>, sessionID: string, options: { query: string; limit: number }): Promise<SessionSearchMatch[]> {
  if (!(await repository.getSession(db, sessionID))) throw new NotFoundError({ message: `Session not found: ${sessionID}` })
  const match = ftsQuery(options.query)
  if (!match || options.limit <= 0) return []
  const rows = await repository.searchParts(db, { match, sessionID, archived: true, limit: options.limit, order: "message", open: OPEN, close: CLOSE, tokens: SNIPPET_TOKENS })
  return rows.map((row) => ({ messageID: row.messageID, partID: row.partID, partType: row.partType, time: row.time, snippet: snippetSegments(row.snippet) }))
}
