import { Hono } from "hono"
import { describeRoute, openAPIRouteHandler, resolver } from "hono-openapi"
import { z } from "zod"
import type { Bus } from "../bus/index.ts"
import { configJsonSchema } from "../config/index.ts"
import type { PromptRunner, Reverter, SessionQueries, SessionService, StatusMap } from "../session/index.ts"
import type { Logger } from "../util/log.ts"
import { NotFoundError } from "../util/named-error.ts"
import { errorHandler } from "./errors.ts"
import { eventRoutes } from "./routes/event.ts"
import { sessionRoutes } from "./routes/session.ts"
import { permissionRoutes } from "./routes/permission.ts"
import type { PermissionRegistry } from "../permission/index.ts"
import type { Config } from "../config/index.ts"
import type { ProjectCache } from "../session/index.ts"
import type { ShellRunner } from "../session/shell.ts"
import { agentRoutes } from "./routes/agent.ts"
import { commandRoutes } from "./routes/command.ts"
import { configRoutes } from "./routes/config.ts"
import { findRoutes } from "./routes/find.ts"
import { miscRoutes } from "./routes/misc.ts"
import { projectRoutes } from "./routes/project.ts"
import { providerRoutes } from "./routes/provider.ts"
import { shellRoutes } from "./routes/shell.ts"
import { searchRoutes } from "./routes/search.ts"
import { sessionAllRoutes } from "./routes/session-all.ts"
import { statsRoutes } from "./routes/stats.ts"
import { exportRoutes } from "./routes/export.ts"
import { revertPreviewRoutes } from "./routes/revert-preview.ts"
import {
  authGuard,
  bodySizeLimit,
  createFailedAttemptLimiter,
  hostGuard,
  jsonBodiesOnly,
  loginRoutes,
  originGuard,
  type AccessConfig,
  type Credentials,
} from "./security/index.ts"

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
  /** Pending permission requests (`GET /permission`, replies); without it those routes are absent. */
  permissions?: PermissionRegistry
  /** Host/Origin allow-lists, body limit and bound address (config `server`), read per request; none = loopback only, 10 MiB. */
  access?: () => AccessConfig
  /** Password, API tokens and browser sessions (`src/auth`); absent = no authentication. */
  credentials?: Credentials
  /** What the routes OpenCode's TUI needs besides sessions read (config, providers, agents, project, find, shell); absent = those routes are absent. */
  tui?: TuiDeps
  /** Read-only queries across sessions for the web UI (cross-project list, search, usage); absent = those routes are absent. */
  queries?: SessionQueries
}

/** Dependencies of the routes OpenCode's TUI asks for at start and per feature (`/config`, `/provider`, `/agent`, `/path`, `/find/file`, `/session/:id/shell` …). */
export interface TuiDeps {
  /** The current merged config (re-read on reload). */
  config: () => Config
  env: NodeJS.ProcessEnv
  /** The default model, `provider/model`. */
  defaultModel: () => string | undefined
  projects: ProjectCache
  /** Spool's data directory. */
  dataDir: string
  /** Spool's global config directory. */
  configDir: string
  shell: ShellRunner
}

/**
 * Builds the Hono app: OpenCode's session API, the SSE streams, `GET /doc` (OpenAPI 3.1 generated
 * from the zod schemas) and `GET /global/health`. Before routing, in this order (`security/`): the
 * `Host` allow-list (403, DNS rebinding), the `Origin` check and CORS (403 for other origins),
 * authentication when credentials exist (401/403/429), JSON-only bodies (415) and the body limit (413).
 */
export function createServer(deps: ServerDeps): Hono {
  const app = new Hono()
  app.onError(errorHandler(deps.log))
  app.notFound((c) => c.json(new NotFoundError({ message: `No route ${c.req.method} ${c.req.path}` }).toObject(), 404))
  const access = deps.access ?? (() => ({}))
  const limiter = createFailedAttemptLimiter()
  app.use("*", hostGuard(access))
  app.use("*", originGuard(access))
  if (deps.credentials) app.use("*", authGuard(deps.credentials, limiter))
  app.use("*", jsonBodiesOnly())
  app.use("*", bodySizeLimit(access))
  if (deps.credentials) app.route("/", loginRoutes(deps.credentials, limiter))
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
  if (deps.permissions) app.route("/", permissionRoutes({ permissions: deps.permissions, cwd: deps.cwd }))
  if (deps.tui) {
    const tui = deps.tui
    app.route("/", configRoutes(tui))
    app.route("/", providerRoutes(tui))
    app.route("/", agentRoutes(tui))
    app.route("/", projectRoutes({ ...tui, sessions: deps.sessions, cwd: deps.cwd }))
    app.route("/", miscRoutes({ ...tui, cwd: deps.cwd }))
    app.route("/", findRoutes({ cwd: deps.cwd, projects: tui.projects }))
    // Before the session routes: their `/session/:id/*` catch-all answers 404.
    app.route("/", commandRoutes({ prompts: deps.prompts, sessions: deps.sessions }))
    app.route("/", shellRoutes({ shell: tui.shell }))
  }
  // Before the session routes (their `/session/:id/*` catch-all answers 404).
  if (deps.queries) {
    app.route("/", sessionAllRoutes({ queries: deps.queries, cwd: deps.cwd }))
    app.route("/", searchRoutes({ queries: deps.queries, cwd: deps.cwd }))
    app.route("/", statsRoutes({ queries: deps.queries, cwd: deps.cwd }))
  }
  app.route("/", exportRoutes({ sessions: deps.sessions }))
  app.route("/", revertPreviewRoutes({ reverter: deps.reverter }))
  // `POST /session/:id/abort` also stops a running `!` command (OpenCode's abort cancels shell commands too).
  const shell = deps.tui?.shell
  app.route("/", sessionRoutes(shell ? { ...deps, prompts: { ...deps.prompts, abort: (sessionID: string) => (deps.prompts.abort(sessionID), shell.abort(sessionID)) } } : deps))
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
