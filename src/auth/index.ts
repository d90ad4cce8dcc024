import type { DB } from "../storage/index.ts"
import { createCookieSessions, type CookieSessions } from "./cookie-sessions.ts"
import { createPasswordCheck, type PasswordCheck } from "./password.ts"
import { createTokenStore, type Scope, type TokenStore } from "./tokens.ts"

export { COOKIE_SESSION_TTL_MS, createCookieSessions, type CookieSession, type CookieSessions } from "./cookie-sessions.ts"
export { createPasswordCheck, type PasswordCheck } from "./password.ts"
export { createTokenStore, hashToken, SCOPES, TOKEN_PREFIX, type Scope, type TokenInfo, type TokenStore } from "./tokens.ts"

/** How long "no token exists" is trusted before the table is looked at again (ms). */
const TOKEN_PRESENCE_TTL_MS = 1_000

/**
 * The server's credentials: the password (Basic), API tokens (Bearer) and browser sessions (cookie).
 * Implements the `Credentials` interface of `server/security/auth.ts`.
 */
export interface Auth {
  tokens: TokenStore
  sessions: CookieSessions
  /** The password check; `undefined` when no password is set. */
  password?: PasswordCheck
  /**
   * Whether requests must authenticate: a password is set, or an API token exists (tokens can be
   * created by `spool token create` while the server runs). Once true it stays true for the life of the
   * process, so revoking the last token never opens a server that was protected.
   */
  required(): boolean | Promise<boolean>
  /** The scope of a live API token, or `undefined`. */
  token(token: string): Promise<{ scope: Scope } | undefined>
  /** Whether any credential exists (a password or a token): `spool serve`'s non-loopback rule. */
  configured(): Promise<boolean>
}

/** Options of `createAuth`; `password` and `username` come from flags and env (see `src/app.ts`). */
export interface AuthOptions {
  db: DB
  /** `--password` / `SPOOL_SERVER_PASSWORD` / `OPENCODE_SERVER_PASSWORD`; empty means none. */
  password?: string
  /** Pinned Basic username (`SPOOL_SERVER_USERNAME` / `OPENCODE_SERVER_USERNAME`); any username when absent. */
  username?: string
}

/** Builds the server's credentials over the database. */
export function createAuth(options: AuthOptions): Auth {
  const tokens = createTokenStore(options.db)
  const password = options.password ? createPasswordCheck(options.password, options.username || undefined) : undefined
  let required = password !== undefined
  let checkedAt = -Infinity
  let pending: Promise<boolean> | undefined
  return {
    tokens,
    sessions: createCookieSessions(),
    password,
    required() {
      if (required) return true
      if (Date.now() - checkedAt < TOKEN_PRESENCE_TTL_MS) return false
      pending ??= tokens.any().then(
        (any) => {
          checkedAt = Date.now()
          if (any) required = true
          pending = undefined
          return required
        },
        (error: unknown) => {
          pending = undefined
          throw error
        },
      )
      return pending
    },
    async token(token) {
      const info = await tokens.verify(token)
      if (info) required = true
      return info ? { scope: info.scope } : undefined
    },
    async configured() {
      return password !== undefined || (await tokens.any())
    },
  }
}
