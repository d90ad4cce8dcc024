import type { Context, MiddlewareHandler } from "hono"
import { getCookie } from "hono/cookie"
import { ForbiddenError, UnauthorizedError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { nodeHttp } from "../node.ts"
import { clientAddress, tooManyRequests, type FailedAttemptLimiter } from "./rate-limit.ts"

/** What a credential may do: `read` = `GET`/`HEAD` only; `write` and `admin` = every route (no admin-only route exists yet). */
export type Scope = "read" | "write" | "admin"

/**
 * The credentials the server checks, implemented by `src/auth` and passed in by the composition root
 * (the server never reads storage itself).
 */
export interface Credentials {
  /** Whether requests must authenticate (a password is set or an API token exists). */
  required(): boolean | Promise<boolean>
  /** The Basic check; `undefined` when no password is set (then Basic always fails). */
  password?: (username: string, password: string) => boolean
  /** The scope of a live API token (`Authorization: Bearer`), or `undefined`. */
  token(token: string): Promise<{ scope: Scope } | undefined>
  /** Browser sessions behind the `spool_session` cookie. */
  sessions: {
    create(scope: Scope): { id: string; maxAgeSeconds: number }
    get(id: string): { scope: Scope } | undefined
    delete(id: string): void
  }
}

/** Prefix of Spool's API tokens (`src/auth/tokens.ts`). */
const TOKEN_PREFIX = "spool_"

/** Name of the browser session cookie (`POST /auth/login`). */
export const SESSION_COOKIE = "spool_session"

/** The `WWW-Authenticate` challenge of a 401. */
export const CHALLENGE = 'Basic realm="spool", charset="UTF-8"'

/**
 * The challenge for a browser's `fetch`/XHR/EventSource request (`Sec-Fetch-Site` present, which only
 * browsers send — Node's fetch sends `Sec-Fetch-Mode` alone — and `Sec-Fetch-Mode` other than `navigate`):
 * a Basic challenge would make the browser open its native password dialog over the web page (and
 * hold an `EventSource` until it is answered), so these get the Bearer scheme, which browsers never
 * prompt for; the page signs in through `/login` instead. Navigations and non-browser clients get Basic.
 */
export const BROWSER_CHALLENGE = 'Bearer realm="spool"'

/** Routes that answer without credentials: the login page and signing in or out. */
function isPublic(method: string, path: string): boolean {
  return (method === "GET" && path === "/login") || (method === "POST" && (path === "/auth/login" || path === "/auth/logout"))
}

/**
 * Authentication of every route, both SSE streams and `GET /global/health` included (as OpenCode 1.18,
 * which exempts only static web-app files); only CORS preflights (answered earlier), `GET /login`,
 * `POST /auth/login` and `POST /auth/logout` are open. Accepted, in this order:
 * `Authorization: Basic` with the server password (any username unless one is pinned) → full access;
 * `Authorization: Bearer <API token>`, or an API token as the Basic password (OpenCode's clients only
 * send Basic) → the token's scope; the `spool_session` cookie → the scope of the
 * credential that signed in. A `read` scope may only `GET`/`HEAD` (else 403 `ForbiddenError`, kind
 * `Scope`). No or wrong credentials → 401 `UnauthorizedError` with `WWW-Authenticate: Basic realm="spool"`
 * (`Bearer realm="spool"` for a browser's fetch/EventSource, see `BROWSER_CHALLENGE`).
 * Wrong credentials count as failed attempts (see `FailedAttemptLimiter`; 429 once over the limit).
 * A server with no password and no token (`required()` false) lets everything through.
 */
export function authGuard(credentials: Credentials, limiter: FailedAttemptLimiter): MiddlewareHandler {
  return async (c, next) => {
    const needed = credentials.required()
    if (needed === false || (needed !== true && !(await needed))) return next()
    const method = c.req.method
    if (method === "OPTIONS" || isPublic(method, c.req.path)) return next()
    const node = nodeHttp(c)
    const address = clientAddress(c)
    const wait = await limiter.blocked(address)
    if (wait !== undefined) return tooManyRequests(c, wait)
    const result = await authenticate(c, credentials)
    if (result === "missing" || result === "failed") {
      if (result === "failed") {
        const retryAfter = await limiter.fail(address)
        if (retryAfter !== undefined) return tooManyRequests(c, retryAfter)
      }
      const error = new UnauthorizedError({
        message: result === "missing" ? "Authentication required: HTTP Basic with the server password, Authorization: Bearer <API token>, or sign in at /login." : "Invalid credentials.",
      })
      const header = (name: string) => (node ? (node.incoming.headers[name] as string | undefined) : c.req.header(name))
      const browserSubrequest = header("sec-fetch-site") !== undefined && header("sec-fetch-mode") !== "navigate"
      const challenge = browserSubrequest ? BROWSER_CHALLENGE : CHALLENGE
      return c.json(error.toObject(), statusOf(error), { "WWW-Authenticate": challenge })
    }
    if (result.scope === "read" && method !== "GET" && method !== "HEAD") {
      const error = new ForbiddenError({ message: `This token's scope is "read": it may only GET and HEAD, not ${method}.`, kind: "Scope" })
      return c.json(error.toObject(), statusOf(error))
    }
    return next()
  }
}

/** Checks the request's credentials: a scope, `missing` (none presented) or `failed` (wrong ones). */
async function authenticate(c: Context, credentials: Credentials): Promise<{ scope: Scope } | "missing" | "failed"> {
  const node = nodeHttp(c)
  const authorization = node ? node.incoming.headers.authorization : c.req.header("authorization")
  if (authorization) {
    const space = authorization.indexOf(" ")
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase()
    const value = space < 0 ? "" : authorization.slice(space + 1).trim()
    if (scheme === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8")
      const colon = decoded.indexOf(":")
      if (colon < 0) return "failed"
      const password = decoded.slice(colon + 1)
      if (credentials.password?.(decoded.slice(0, colon), password)) return { scope: "admin" }
      // An API token as the Basic password: OpenCode's clients (TUI, `opencode run --attach`) only speak Basic.
      if (password.startsWith(TOKEN_PREFIX)) return (await credentials.token(password)) ?? "failed"
      return "failed"
    }
    if (scheme === "bearer") return (await credentials.token(value)) ?? "failed"
    return "failed"
  }
  const cookie = getCookie(c, SESSION_COOKIE)
  if (cookie) return credentials.sessions.get(cookie) ?? "missing"
  return "missing"
}
