import { Hono } from "hono"
import { cors } from "hono/cors"
import { describeRoute, openAPIRouteHandler, resolver } from "hono-openapi"
import { z } from "zod"
import type { Bus } from "../bus/index.ts"
import { configJsonSchema } from "../config/index.ts"
import type { PromptRunner, Reverter, SessionService, StatusMap } from "../session/index.ts"
import type { Logger } from "../util/log.ts"
import { NotFoundError } from "../util/named-error.ts"
import { errorHandler } from "./errors.ts"
import { isCorsRequest, nodeHttp } from "./node.ts"
import { eventRoutes } from "./routes/event.ts"
import { sessionRoutes } from "./routes/session.ts"

/** Everything the HTTP layer needs; built by the composition root (`src/app.ts`). */
export interface ServerDeps {
  sessions: SessionService
  prompts: PromptRunner
  reverter: Reverter
  status: StatusMap
  bus: Bus
  log: Logger
  /** Directory for requests that name none. */
  cwd: string
  version: string
}

const LOCAL_ORIGIN = /^(https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?|oc:\/\/renderer|tauri:\/\/localhost|https?:\/\/tauri\.localhost|https:\/\/[a-z0-9-]+\.opencode\.ai)$/

/**
 * Builds the Hono app: OpenCode's session API, the SSE streams, `GET /doc` (OpenAPI 3.1 generated
 * from the zod schemas) and `GET /global/health`. CORS allows the same local origins as OpenCode.
 */
export function createServer(deps: ServerDeps): Hono {
  const app = new Hono()
  app.onError(errorHandler(deps.log))
  app.notFound((c) => c.json(new NotFoundError({ message: `No route ${c.req.method} ${c.req.path}` }).toObject(), 404))
  const corsHeaders = cors({
    origin: (origin) => (LOCAL_ORIGIN.test(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"],
    maxAge: 86400,
  })
  // CORS applies to requests with an `Origin` header and to preflights. For any other request, all
  // `cors()` would add is `Vary: Origin` (OpenCode sends it on every response), yet running it costs
  // ~0.1 ms: it rebuilds the response to append the header, which also takes the response off
  // @hono/node-server's fast path. So those requests get the header on the Node response instead,
  // where it merges with whatever the handler sends (no handler sets `Vary` itself).
  app.use("*", (c, next) => {
    const node = nodeHttp(c)
    if (!node || isCorsRequest(c, node)) return corsHeaders(c, next)
    node.outgoing.setHeader("Vary", "Origin")
    return next()
  })
  app.get(
    "/global/health",
    describeRoute({
      operationId: "global.health",
      summary: "Liveness and server version",
      tags: ["global"],
      responses: { 200: { description: "OK", content: { "application/json": { schema: resolver(z.object({ healthy: z.literal(true), version: z.string() })) } } } },
    }),
    (c) => c.json({ healthy: true, version: deps.version }),
  )
  app.get(
    "/config/schema",
    describeRoute({ operationId: "config.schema", summary: "The JSON Schema of spool.json (what `$schema` points at)", tags: ["config"], responses: { 200: { description: "JSON Schema" } } }),
    (c) => c.json(configJsonSchema()),
  )
  app.route("/", eventRoutes({ bus: deps.bus, cwd: deps.cwd }))
  app.route("/", sessionRoutes(deps))
  app.get(
    "/doc",
    openAPIRouteHandler(app, {
      documentation: {
        openapi: "3.1.0",
        info: { title: "Spool", version: deps.version, description: "Spool session API, wire-compatible with OpenCode's session API" },
      },
    }),
  )
  return app
}
