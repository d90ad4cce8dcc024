import type { Context, MiddlewareHandler } from "hono"
import { ForbiddenError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { nodeHttp } from "../node.ts"
import { hostName, isWildcardHostname, LOOPBACK_HOSTS, parseHost, type AccessConfig } from "./access.ts"

/**
 * DNS-rebinding protection (the first middleware): the request's `Host` must name this server. Allowed:
 * the loopback names (`localhost`, `127.0.0.1`, `[::1]`, any port), the bound `--hostname` (unless it is
 * a wildcard), the address the connection actually arrived on (so `http://192.168.1.5:4096` works when
 * bound to `0.0.0.0`: an IP literal cannot be rebound), and config `server.hostnames` (`name` for any
 * port, `name:port` for one). Anything else — a rebinding page's `evil.example:4096` — is refused with
 * 403 `ForbiddenError` (kind `Host`) before routing, so it reaches no handler.
 */
export function hostGuard(access: () => AccessConfig): MiddlewareHandler {
  return async (c, next) => {
    const host = requestHost(c)
    if (host !== undefined && hostAllowed(c, host, access())) return next()
    const error = new ForbiddenError({
      message: `Host "${host ?? ""}" is not allowed. Spool answers loopback names, its bound address and config server.hostnames (DNS-rebinding protection).`,
      kind: "Host",
    })
    return c.json(error.toObject(), statusOf(error))
  }
}

/** The request's `Host` (from the URL when called in-process without one). */
export function requestHost(c: Context): string | undefined {
  const node = nodeHttp(c)
  if (node) return node.incoming.headers.host
  return c.req.header("host") ?? new URL(c.req.url).host
}

function hostAllowed(c: Context, host: string, access: AccessConfig): boolean {
  const parsed = parseHost(host)
  if (!parsed) return false
  if (LOOPBACK_HOSTS.has(parsed.name)) return true
  if (access.boundHostname && !isWildcardHostname(access.boundHostname) && hostName(access.boundHostname) === parsed.name) return true
  const local = nodeHttp(c)?.incoming.socket.localAddress
  if (local && hostName(local) === parsed.name) return true
  for (const entry of access.hostnames ?? []) {
    const allowed = parseHost(entry)
    if (!allowed || allowed.name !== parsed.name) continue
    if (allowed.port === "" || allowed.port === parsed.port) return true
  }
  return false
}
