import type { MiddlewareHandler } from "hono"
import { bodyLimit } from "hono/body-limit"
import { PayloadTooLargeError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { nodeHttp } from "../node.ts"
import { DEFAULT_MAX_BODY_BYTES, type AccessConfig } from "./access.ts"

/**
 * `server.maxBodyBytes` (default 10 MiB): a larger body gets 413 `PayloadTooLargeError` with `limit` in
 * bytes. Hono's `bodyLimit` does the work: a declared `Content-Length` over the limit is refused before
 * a byte is read; a chunked body is counted while it streams and refused as soon as it passes the limit,
 * so at most `limit` bytes are ever held. The rest of an oversized upload is drained and discarded by
 * @hono/node-server (at most 64 MiB or 500 ms, then the socket is closed), never buffered. Requests
 * without a body skip the middleware.
 */
export function bodySizeLimit(access: () => AccessConfig): MiddlewareHandler {
  let cached: { maxSize: number; middleware: MiddlewareHandler } | undefined
  return async (c, next) => {
    const method = c.req.method
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next()
    const node = nodeHttp(c)
    if (node && node.incoming.headers["content-length"] === "0" && node.incoming.headers["transfer-encoding"] === undefined) return next()
    const maxSize = access().maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    if (cached?.maxSize !== maxSize) {
      cached = {
        maxSize,
        middleware: bodyLimit({
          maxSize,
          onError: (context) => {
            const error = new PayloadTooLargeError({ message: `Request body exceeds server.maxBodyBytes (${maxSize} bytes).`, limit: maxSize })
            return context.json(error.toObject(), statusOf(error))
          },
        }),
      }
    }
    return cached.middleware(c, next)
  }
}
