import { Hono } from "hono"
import { z } from "zod"
import type { Config } from "../../config/index.ts"
import { agentRuleset, BUILTIN_AGENTS, knownAgents, type Ruleset } from "../../permission/index.ts"
import { parseModel } from "../../provider/index.ts"
import { describeJson } from "./describe.ts"

/** An agent as OpenCode 1.18's `GET /agent` lists it. */
export interface AgentListing {
  name: string
  description?: string
  /** Spool's agents are all primary: it has no subagents. */
  mode: "primary"
  /** True for Spool's built-in agents (`build`, `plan`). */
  native: boolean
  /** The agent's merged rules, later winning (`agentRuleset`): defaults, built-in, config `permission`, `agent.<name>.permission`. */
  permission: Ruleset
  model?: { providerID: string; modelID: string }
  prompt?: string
  steps?: number
  options: Record<string, unknown>
}

/**
 * The agents a prompt may name (`knownAgents`: the built-ins plus config `agent.<name>`), `build` (the
 * default) first, in OpenCode's shape with the rules Spool evaluates for each.
 */
export function listAgents(config: Config): AgentListing[] {
  const names = knownAgents(config).sort((a, b) => (a === "build" ? -1 : b === "build" ? 1 : 0))
  return names.map((name) => {
    const configured = config.agent?.[name]
    const model = parseModel(configured?.model)
    return {
      name,
      description: configured?.description ?? BUILTIN_AGENTS[name]?.description,
      mode: "primary",
      native: BUILTIN_AGENTS[name] !== undefined,
      permission: agentRuleset(config, name) ?? [],
      ...(model ? { model } : {}),
      ...(configured?.prompt ? { prompt: configured.prompt } : {}),
      ...(configured?.steps ? { steps: configured.steps } : {}),
      options: {},
    }
  })
}

const AgentSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    mode: z.literal("primary"),
    native: z.boolean(),
    permission: z.array(z.object({ permission: z.string(), pattern: z.string(), action: z.enum(["allow", "ask", "deny"]) })),
    model: z.object({ providerID: z.string(), modelID: z.string() }).optional(),
    prompt: z.string().optional(),
    steps: z.number().optional(),
    options: z.record(z.string(), z.any()),
  })
  .meta({ id: "Agent" })

/** `GET /agent` (OpenCode 1.18 `app.agents`): Spool's agents with their permission rules. */
export function agentRoutes(deps: { config: () => Config }) {
  const app = new Hono()
  app.get("/agent", describeJson({ operationId: "app.agents", summary: "Agents a prompt may name, with their permission rules", tag: "app", response: z.array(AgentSchema) }), (c) =>
    c.json(listAgents(deps.config())),
  )
  return app
}
