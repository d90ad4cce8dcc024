import { Hono } from "hono"
import { z } from "zod"
import type { Config } from "../../config/index.ts"
import type { ProjectCache } from "../../session/index.ts"
import { DirectoryQuery, requestDirectory } from "../request.ts"
import { listAgents } from "./agent.ts"
import { COMMANDS } from "./command.ts"
import { describeJson } from "./describe.ts"
import { knownProviders } from "./provider.ts"

/** What the remaining TUI routes read. */
export interface MiscRouteDeps {
  config: () => Config
  env: NodeJS.ProcessEnv
  projects: ProjectCache
  cwd: string
}

/**
 * The optional routes OpenCode 1.18's TUI probes at start, answered with the truth about Spool:
 * - `GET /lsp`, `/formatter`, `/experimental/workspace`, `/experimental/workspace/status` → `[]`: Spool
 *   runs no language servers or formatters and has no workspaces;
 * - `GET /mcp`, `/experimental/resource` → `{}`: no MCP servers;
 * - `GET /experimental/capabilities` → `{backgroundSubagents: false}`; `GET /experimental/console` →
 *   `{consoleManagedProviders: [], switchableOrgCount: 0}` (no OpenCode console account);
 * - `GET /api/location` → `{directory, project: {id, directory}}` and the catalogue routes
 *   `/api/{agent,command,provider,model,integration,reference,skill}` → `{location, data}`: Spool's
 *   agents, commands, connected providers and their models in OpenCode's v2 shapes; no integrations
 *   (keys come from env and config only), references or skills.
 */
export function miscRoutes(deps: MiscRouteDeps) {
  const app = new Hono()
  const constant = (path: string, operationId: string, summary: string, value: unknown, schema: z.ZodType) =>
    app.get(path, describeJson({ operationId, summary, tag: "experimental", response: schema }), (c) => c.json(value))
  constant("/lsp", "lsp.status", "Language servers: none (Spool runs none)", [], z.array(z.any()))
  constant("/formatter", "formatter.status", "Formatters: none (Spool runs none)", [], z.array(z.any()))
  constant("/mcp", "mcp.status", "MCP servers: none", {}, z.record(z.string(), z.any()))
  constant("/experimental/resource", "experimental.resource.list", "MCP resources: none", {}, z.record(z.string(), z.any()))
  constant("/experimental/workspace", "experimental.workspace.list", "Workspaces: none", [], z.array(z.any()))
  constant("/experimental/workspace/status", "experimental.workspace.status", "Workspace status: none", [], z.array(z.any()))
  constant("/experimental/capabilities", "experimental.capabilities", "Server capabilities", { backgroundSubagents: false }, z.object({ backgroundSubagents: z.boolean() }))
  constant("/experimental/console", "experimental.console", "OpenCode console: not connected", { consoleManagedProviders: [], switchableOrgCount: 0 }, z.object({ consoleManagedProviders: z.array(z.string()), switchableOrgCount: z.number() }))

  async function location(c: Parameters<typeof requestDirectory>[0]) {
    const directory = requestDirectory(c, deps.cwd)
    const project = await deps.projects.resolve(directory)
    return { directory, project: { id: project.id, directory: project.id === "global" ? directory : project.worktree } }
  }
  const apiDoc = (name: string, summary: string) =>
    describeJson({ operationId: `v2.${name}.list`, summary, tag: "v2", query: DirectoryQuery, response: z.object({ location: z.any(), data: z.array(z.any()) }) })

  app.get("/api/location", describeJson({ operationId: "v2.location", summary: "The request directory and its project", tag: "v2", query: DirectoryQuery, response: z.any() }), async (c) =>
    c.json(await location(c)),
  )
  app.get("/api/agent", apiDoc("agent", "Agents (OpenCode v2 shape)"), async (c) => {
    const data = listAgents(deps.config()).map((agent) => ({
      id: agent.name,
      request: { headers: {}, body: {} },
      ...(agent.description ? { description: agent.description } : {}),
      mode: agent.mode,
      hidden: false,
      permissions: agent.permission.map((rule) => ({ action: rule.permission, resource: rule.pattern, effect: rule.action })),
    }))
    return c.json({ location: await location(c), data })
  })
  app.get("/api/command", apiDoc("command", "Commands (OpenCode v2 shape)"), async (c) =>
    c.json({ location: await location(c), data: COMMANDS.map((command) => ({ name: command.name, description: command.description, template: command.template })) }),
  )
  const connected = () => knownProviders(deps.config(), deps.env).filter((entry) => entry.connected).map((entry) => entry.listing)
  app.get("/api/provider", apiDoc("provider", "Connected providers (OpenCode v2 shape)"), async (c) => {
    const data = connected().map((provider) => {
      const first = Object.values(provider.models)[0]
      return { id: provider.id, name: provider.name, api: { type: "aisdk", package: first?.api.npm ?? "", url: first?.api.url ?? "" }, request: { headers: {}, body: {} } }
    })
    return c.json({ location: await location(c), data })
  })
  app.get("/api/model", apiDoc("model", "Models of the connected providers (OpenCode v2 shape)"), async (c) => {
    const data = connected().flatMap((provider) =>
      Object.values(provider.models).map((model) => ({
        id: model.id,
        providerID: provider.id,
        name: model.name,
        api: { id: model.id, type: "aisdk", package: model.api.npm, url: model.api.url },
        capabilities: { tools: true, input: ["text"], output: ["text"] },
        request: { headers: {}, body: {} },
        variants: [],
        ...(model.cost ? { cost: [model.cost] } : {}),
        status: "active",
        enabled: true,
        limit: model.limit,
      })),
    )
    return c.json({ location: await location(c), data })
  })
  for (const name of ["integration", "reference", "skill"]) {
    app.get(`/api/${name}`, apiDoc(name, `${name[0].toUpperCase()}${name.slice(1)}s: none in Spool`), async (c) => c.json({ location: await location(c), data: [] }))
  }
  return app
}
