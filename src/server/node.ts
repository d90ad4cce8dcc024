import type { Context } from "hono"
import { ServerResponse, type IncomingMessage } from "node:http"

/** The Node.js request and response behind a Hono context. */
export interface NodeHttp {
  incoming: IncomingMessage
  outgoing: ServerResponse
}

/**
 * The Node.js HTTP/1.x request and response of `c` when it is served by `@hono/node-server` (which
 * passes them as the env `{incoming, outgoing}`); `undefined` when the app is called in-process
 * (`app.fetch(request)`, `app.request(…)`) or over HTTP/2. Lets hot paths skip work that only exists
 * to build a fetch `Response` (see `server.ts` and `routes/event.ts`).
 */
export function nodeHttp(c: Context): NodeHttp | undefined {
  const env = c.env as Partial<NodeHttp> | undefined
  return env?.outgoing instanceof ServerResponse && env.incoming !== undefined ? (env as NodeHttp) : undefined
}

/**
 * Whether the CORS middleware handles `c` (see `server.ts`): preflights and requests with an `Origin`
 * header. It rewrites their responses after the handler, so their handlers must return a `Response`.
 */
export function isCorsRequest(c: Context, node: NodeHttp | undefined = nodeHttp(c)): boolean {
  if (c.req.method === "OPTIONS") return true
  return node ? node.incoming.headers.origin !== undefined : c.req.header("origin") !== undefined
}
