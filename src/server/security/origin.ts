import type { Context, MiddlewareHandler } from "hono"
import { cors } from "hono/cors"
import { ForbiddenError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { isCorsRequest, nodeHttp } from "../node.ts"
import type { AccessConfig } from "./access.ts"
import { requestHost } from "./host.ts"

/** Origins allowed whatever the config: pages served from this machine's loopback names, any port. */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i

/**
 * Cross-origin protection: a request carrying an `Origin` header that is not allowed is refused with
 * 403 `ForbiddenError` (kind `Origin`) for every method — a browser sends "simple" cross-site requests
 * (`text/plain` or form POSTs) without a preflight, so withholding CORS headers alone would not stop
 * them. Allowed: the server's own origin (the Origin's host equals the request's `Host`, which the
 * Host guard has already checked), `http(s)://localhost:*`, `http(s)://127.0.0.1:*`, `http(s)://[::1]:*`,
 * and config `server.cors`. Unlike OpenCode 1.18, `oc://renderer`, Tauri and `*.opencode.ai` origins are
 * not built in: add them to `server.cors` to use those clients.
 *
 * Allowed cross-origin requests and preflights get Hono's CORS headers (OpenCode's methods, 24 h
 * max-age). Other requests only get `Vary: Origin`, written on the Node response: running `cors()` costs
 * ~0.1 ms, as it rebuilds the response (taking it off @hono/node-server's fast path).
 */
export function originGuard(access: () => AccessConfig): MiddlewareHandler {
  const corsHeaders = cors({
    origin: (origin) => origin,
    allowMethods: ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"],
    maxAge: 86400,
  })
  return async (c, next) => {
    const node = nodeHttp(c)
    const origin = node ? node.incoming.headers.origin : c.req.header("origin")
    if (origin !== undefined) {
      if (!originAllowed(c, origin, access())) {
        const error = new ForbiddenError({ message: `Origin "${origin}" is not allowed. Add it to config server.cors to let that page call Spool.`, kind: "Origin" })
        if (node) node.outgoing.setHeader("Vary", "Origin")
        else c.header("Vary", "Origin")
        return c.json(error.toObject(), statusOf(error))
      }
      return corsHeaders(c, next)
    }
    if (!node || isCorsRequest(c, node)) return corsHeaders(c, next)
    node.outgoing.setHeader("Vary", "Origin")
    return next()
  }
}

/** Whether a request from `origin` may reach the API (see `originGuard`). */
export function originAllowed(c: Context, origin: string, access: AccessConfig): boolean {
  if (LOOPBACK_ORIGIN.test(origin)) return true
  const normalized = origin.replace(/\/+$/, "").toLowerCase()
  const host = requestHost(c)?.toLowerCase()
  if (host && (normalized === `http://${host}` || normalized === `https://${host}`)) return true
  for (const allowed of access.cors ?? []) if (allowed.replace(/\/+$/, "").toLowerCase() === normalized) return true
  return false
}
