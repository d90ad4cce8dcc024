import { randomBytes } from "node:crypto"
import type { Scope } from "./tokens.ts"

/** What a browser session cookie stands for: the scope of the credential that signed in. */
export interface CookieSession {
  scope: Scope
  /** Epoch ms after which the session is gone. */
  expires: number
}

/** Browser sessions behind the `spool_session` cookie (`POST /auth/login`), kept in memory. */
export interface CookieSessions {
  /** Starts a session; returns its id (256 random bits, base64url) for the cookie value. */
  create(scope: Scope): { id: string; maxAgeSeconds: number }
  /** The live session with this id, or `undefined` (unknown or expired). */
  get(id: string): CookieSession | undefined
  /** Ends a session (logout). */
  delete(id: string): void
}

/** How long a browser session lasts after signing in (12 h, absolute; not extended by use). */
export const COOKIE_SESSION_TTL_MS = 12 * 60 * 60 * 1000

/**
 * In-memory browser sessions: a random id maps to a scope and an expiry. A restart signs every browser
 * out, which is the safe direction; nothing about a session touches the disk. Expired entries are
 * dropped on lookup and whenever a session is created.
 */
export function createCookieSessions(ttlMs: number = COOKIE_SESSION_TTL_MS, now: () => number = Date.now): CookieSessions {
  const sessions = new Map<string, CookieSession>()
  return {
    create(scope) {
      const time = now()
      for (const [id, session] of sessions) if (session.expires <= time) sessions.delete(id)
      const id = randomBytes(32).toString("base64url")
      sessions.set(id, { scope, expires: time + ttlMs })
      return { id, maxAgeSeconds: Math.floor(ttlMs / 1000) }
    },
    get(id) {
      const session = sessions.get(id)
      if (!session) return undefined
      if (session.expires <= now()) {
        sessions.delete(id)
        return undefined
      }
      return session
    },
    delete(id) {
      sessions.delete(id)
    },
  }
}
