import { Hono, type Context } from "hono"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"
import { createHash } from "node:crypto"
import { z } from "zod"
import { BadRequestError, UnauthorizedError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { jsonBody } from "../request.ts"
import { SESSION_COOKIE, type Credentials } from "./auth.ts"
import { LOGIN_PAGE } from "./login-page.ts"
import { clientAddress, tooManyRequests, type FailedAttemptLimiter } from "./rate-limit.ts"

/** `POST /auth/login` body: the server password (any or the pinned `username`) or an API token. */
const LoginInput = z.object({ password: z.string().optional(), username: z.string().optional(), token: z.string().optional() }).strict()

/** The page's inline script may run; nothing else loads, and no other site may frame it. */
const LOGIN_PAGE_CSP = (() => {
  const script = /<script>([\s\S]*?)<\/script>/.exec(LOGIN_PAGE)![1]
  const hash = createHash("sha256").update(script).digest("base64")
  return `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`
})()

/**
 * Browser sign-in (EventSource cannot send an `Authorization` header): `GET /login` serves the sign-in
 * page; `POST /auth/login` with JSON `{password}` (or `{token}`) sets the `spool_session` cookie —
 * HttpOnly, SameSite=Strict, Path=/, `Secure` when the request came over https (or
 * `X-Forwarded-Proto: https`), 12 h — which then authenticates every route like Basic does, with the
 * scope of the credential used; `POST /auth/logout` ends the session and clears the cookie. A failed
 * sign-in is a failed attempt (rate-limited like Basic, 429). Signing in to a server with no password
 * and no token is 400: there is nothing to sign in to. Cross-site use is stopped by the Origin and
 * content-type checks that run first.
 */
export function loginRoutes(credentials: Credentials, limiter: FailedAttemptLimiter) {
  const app = new Hono()

  app.get("/login", (c) => {
    c.header("Content-Security-Policy", LOGIN_PAGE_CSP)
    c.header("X-Frame-Options", "DENY")
    c.header("Cache-Control", "no-store")
    return c.html(LOGIN_PAGE)
  })

  app.post("/auth/login", async (c) => {
    const address = clientAddress(c)
    const wait = await limiter.blocked(address)
    if (wait !== undefined) return tooManyRequests(c, wait)
    const body = await jsonBody(c, LoginInput)
    if (!(await credentials.required())) {
      throw new BadRequestError({ message: "This server has no password and no API token: there is nothing to sign in to.", kind: "Auth" })
    }
    const scope =
      body.token !== undefined
        ? (await credentials.token(body.token))?.scope
        : body.password !== undefined && credentials.password?.(body.username ?? "", body.password)
          ? "admin"
          : undefined
    if (scope === undefined) {
      const retryAfter = await limiter.fail(address)
      if (retryAfter !== undefined) return tooManyRequests(c, retryAfter)
      // No `WWW-Authenticate` here: it would make the browser open its own password dialog over the page.
      const error = new UnauthorizedError({ message: body.token !== undefined ? "Unknown or revoked API token." : "Wrong password." })
      return c.json(error.toObject(), statusOf(error))
    }
    const session = credentials.sessions.create(scope)
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: "Strict", path: "/", secure: isHttps(c), maxAge: session.maxAgeSeconds })
    return c.json({ authenticated: true, scope })
  })

  app.post("/auth/logout", (c) => {
    const id = getCookie(c, SESSION_COOKIE)
    if (id) credentials.sessions.delete(id)
    deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: "Strict", path: "/", secure: isHttps(c) })
    return c.json({ authenticated: false })
  })

  return app
}

/** Whether the browser reached Spool over https (directly, or through a TLS-terminating proxy). */
function isHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase()
  return forwarded === "https" || new URL(c.req.url).protocol === "https:"
}
