import { distance } from "fastest-levenshtein"
import type { SessionReference } from "../session/repository.ts"
import { BadRequestError, NotFoundError } from "../util/named-error.ts"

/** What the resolver needs from the session service. */
export interface SessionLookup {
  references(): Promise<SessionReference[]>
}

/** At most this many sessions are named in an ambiguity or "did you mean" message. */
const MAX_NAMED = 5

/**
 * Turns what a user typed where a CLI command takes a session into a session id, in this order:
 * 1. an exact id (`ses_…`);
 * 2. a unique id prefix, with or without `ses_` (`ses_f3a9`, `f3a9`);
 * 3. a unique slug (`brave-otter`; slugs are random and may repeat, as OpenCode's).
 *
 * Errors: `BadRequestError` when the reference matches several sessions (naming them, newest first);
 * `NotFoundError` `Session not found: X` otherwise, with "did you mean …" naming the nearest ids and
 * slugs (Levenshtein distance of the reference to an id's prefix of the same length, or to a slug).
 */
export async function resolveSessionID(sessions: SessionLookup, reference: string): Promise<string> {
  const typed = reference.trim()
  const all = typed === "" ? [] : await sessions.references()
  if (all.some((session) => session.id === typed)) return typed

  const prefix = typed.startsWith("ses_") ? typed : `ses_${typed}`
  const byPrefix = all.filter((session) => session.id.startsWith(prefix))
  if (byPrefix.length === 1) return byPrefix[0].id
  if (byPrefix.length > 1) throw ambiguous(typed, "sessions have ids starting with", byPrefix)

  const bySlug = all.filter((session) => session.slug === typed)
  if (bySlug.length === 1) return bySlug[0].id
  if (bySlug.length > 1) throw ambiguous(typed, "sessions have the slug", bySlug)

  const nearest = suggestions(typed, all)
  const hint = nearest.length > 0 ? `; did you mean ${nearest.map(describe).join(" or ")}?` : ""
  throw new NotFoundError({ message: `Session not found: ${reference}${hint}` })
}

/** Sessions whose id prefix or slug is within a small edit distance of `typed` (closest first, then newest). */
function suggestions(typed: string, all: SessionReference[]): SessionReference[] {
  if (typed.length < 3) return []
  const prefix = typed.startsWith("ses_") ? typed : `ses_${typed}`
  const scored: { session: SessionReference; score: number }[] = []
  for (const session of all) {
    const idScore = distance(prefix, session.id.slice(0, prefix.length))
    const slugScore = session.slug ? distance(typed, session.slug) : Infinity
    const score = Math.min(idScore, slugScore)
    // A typo or two, not an unrelated string: at most a third of what was typed, and at most 3 edits.
    if (score <= Math.min(3, Math.floor(typed.length / 3))) scored.push({ session, score })
  }
  return scored
    .sort((a, b) => a.score - b.score || b.session.updated - a.session.updated)
    .slice(0, MAX_NAMED)
    .map((entry) => entry.session)
}

function ambiguous(typed: string, what: string, matches: SessionReference[]): InstanceType<typeof BadRequestError> {
  const named = matches.slice(0, MAX_NAMED).map(describe).join(", ")
  const more = matches.length > MAX_NAMED ? ` and ${matches.length - MAX_NAMED} more` : ""
  return new BadRequestError({ message: `${matches.length} ${what} '${typed}': ${named}${more}; type more of the id` })
}

/** `ses_… (brave-otter, "Fix the tests")`. */
function describe(session: SessionReference): string {
  const title = session.title.length > 40 ? `${session.title.slice(0, 39)}…` : session.title
  return `${session.id} (${[session.slug, JSON.stringify(title)].filter(Boolean).join(", ")})`
}
